"""Request validation and parameter building: a request refused here never reaches the network.

Refusals are ``ExchangeRejectError`` with ``name="CLIENT_VALIDATION"`` and no code, so callers
treat them like a definitive venue reject (never ambiguous, never retried).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import ExchangeRejectError
from btcbot.domain.models import OrderRequest

_PAIR = re.compile(r"^[A-Z0-9]{2,12}_?[A-Z0-9]{2,12}$")
_MAX_CLIENT_ID = 50  # BtcTurk: newOrderClientId is a string of at most 50 characters
_MAX_INT64 = 2**63 - 1
_MAX_WIRE_NUMBER = Decimal(10) ** 12  # swagger: ^\d{0,12}(\.\d{1,16})?$
_MAX_DECIMALS = 16
_RESOLUTIONS = frozenset({1, 5, 15, 30, 60, 240, 1440, 10080})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NEEDS_PRICE = (OrderMethod.LIMIT, OrderMethod.STOP_LIMIT)
_NEEDS_STOP = (OrderMethod.STOP_LIMIT, OrderMethod.STOP_MARKET)


def _refuse(detail: str, endpoint: str) -> ExchangeRejectError:
    return ExchangeRejectError(
        f"refused before sending: {detail}", endpoint=endpoint, code=None, name="CLIENT_VALIDATION"
    )


def pair(symbol: str, endpoint: str = "request") -> str:
    """``BTCTRY`` from ``btctry``/``BTC_TRY``; anything else is refused."""
    text = symbol.strip().upper() if isinstance(symbol, str) else ""
    if not _PAIR.fullmatch(text):
        raise _refuse(f"{symbol!r} is not a pair symbol like BTCTRY", endpoint)
    return text.replace("_", "")


def bounded(value: int, name: str, low: int, high: int) -> int:
    """``value`` if ``low <= value <= high`` (and an int), else refused."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _refuse(f"{name} must be an integer in [{low}, {high}], got {value!r}", "request")
    return value


def order_id(value: int) -> int:
    """A positive int64 order id."""
    return bounded(value, "order id", 1, _MAX_INT64)


def ms(moment: datetime, name: str) -> int:
    """Milliseconds since the epoch of an aware datetime."""
    if moment.tzinfo is None:
        raise _refuse(f"{name} must be timezone-aware", "request")
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def kline_params(
    symbol: str, resolution_minutes: int, start: datetime, end: datetime
) -> dict[str, Any]:
    """Graph ``klines/history`` query: ``from``/``to`` are **seconds** (API.md §3.6)."""
    if resolution_minutes not in _RESOLUTIONS:
        raise _refuse(
            f"resolution {resolution_minutes} is not one of {sorted(_RESOLUTIONS)}", "request"
        )
    # Both checked for a zone before they are compared: a naive one is this refusal, not a
    # TypeError from comparing it with an aware one.
    start_ms, end_ms = ms(start, "start"), ms(end, "end")
    if end_ms <= start_ms:
        raise _refuse("klines end must be after start", "request")
    return {
        "symbol": pair(symbol),
        "resolution": str(resolution_minutes),
        "from": start_ms // 1000,
        "to": end_ms // 1000,
    }


def all_orders_params(
    symbol: str, start: datetime | None, end: datetime | None, limit: int
) -> dict[str, Any]:
    """``allOrders`` query. Times go as ``startTime``/``endTime`` in **milliseconds**.

    API.md §4.5 marks the unit uncertain (BtcTurk.Net sends ms, ccxt seconds). Every other
    BtcTurk time parameter and field is ms, and a ms value read as seconds would be far in the
    future (an empty or clamped window) rather than silently wrong, so ms is the choice.
    """
    params: dict[str, Any] = {"pairSymbol": pair(symbol), "limit": bounded(limit, "limit", 1, 1000)}
    if start is not None:
        params["startTime"] = ms(start, "start")
    if end is not None:
        params["endTime"] = ms(end, "end")
    return params


def own_trades_params(
    start: datetime | None, end: datetime | None, order: int | None
) -> dict[str, Any] | None:
    """``users/transactions/trade`` query; ``orderId`` must be sent alone (API.md §4.7)."""
    if order is not None:
        return {"orderId": order_id(order)}
    params: dict[str, Any] = {}
    if start is not None:
        params["startDate"] = ms(start, "start")
    if end is not None:
        params["endDate"] = ms(end, "end")
    return params or None


def wire_decimal(value: Decimal | None, name: str, endpoint: str) -> str:
    """A positive finite decimal in plain notation, within BtcTurk's 12.16 digit pattern."""
    if value is None or not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
        raise _refuse(f"{name} must be a positive decimal, got {value!r}", endpoint)
    if value >= _MAX_WIRE_NUMBER:
        raise _refuse(f"{name} {value} has more than 12 integer digits", endpoint)
    text = format(value.normalize(), "f")
    decimals = len(text.partition(".")[2])
    if decimals > _MAX_DECIMALS:
        raise _refuse(f"{name} {value} has more than 16 decimals", endpoint)
    return text


def order_body(request: OrderRequest) -> dict[str, str]:
    """The JSON body of ``POST /api/v1/order`` (documented field names), validated."""
    endpoint = "POST /api/v1/order"
    cid = request.client_order_id
    if not isinstance(cid, str) or not cid.strip() or len(cid) > _MAX_CLIENT_ID:
        raise _refuse("client order id must be 1..50 characters", endpoint)
    if not isinstance(request.side, Side) or not isinstance(request.method, OrderMethod):
        raise _refuse("side and method must be btcbot enums", endpoint)
    body = {
        "quantity": wire_decimal(request.quantity, "quantity", endpoint),
        "newOrderClientId": cid,
        "orderMethod": request.method.value,
        "orderType": request.side.value,
        "pairSymbol": pair(request.symbol, endpoint),
    }
    if request.method in _NEEDS_PRICE:
        body["price"] = wire_decimal(request.price, "price", endpoint)
    elif request.price is not None:
        raise _refuse("a market order must not carry a price", endpoint)
    if request.method in _NEEDS_STOP:
        body["stopPrice"] = wire_decimal(request.stop_price, "stop price", endpoint)
    return body
