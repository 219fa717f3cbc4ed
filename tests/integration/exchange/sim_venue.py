"""The client wired to the emulator, in process or over a loopback socket, with a request tally.

``Tally`` is WSGI middleware in front of the emulator's app: it counts every request that
*reached* the emulator, so "the client never sent this POST twice" is measured at the venue.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import Any

from btcbot.adapters.clock import ManualClock
from btcbot.exchange.client import BtcturkClient
from btcbot.exchange.session import RetryPolicy
from btcbot.exchange.transport import EmulatorTransport
from btcbot.sim.app import SimApp, create_app
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET
from btcbot.sim.datasets import load_feeds
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.faults import FaultPlan
from btcbot.sim.feed import Bar
from btcbot.sim.server import SimHTTPServer

START = datetime(2026, 9, 23, 12, 0, tzinfo=UTC)
KINDS = ("in_process", "socket")


@cache
def bundled_feeds() -> dict[str, list[Bar]]:
    """The packaged BTCTRY/ETHTRY candles, read once per test session."""
    return load_feeds()


@dataclass
class Tally:
    """WSGI middleware counting requests per ``METHOD path`` and order POSTs per client id."""

    app: SimApp
    requests: Counter[str] = field(default_factory=Counter)
    posts_by_client_id: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        """Record the request, then let the emulator serve it."""
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        path = str(environ.get("PATH_INFO", "/"))
        body = b""
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > 0:
            body = environ["wsgi.input"].read(length)
            environ["wsgi.input"] = _Replay(body)
        with self._lock:
            self.requests[f"{method} {path}"] += 1
            if method == "POST" and path == "/api/v1/order":
                cid = json.loads(body).get("newOrderClientId", "")
                self.posts_by_client_id[str(cid)] += 1
        return self.app(environ, start_response)


class _Replay:
    """A ``wsgi.input`` that hands back a body already read."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def read(self, size: int = -1) -> bytes:
        """Return (and consume) up to ``size`` bytes of the body."""
        chunk = self._body if size < 0 else self._body[:size]
        self._body = self._body[len(chunk) :]
        return chunk


@dataclass
class Venue:
    """A client talking to an emulator, and the handles a test needs on both."""

    client: BtcturkClient
    sim: SimExchange
    app: SimApp
    tally: Tally
    clock: ManualClock
    url: str  # where the client sends its requests


@contextmanager
def open_venue(
    kind: str,
    *,
    faults: str = "",
    config: SimConfig | None = None,
    rate_limits: bool = True,
    **client_options: Any,
) -> Iterator[Venue]:
    """An emulator and a client on it; ``kind`` is ``in_process`` or ``socket`` (loopback)."""
    clock = ManualClock(START)
    sim = SimExchange(bundled_feeds(), now=clock.now, config=config)
    app = create_app(sim, FaultPlan.parse(faults), rate_limits=rate_limits, sleep=lambda _s: None)
    tally = Tally(app)
    options: dict[str, Any] = {
        "api_key": DEFAULT_API_KEY,
        "api_secret": DEFAULT_API_SECRET,
        "clock": clock,
        "retry_policy": RetryPolicy(attempts=1),
        "timeout": 2.0,
    }
    options.update(client_options)
    if kind == "in_process":
        base = "http://127.0.0.1"
        client = BtcturkClient(
            base_url=base, graph_url=f"{base}/graph", transport=EmulatorTransport(tally), **options
        )
        try:
            yield Venue(client, sim, app, tally, clock, base)
        finally:
            client.close()
        return
    server = SimHTTPServer(("127.0.0.1", 0), tally, stall_seconds=10.0)
    thread = threading.Thread(target=server.serve_forever, name="sim-test-http", daemon=True)
    thread.start()
    client = BtcturkClient(base_url=server.url, graph_url=f"{server.url}/graph", **options)
    try:
        yield Venue(client, sim, app, tally, clock, server.url)
    finally:
        client.close()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
