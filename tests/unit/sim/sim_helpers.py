"""Helpers for the emulator's unit tests: a manual clock, small feeds, a direct WSGI caller.

A uniquely named module rather than a conftest.py: tests are not packages, so two conftest
modules would collide for mypy.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from btcbot.adapters.clock import ManualClock
from btcbot.sim.app import SimApp
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET, sign
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.feed import Bar
from btcbot.sim.model import SimOrder, SimTrade
from btcbot.sim.validation import parse_order

START = datetime(2026, 9, 23, 12, 0, tzinfo=UTC)  # on a minute boundary


def flat(price: int, volume: str = "1", wick: int = 0) -> Bar:
    """A candle that opens and closes at ``price`` with wicks ``wick`` either side."""
    p = Decimal(price)
    return Bar(p, p + wick, p - wick, p, Decimal(volume))


def new_clock() -> ManualClock:
    """A manual clock at START."""
    return ManualClock(START)


def build_sim(clock: ManualClock, bars: list[Bar] | None = None, **config: Any) -> SimExchange:
    """A SimExchange over ``bars`` for BTCTRY (flat 1,000,000 TRY by default), minute 2 at START."""
    feed = bars or [flat(1_000_000)] * 10
    cfg = SimConfig(history_minutes=config.pop("history_minutes", 2), **config)
    return SimExchange({"BTCTRY": feed, "ETHTRY": [flat(100_000)] * 10}, now=clock.now, config=cfg)


def place(sim: SimExchange, **fields: Any) -> SimOrder:
    """Submit a BTCTRY limit buy overridden by ``fields``, as one request would."""
    body = {"pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "limit", **fields}
    sim.advance()
    return sim.submit(parse_order(body, sim.pairs))


def through_the_next_minute(sim: SimExchange, clock: ManualClock) -> None:
    """Run the market to the end of the minute after START's (bar 3 of ``build_sim``'s feed)."""
    clock.advance(120)
    sim.advance()


def trades_of(sim: SimExchange, order: SimOrder) -> list[SimTrade]:
    """The account's trades of ``order``, in the order they happened."""
    return [t for t in sim.trades if t.order_id == order.id]


@dataclass
class Reply:
    """What the WSGI app answered."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


def wsgi_call(
    clock: ManualClock,
    app: SimApp,
    method: str,
    path: str,
    *,
    query: str = "",
    body: Any = None,
    signed: bool = False,
    headers: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Reply:
    """Call ``app`` with a minimal environ; ``signed=True`` adds valid HMAC headers at ``clock``."""
    raw = (
        body
        if isinstance(body, bytes)
        else (json.dumps(body).encode() if body is not None else b"")
    )
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "CONTENT_LENGTH": str(len(raw)),
        "CONTENT_TYPE": content_type if raw else "",
        "wsgi.input": io.BytesIO(raw),
    }
    sent = dict(headers or {})
    if signed:
        stamp = int(clock.now().timestamp() * 1000)
        sent.update(
            {
                "X-PCK": DEFAULT_API_KEY,
                "X-Stamp": str(stamp),
                "X-Signature": sign(DEFAULT_API_KEY, DEFAULT_API_SECRET, stamp),
            }
        )
    for name, value in sent.items():
        environ["HTTP_" + name.upper().replace("-", "_")] = value
    captured: dict[str, Any] = {}

    def start_response(status: str, hdrs: list[tuple[str, str]]) -> None:
        captured["status"] = int(status.split(maxsplit=1)[0])
        captured["headers"] = {k.lower(): v for k, v in hdrs}

    payload = b"".join(app(environ, start_response))
    return Reply(captured["status"], captured["headers"], payload)
