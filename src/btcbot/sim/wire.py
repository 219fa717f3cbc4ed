"""BtcTurk's JSON shapes: envelopes, error bodies, number formats and the order/trade objects.

Written from API.md and the captured samples, independently of ``btcbot.exchange`` (the wire
format is deliberately written twice). Where captures show strings the emulator sends strings;
where they show JSON numbers it sends numbers.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from btcbot.sim.model import SimOrder, SimTrade
from btcbot.sim.pairs import ASSET_NAMES, PairSpec


def num(value: Decimal) -> int | float:
    """A JSON number: an integer when the value is whole (as BtcTurk prints TRY prices)."""
    return int(value) if value == value.to_integral_value() else float(value)


def text(value: Decimal) -> str:
    """A plain decimal string without exponent or trailing zeros (``0.001``, ``3850000``)."""
    normal = value.normalize()
    return format(normal if normal != 0 else Decimal(0), "f")


def text_fixed(value: Decimal, places: int) -> str:
    """A decimal string with exactly ``places`` decimals (``leftAmount``, balances, fees)."""
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def ok(data: Any, *, message: str | None = None) -> dict[str, Any]:
    """The success envelope, keys in the captured order: data, success, message, code."""
    return {"data": data, "success": True, "message": message, "code": 0}


def error(message: str, code: int | str, *, status: int, full: bool) -> dict[str, Any]:
    """A failure body; ``full`` adds ``httpStatusCode`` and ``data: null`` as order errors carry."""
    if full:
        return {
            "httpStatusCode": status,
            "data": None,
            "success": False,
            "message": message,
            "code": code,
        }
    return {"success": False, "message": message, "code": code}


def order_object(order: SimOrder, spec: PairSpec, *, first_price: Decimal | None) -> dict[str, Any]:
    """The order object of openOrders/allOrders/order/{id} (API.md 4.4).

    ``price`` of a market order is its first fill's price ("price reflects only the first
    partial fill"), else its stop price (a stop-market order, as captured), else ``0``.
    ``time`` is the creation time here; openOrders overwrites it with ``0`` as BtcTurk does.
    """
    price = (
        order.price if order.price is not None else (first_price or order.stop_price or Decimal(0))
    )
    return {
        "id": order.id,
        "price": text(price),
        "amount": text(order.quantity),
        "quantity": text(order.quantity),
        "stopPrice": text(order.stop_price or Decimal(0)),
        "pairSymbol": spec.symbol,
        "pairSymbolNormalized": spec.normalized,
        "type": order.side,
        "method": order.method,
        "orderClientId": order.client_id,
        "time": order.created_ms,
        "updateTime": order.updated_ms,
        "status": order.status,
        "leftAmount": text_fixed(order.left, 16),
    }


def submitted_order(order: SimOrder, spec: PairSpec) -> dict[str, Any]:
    """``data`` of a successful POST /api/v1/order (sample rest_v1_order_post_success.json)."""
    return {
        "id": order.id,
        "quantity": text(order.quantity),
        "price": text(order.price or Decimal(0)),
        "stopPrice": text(order.stop_price or Decimal(0)),
        "newOrderClientId": order.client_id,
        "type": order.side,
        "method": order.method,
        "pairSymbol": spec.symbol,
        "pairSymbolNormalized": spec.normalized,
        "datetime": order.created_ms,
    }


def own_trade(trade: SimTrade) -> dict[str, Any]:
    """One users/transactions/trade item: sells' amount, and every fee and tax, negative."""
    amount = trade.amount if trade.side == "buy" else -trade.amount
    return {
        "price": text(trade.price),
        "numeratorSymbol": trade.numerator,
        "denominatorSymbol": trade.denominator,
        "orderType": trade.side,
        "orderId": trade.order_id,
        "id": trade.id,
        "timestamp": trade.timestamp_ms,
        "amount": text(amount),
        "fee": text_fixed(-trade.fee, 8),
        "tax": text_fixed(-trade.tax, 8),
        "orderClientId": trade.client_id,
        "preciseAmount": num(amount),
    }


def balance(asset: str, free: Decimal, locked: Decimal) -> dict[str, Any]:
    """One users/balances item (strings with 16 decimals; precision an int)."""
    return {
        "asset": asset,
        "assetname": ASSET_NAMES.get(asset, asset),
        "balance": text_fixed(free + locked, 16),
        "locked": text_fixed(locked, 16),
        "free": text_fixed(free, 16),
        "orderFund": text_fixed(locked, 16),
        "requestFund": text_fixed(Decimal(0), 16),
        "precision": 2 if asset == "TRY" else 8,
    }
