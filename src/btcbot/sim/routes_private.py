"""Handlers of the private REST API, ``/api/v1`` (the app has verified the HMAC already)."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from btcbot.sim.messages import Request, Response, json_response
from btcbot.sim.model import SimOrder, SimTransfer
from btcbot.sim.routes_public import require_pair
from btcbot.sim.validation import SimRejectError, parse_order
from btcbot.sim.wire import balance, ok, order_object, own_trade, submitted_order

if TYPE_CHECKING:
    from btcbot.sim.app import SimApp

_THIRTY_DAYS_MS = 30 * 86_400_000
_SECONDS_BELOW = 100_000_000_000  # a stamp this small is seconds (year 5138 in seconds)


def _ms_arg(req: Request, name: str) -> int | None:
    """A time argument in ms; values below 1e11 are taken as seconds (ccxt sends seconds)."""
    raw = req.arg(name)
    if raw is None or raw == "":
        return None
    if not raw.lstrip("-").isdigit():
        raise SimRejectError("INVALID_REQUEST_ERROR", 1037, full=False)
    value = int(raw)
    return value * 1000 if abs(value) < _SECONDS_BELOW else value


def _first_price(app: SimApp, order: SimOrder) -> Decimal | None:
    if order.method != "market":
        return None
    return next((t.price for t in app.sim.trades if t.order_id == order.id), None)


def _order_json(app: SimApp, order: SimOrder) -> dict[str, Any]:
    return order_object(order, app.sim.pairs[order.symbol], first_price=_first_price(app, order))


def balances(app: SimApp, _req: Request) -> Response:
    """Every asset of the account, TRY first."""
    acct = app.sim.account
    data = [
        balance(a, acct.free.get(a, Decimal(0)), acct.locked.get(a, Decimal(0)))
        for a in acct.assets()
    ]
    return json_response(200, ok(data))


def submit(app: SimApp, req: Request) -> Response:
    """POST /order: JSON body only (415 otherwise); 200 with ``httpStatusCode`` on success."""
    if "json" not in req.headers.get("content-type", "").lower():
        return Response(415)
    try:
        body = json.loads(req.body.decode("utf-8") or "null", parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SimRejectError("INVALID_REQUEST_ERROR", 1037) from exc
    if not isinstance(body, dict):
        raise SimRejectError("INVALID_REQUEST_ERROR", 1037)
    order = app.sim.submit(parse_order(body, app.sim.pairs))
    data = submitted_order(order, app.sim.pairs[order.symbol])
    return json_response(200, {"httpStatusCode": 200, **ok(data, message="SUCCESS")})


def cancel(app: SimApp, req: Request) -> Response:
    """DELETE /order?id=: 200 at once; the order turns Canceled on a later request."""
    raw = req.arg("id")
    if raw is None or not raw.isdigit():
        raise SimRejectError("NO_ORDER_MATCHES_YOUR_REQUEST", 1052, full=False)
    app.sim.cancel(int(raw))
    return json_response(200, {"success": True, "message": "SUCCESS", "code": 0})


def single_order(app: SimApp, req: Request) -> Response:
    """GET /order/{id}; unknown -> 400 ``Order not found`` 1152."""
    raw = req.path_params.get("id", "")
    order = app.sim.orders.get(int(raw)) if raw.isdigit() else None
    if order is None:
        raise SimRejectError("Order not found", 1152, full=False)
    return json_response(200, ok(_order_json(app, order)))


def open_orders(app: SimApp, req: Request) -> Response:
    """Untouched/Partial orders: sells in ``asks``, buys in ``bids``, ``time`` 0 as observed."""
    raw = req.arg("pairSymbol")
    symbol = require_pair(app, raw).symbol if raw else None
    asks: list[dict[str, Any]] = []
    bids: list[dict[str, Any]] = []
    for order in sorted(app.sim.open.values(), key=lambda o: o.id):
        if symbol is None or order.symbol == symbol:
            item = {**_order_json(app, order), "time": 0}
            (bids if order.side == "buy" else asks).append(item)
    return json_response(200, ok({"asks": asks, "bids": bids}))


def all_orders(app: SimApp, req: Request) -> Response:
    """Orders of one pair, newest first; orderId (>=), startTime/endTime, page, limit/last."""
    symbol = require_pair(app, req.arg("pairSymbol")).symbol
    min_id = int(req.arg("orderId") or 0) if (req.arg("orderId") or "0").isdigit() else 0
    start, end = _ms_arg(req, "startTime"), _ms_arg(req, "endTime")
    raw_limit = req.arg("limit") or req.arg("last") or "100"
    limit = max(1, min(int(raw_limit), 1000)) if raw_limit.isdigit() else 100
    raw_page = req.arg("page") or "1"
    page = max(1, int(raw_page)) if raw_page.isdigit() else 1
    chosen = [
        o
        for o in reversed(app.sim.orders.values())
        if o.symbol == symbol
        and o.id >= min_id
        and (start is None or o.created_ms >= start)
        and (end is None or o.created_ms <= end)
    ]
    window = chosen[(page - 1) * limit : page * limit]
    return json_response(200, ok([_order_json(app, o) for o in window]))


def own_trades(app: SimApp, req: Request) -> Response:
    """users/transactions/trade, newest first; ``orderId`` is used alone, as BtcTurk says."""
    raw_order = req.arg("orderId")
    if raw_order:
        wanted = int(raw_order) if raw_order.isdigit() else -1
        rows = [t for t in app.sim.trades if t.order_id == wanted]
        return json_response(200, ok([own_trade(t) for t in reversed(rows)]))
    now = app.sim.ms()
    start = _ms_arg(req, "startDate")
    end = _ms_arg(req, "endDate")
    start = now - _THIRTY_DAYS_MS if start is None else start
    end = now if end is None else end
    types = {t.lower() for t in req.args("type")}
    currencies = {c.upper() for c in req.args("symbol")}
    raw_pair = req.arg("pairSymbol")
    pair = require_pair(app, raw_pair).symbol if raw_pair else None
    rows = [
        t
        for t in app.sim.trades
        if start <= t.timestamp_ms <= end
        and (not types or t.side in types)
        and (not currencies or {t.numerator, t.denominator} & currencies)
        and (pair is None or t.symbol == pair)
    ]
    return json_response(200, ok([own_trade(t) for t in reversed(rows)]))


def _transfer_json(t: SimTransfer) -> dict[str, Any]:
    """One transfer row as API.md 4.7 lists its fields (amounts as strings, like trades)."""
    return {
        "id": t.id,
        "balanceType": t.kind,
        "currencySymbol": t.asset.lower(),
        "timestamp": t.timestamp_ms,
        "funds": str(t.amount),
        "amount": str(t.amount),
        "fee": str(t.fee),
        "tax": "0",
    }


def _transfers(app: SimApp, req: Request, *, fiat: bool) -> Response:
    now = app.sim.ms()
    start = _ms_arg(req, "startDate")
    end = _ms_arg(req, "endDate")
    start = now - _THIRTY_DAYS_MS if start is None else start
    end = now if end is None else end
    rows = [
        t
        for t in app.sim.transfers
        if (t.asset == "TRY") == fiat and start <= t.timestamp_ms <= end
    ]
    return json_response(200, ok([_transfer_json(t) for t in reversed(rows)]))


def crypto_transactions(app: SimApp, req: Request) -> Response:
    """users/transactions/crypto: deposits and withdrawals of coins, newest first."""
    return _transfers(app, req, fiat=False)


def fiat_transactions(app: SimApp, req: Request) -> Response:
    """users/transactions/fiat: TRY deposits and withdrawals, newest first."""
    return _transfers(app, req, fiat=True)
