"""Wire orders, order acks and own trades to domain ``Order``/``OrderAck``/``Fill``."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from btcbot.domain.enums import OrderMethod
from btcbot.domain.errors import MalformedResponseError
from btcbot.domain.models import Fill, Order, OrderAck
from btcbot.exchange import dto
from btcbot.exchange import wire as w

_ZERO = Decimal(0)


def to_order(data: Any, endpoint: str) -> Order:
    """One order object (openOrders, allOrders, order/{id}).

    The original size is ``amount`` when present, else ``quantity``: they are equal for limit
    orders, but a triggered stop's market child carries a meaningless ``quantity``
    (``0.0000000000001288``) next to the real ``amount`` (API.md §8, sample allOrders).
    A ``stopPrice`` of 0 means "no stop" and maps to ``None``.
    """
    return _order(w.validate(dto.OrderDTO, data, endpoint), endpoint)


def _order(o: dto.OrderDTO, endpoint: str) -> Order:
    size = o.amount if o.amount is not None else o.quantity
    if size is None:
        raise MalformedResponseError("order has neither amount nor quantity", endpoint=endpoint)
    stop = w.opt_dec(o.stopPrice, "stopPrice", endpoint)
    return Order(
        order_id=o.id,
        client_order_id=o.orderClientId,
        symbol=o.pairSymbol.replace("_", "").upper(),
        side=w.side(o.type, "type", endpoint),
        method=w.method(o.method, "method", endpoint),
        price=w.opt_dec(o.price, "price", endpoint),
        stop_price=stop or None,
        quantity=w.dec(size, "amount", endpoint),
        left_quantity=w.dec(o.leftAmount, "leftAmount", endpoint),
        status=w.status(o.status, "status", endpoint),
        created_at=w.opt_from_ms(o.time, "time", endpoint),
        updated_at=w.opt_from_ms(o.updateTime, "updateTime", endpoint),
    )


def to_orders(data: Any, endpoint: str) -> list[Order]:
    """An array of order objects (allOrders)."""
    if not isinstance(data, list):
        raise MalformedResponseError("orders data is not an array", endpoint=endpoint)
    return [to_order(item, endpoint) for item in data]


def to_open_orders(data: Any, endpoint: str) -> list[Order]:
    """``{asks, bids}``: asks are our sells, bids our buys; either side may be absent or null."""
    book = w.validate(dto.OpenOrdersDTO, data, endpoint)
    return [_order(o, endpoint) for o in (book.bids or []) + (book.asks or [])]


def to_order_ack(data: Any, endpoint: str, fallback_time: datetime) -> OrderAck:
    """``data`` of a successful submit; ``datetime`` is ms."""
    a = w.validate(dto.OrderAckDTO, data, endpoint)
    method = w.method(a.method, "method", endpoint)
    price = w.opt_dec(a.price, "price", endpoint)
    return OrderAck(
        order_id=a.id,
        client_order_id=a.newOrderClientId,
        symbol=a.pairSymbol.replace("_", "").upper(),
        side=w.side(a.type, "type", endpoint),
        method=method,
        price=None if method is OrderMethod.MARKET or not price else price,
        quantity=w.dec(a.quantity, "quantity", endpoint),
        created_at=w.opt_from_ms(a.datetime, "datetime", endpoint) or fallback_time,
    )


def to_fills(data: Any, endpoint: str) -> list[Fill]:
    """Own trades; sells' negative amount and every negative fee/tax become positive.

    The side comes from ``orderType`` (never from the sign), and the fee currency is the quote
    (``denominatorSymbol``): BtcTurk charges the quote when ``commissionFromNumerator`` is false,
    which every listed pair is (API.md §4.7, [U]).
    """
    if not isinstance(data, list):
        raise MalformedResponseError("trades data is not an array", endpoint=endpoint)
    fills = []
    for item in data:
        t = w.validate(dto.UserTradeDTO, item, endpoint)
        quote = t.denominatorSymbol.upper()
        fills.append(
            Fill(
                trade_id=w.int_id(t.id, "id", endpoint),
                order_id=t.orderId,
                client_order_id=t.orderClientId,
                symbol=t.numeratorSymbol.upper() + quote,
                side=w.side(t.orderType, "orderType", endpoint),
                price=abs(w.dec(t.price, "price", endpoint)),
                quantity=abs(w.dec(t.amount, "amount", endpoint)),
                fee=abs(w.opt_dec(t.fee, "fee", endpoint) or _ZERO),
                tax=abs(w.opt_dec(t.tax, "tax", endpoint) or _ZERO),
                fee_asset=quote,
                timestamp=w.from_ms(t.timestamp, "timestamp", endpoint),
            )
        )
    return fills
