"""Wire DTOs: BtcTurk's JSON shapes with its field names verbatim, numbers kept as strings.

Only ``btcbot.exchange.mappers`` turns these into domain objects (and ``Decimal``). Rules that
hold for every model here:

* unknown fields are ignored (BtcTurk adds fields without notice);
* a JSON ``null`` is the same as an absent key -- it never overrides a value (the predecessor lost
  ``minExchangeValue`` because ``minAmount: null`` overwrote it);
* a number may arrive as a JSON number or a string (``WireNumber`` accepts both, keeps the text);
* the JSON is parsed with ``parse_float=Decimal`` so ``0.1`` stays exactly ``"0.1"``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict


def _number_text(value: Any) -> str:
    """Accept a JSON number or numeric string and keep its exact text; refuse everything else."""
    if isinstance(value, bool) or value is None:
        raise ValueError("expected a number")
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError("expected a number")


WireNumber = Annotated[str, BeforeValidator(_number_text)]
"""A decimal number as BtcTurk sent it (JSON number or string), as text."""


def _id_text(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueError("expected an id")  # noqa: TRY004 - pydantic wants ValueError here
    if isinstance(value, int | str):
        return str(value)
    raise ValueError("expected an id")


WireId = Annotated[str, BeforeValidator(_id_text)]
"""An id that may be a number or a string on the wire (trade ids exceed 2**53)."""


class Wire(BaseModel):
    """Base of every DTO: ignore unknown fields, immutable."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class SymbolFilterDTO(Wire):
    """One entry of a symbol's ``filters``; BtcTurk sends one ``PRICE_FILTER``."""

    filterType: str | None = None  # noqa: N815 - BtcTurk's field name
    minPrice: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    maxPrice: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    tickSize: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    minExchangeValue: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    minAmount: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    maxAmount: WireNumber | None = None  # noqa: N815 - BtcTurk's field name


class SymbolDTO(Wire):
    """One ``data.symbols[]`` item of ``/api/v2/server/exchangeinfo``."""

    id: int
    name: str
    status: str
    numerator: str
    denominator: str
    numeratorScale: int  # noqa: N815 - BtcTurk's field name
    denominatorScale: int  # noqa: N815 - BtcTurk's field name
    hasFraction: bool  # noqa: N815 - BtcTurk's field name
    filters: list[SymbolFilterDTO] | None = None
    orderMethods: list[str] | None = None  # noqa: N815 - BtcTurk's field name
    maximumLimitOrderPrice: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    minimumLimitOrderPrice: WireNumber | None = None  # noqa: N815 - BtcTurk's field name


class ExchangeInfoDTO(Wire):
    """``data`` of exchangeinfo; symbols stay raw so one odd symbol cannot sink the rest."""

    serverTime: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    symbols: list[dict[str, Any]]


class TickerDTO(Wire):
    """One item of ``/api/v2/ticker``'s ``data`` array (numbers, not strings, on the wire)."""

    pair: str
    timestamp: WireNumber
    last: WireNumber
    high: WireNumber
    low: WireNumber
    bid: WireNumber
    ask: WireNumber
    open: WireNumber
    volume: WireNumber
    average: WireNumber | None = None


class OrderBookDTO(Wire):
    """``data`` of ``/api/v2/orderbook``: ``[price, amount]`` string pairs."""

    timestamp: WireNumber
    bids: list[list[WireNumber]]
    asks: list[list[WireNumber]]


class PublicTradeDTO(Wire):
    """One item of ``/api/v2/trades``."""

    pair: str
    date: WireNumber
    tid: WireId
    price: WireNumber
    amount: WireNumber
    side: str


class KlinesDTO(Wire):
    """Graph ``/v1/klines/history``: TradingView columns, ``t`` in seconds."""

    s: str | None = None
    t: list[WireNumber] | None = None
    o: list[WireNumber] | None = None
    h: list[WireNumber] | None = None
    l: list[WireNumber] | None = None  # noqa: E741 - TradingView's column name
    c: list[WireNumber] | None = None
    v: list[WireNumber] | None = None


class BalanceDTO(Wire):
    """One item of ``/api/v1/users/balances``."""

    asset: str
    balance: WireNumber
    locked: WireNumber
    free: WireNumber


class TransferDTO(Wire):
    """One item of ``users/transactions/crypto`` or ``/fiat`` (API.md section 4.7)."""

    id: WireId
    balanceType: str  # noqa: N815 - BtcTurk's field name
    currencySymbol: str  # noqa: N815
    timestamp: WireNumber
    amount: WireNumber
    fee: WireNumber = "0"


class OrderDTO(Wire):
    """The order object of openOrders / allOrders / order/{id}."""

    id: int
    price: WireNumber | None = None
    amount: WireNumber | None = None
    quantity: WireNumber | None = None
    stopPrice: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    pairSymbol: str  # noqa: N815 - BtcTurk's field name
    type: str
    method: str
    orderClientId: str | None = None  # noqa: N815 - BtcTurk's field name
    time: WireNumber | None = None
    updateTime: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    status: str
    leftAmount: WireNumber  # noqa: N815 - BtcTurk's field name


class OpenOrdersDTO(Wire):
    """``data`` of ``/api/v1/openOrders``: sells in ``asks``, buys in ``bids``."""

    asks: list[OrderDTO] | None = None
    bids: list[OrderDTO] | None = None


class OrderAckDTO(Wire):
    """``data`` of a successful ``POST /api/v1/order``."""

    id: int
    quantity: WireNumber
    price: WireNumber | None = None
    stopPrice: WireNumber | None = None  # noqa: N815 - BtcTurk's field name
    newOrderClientId: str | None = None  # noqa: N815 - BtcTurk's field name
    type: str
    method: str
    pairSymbol: str  # noqa: N815 - BtcTurk's field name
    datetime: WireNumber


class UserTradeDTO(Wire):
    """One item of ``/api/v1/users/transactions/trade`` (sells' amount, fee, tax negative)."""

    id: WireId
    orderId: int  # noqa: N815 - BtcTurk's field name
    price: WireNumber
    numeratorSymbol: str  # noqa: N815 - BtcTurk's field name
    denominatorSymbol: str  # noqa: N815 - BtcTurk's field name
    orderType: str  # noqa: N815 - BtcTurk's field name
    timestamp: WireNumber
    amount: WireNumber
    fee: WireNumber | None = None
    tax: WireNumber | None = None
    orderClientId: str | None = None  # noqa: N815 - BtcTurk's field name
