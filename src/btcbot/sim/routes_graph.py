"""Handlers of the graph API (candles), served under ``/graph/v1`` — no envelope, numbers.

Deliberate choices (docs/EMULATOR.md): a negative or missing ``from``/``to`` gets HTTP 400
``{"s":"error","errmsg":...}`` (a real request with ccxt's negative ``from`` got 400 too); an
empty range answers ``{"s":null,"t":[],...}`` as captured.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from btcbot.sim.candles import aggregate, parse_resolution
from btcbot.sim.messages import Request, Response, json_response
from btcbot.sim.pairs import normalize_symbol
from btcbot.sim.wire import num

if TYPE_CHECKING:
    from btcbot.sim.app import SimApp

_DAY = 86_400


def _bad(message: str) -> Response:
    return json_response(400, {"s": "error", "errmsg": message})


def _range(req: Request, now: float) -> tuple[int, int] | str:
    raw_from, raw_to = req.arg("from"), req.arg("to")
    if raw_to is None:
        raw_to = str(int(now))
    if raw_from is None or not raw_from.isdigit() or not raw_to.isdigit():
        return "from and to must be non-negative Unix seconds"
    return int(raw_from), int(raw_to)


def klines_history(app: SimApp, req: Request) -> Response:
    """TradingView-style ``{s,t,o,h,l,c,v}`` for ``symbol``, ``resolution``, ``from``, ``to``."""
    symbol = normalize_symbol(req.arg("symbol") or "")
    feed = app.sim.feeds.get(symbol)
    if feed is None:
        return _bad(f"unknown symbol {symbol!r}")
    try:
        resolution = parse_resolution(req.arg("resolution") or "")
    except ValueError:
        return _bad("INVALID_RESOLUTION_FOR_TIME_INTERVAL")
    span = _range(req, app.sim.epoch())
    if isinstance(span, str):
        return _bad(span)
    quantum = app.sim.pairs[symbol].price_quantum
    rows = aggregate(feed, resolution, span[0], span[1], app.sim.epoch())
    out: dict[str, Any] = {"s": "ok" if rows else None}
    out["t"] = [r.start for r in rows]
    out["o"] = [num(r.open.quantize(quantum)) for r in rows]
    out["h"] = [num(r.high.quantize(quantum)) for r in rows]
    out["l"] = [num(r.low.quantize(quantum)) for r in rows]
    out["c"] = [num(r.close.quantize(quantum)) for r in rows]
    out["v"] = [num(r.volume.quantize(Decimal("0.00000001"))) for r in rows]
    return json_response(200, out)


def ohlcs(app: SimApp, req: Request) -> Response:
    """Daily candles of ``pair`` as a bare array; ``time`` in seconds, values numbers."""
    symbol = normalize_symbol(req.arg("pair") or "")
    feed = app.sim.feeds.get(symbol)
    if feed is None:
        return _bad(f"unknown pair {symbol!r}")
    now = app.sim.epoch()
    raw_from, raw_to = req.arg("from"), req.arg("to")
    start = int(raw_from) if raw_from and raw_from.isdigit() else 0
    end = int(raw_to) if raw_to and raw_to.isdigit() else int(now)
    quantum = app.sim.pairs[symbol].price_quantum
    out = []
    for r in aggregate(feed, _DAY, start, end, now):
        change = r.close - r.open
        out.append(
            {
                "pair": symbol,
                "time": r.start,
                "open": num(r.open.quantize(quantum)),
                "high": num(r.high.quantize(quantum)),
                "low": num(r.low.quantize(quantum)),
                "close": num(r.close.quantize(quantum)),
                "volume": num(r.volume.quantize(Decimal("0.00000001"))),
                "total": num(r.turnover.quantize(Decimal("0.01"))),
                "average": num((r.turnover / r.volume).quantize(quantum) if r.volume else r.close),
                "dailyChangeAmount": num(change.quantize(quantum)),
                "dailyChangePercentage": num((change / r.open * 100).quantize(Decimal("0.01"))),
            }
        )
    return json_response(200, out)
