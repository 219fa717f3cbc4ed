"""Handlers of the public REST API, ``/api/v2`` (no authentication)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from btcbot.sim import marketdata
from btcbot.sim.candles import aggregate, parse_resolution
from btcbot.sim.messages import Request, Response, json_response
from btcbot.sim.pairs import PairSpec, normalize_symbol
from btcbot.sim.validation import SimRejectError
from btcbot.sim.wire import ok, text

if TYPE_CHECKING:
    from btcbot.sim.app import SimApp


def require_pair(app: SimApp, raw: str | None) -> PairSpec:
    """The pair named by a ``pairSymbol`` argument, or BtcTurk's 400/1037 answers."""
    if not raw:
        raise SimRejectError("INVALID_REQUEST_ERROR", 1037, full=False)
    spec = app.sim.pairs.get(normalize_symbol(raw))
    if spec is None:
        raise SimRejectError(f"Pair {normalize_symbol(raw)} does not exists.", 1037, full=False)
    return spec


def _int_arg(req: Request, name: str, default: int, cap: int) -> int:
    raw = req.arg(name)
    if raw is None:
        return default
    if not raw.isdigit():
        raise SimRejectError("INVALID_REQUEST_ERROR", 1037, full=False)
    return max(1, min(int(raw), cap))


def server_time(app: SimApp, _req: Request) -> Response:
    """Bare object: serverTime (int ms) and serverTime2 (ISO, 7 fractional digits)."""
    ms = app.server_ms()
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    iso = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond:06d}0+00:00"
    return json_response(200, {"serverTime": ms, "serverTime2": iso})


def ping(_app: SimApp, _req: Request) -> Response:
    """Bare ``{"pong": true}``."""
    return json_response(200, {"pong": True})


def exchange_info(app: SimApp, _req: Request) -> Response:
    """Enveloped symbols, currencies and operation blocks."""
    data = marketdata.exchange_info(app.sim)
    data["serverTime"] = app.server_ms()
    return json_response(200, ok(data))


def ticker(app: SimApp, req: Request) -> Response:
    """An array even for one pair; an unknown pair gives 200 with ``data: []``."""
    raw = req.arg("pairSymbol")
    specs = list(app.sim.pairs.values())
    if raw:
        specs = [s for s in specs if s.symbol == normalize_symbol(raw)]
    return json_response(200, ok([marketdata.ticker(app.sim, s) for s in specs]))


def ticker_currency(app: SimApp, req: Request) -> Response:
    """Tickers of every pair that has ``symbol`` on either side."""
    currency = (req.arg("symbol") or "").upper()
    specs = [s for s in app.sim.pairs.values() if currency in (s.numerator, s.denominator)]
    return json_response(200, ok([marketdata.ticker(app.sim, s) for s in specs]))


def orderbook(app: SimApp, req: Request) -> Response:
    """Up to 100 levels a side (``limit`` caps it)."""
    spec = require_pair(app, req.arg("pairSymbol"))
    limit = _int_arg(req, "limit", 100, 100)
    return json_response(200, ok(marketdata.order_book(app.sim, spec, limit)))


def trades(app: SimApp, req: Request) -> Response:
    """The last ``last`` public prints (default 50, at most 1000), newest first."""
    spec = require_pair(app, req.arg("pairSymbol"))
    last = _int_arg(req, "last", 50, 1000)
    return json_response(200, ok(marketdata.public_trades(app.sim, spec, last)))


def ohlc(app: SimApp, req: Request) -> Response:
    """The older daily endpoint: enveloped, values as strings, ``time`` in **ms**."""
    spec = require_pair(app, req.arg("pairSymbol"))
    last = _int_arg(req, "last", 30, 1000)
    now = app.sim.epoch()
    day = parse_resolution("1D")
    rows = aggregate(app.sim.feeds[spec.symbol], day, int(now) - last * 86_400, int(now), now)
    data = []
    for agg in rows[-last:]:
        change = agg.close - agg.open
        data.append(
            {
                "pairSymbol": spec.symbol,
                "pairNormalized": spec.normalized,
                "time": agg.start * 1000,
                "open": text(agg.open.quantize(spec.price_quantum)),
                "high": text(agg.high.quantize(spec.price_quantum)),
                "low": text(agg.low.quantize(spec.price_quantum)),
                "close": text(agg.close.quantize(spec.price_quantum)),
                "volume": text(agg.volume.quantize(Decimal("0.00000001"))),
                "average": text((agg.turnover / agg.volume).quantize(spec.price_quantum))
                if agg.volume
                else text(agg.close),
                "dailyChangeAmount": text(change.quantize(spec.price_quantum)),
                "dailyChangePercentage": text((change / agg.open * 100).quantize(Decimal("0.01"))),
            }
        )
    return json_response(200, ok(data))
