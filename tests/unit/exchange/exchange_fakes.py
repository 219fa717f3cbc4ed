"""Helpers for the exchange client's unit tests: captured samples and a recording fake BtcTurk."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

from btcbot.adapters.clock import ManualClock
from btcbot.exchange.client import BtcturkClient
from btcbot.exchange.session import RetryPolicy

SAMPLES = Path(__file__).parent / "samples"
API_KEY = "test-public-key"
API_SECRET = base64.b64encode(b"canary-secret-bytes-0123456789").decode()
START = datetime(2026, 9, 23, 3, 20, tzinfo=UTC)

Handler = Callable[[httpx.Request], httpx.Response]


def load_sample(name: str) -> Any:
    """A captured BtcTurk body from ``samples/`` (copied verbatim from the API reference)."""
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def envelope(data: Any) -> dict[str, Any]:
    """BtcTurk's success envelope around ``data``."""
    return {"data": data, "success": True, "message": None, "code": 0}


class Recorder:
    """A fake BtcTurk: routes by path to handlers and records every request it saw."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.requests: list[httpx.Request] = []
        self.routes: dict[tuple[str, str], Handler] = {}
        self.route("GET", "/api/v2/server/time", lambda _r: self.server_time())

    def server_time(self) -> httpx.Response:
        """The server's time equals the fake clock's."""
        ms = int(self.clock.now().timestamp() * 1000)
        return httpx.Response(200, json={"serverTime": ms, "serverTime2": "x"})

    def route(self, method: str, path: str, handler: Handler) -> None:
        """Answer ``method path`` with ``handler``."""
        self.routes[(method, path)] = handler

    def json(self, method: str, path: str, body: Any, status: int = 200) -> None:
        """Answer ``method path`` with a fixed JSON body."""
        self.route(method, path, lambda _r: httpx.Response(status, json=body))

    def __call__(self, request: httpx.Request) -> httpx.Response:
        """Serve one request (the MockTransport handler)."""
        self.requests.append(request)
        handler = self.routes.get((request.method, request.url.path))
        if handler is None:
            return httpx.Response(404)
        return handler(request)

    def sent(self, method: str, path: str) -> list[httpx.Request]:
        """Requests seen for ``method path``."""
        return [r for r in self.requests if r.method == method and r.url.path == path]


def new_fake() -> Recorder:
    """A fake BtcTurk whose clock starts at ``START`` and moves only when told to."""
    return Recorder(ManualClock(START))


def build_client(fake: Recorder, **overrides: Any) -> BtcturkClient:
    """A client over ``fake`` with test credentials; keyword overrides pass through."""
    options: dict[str, Any] = {
        "base_url": "https://api.btcturk.test",
        "graph_url": "https://graph.btcturk.test",
        "api_key": API_KEY,
        "api_secret": API_SECRET,
        "clock": fake.clock,
        "transport": httpx.MockTransport(fake),
        "retry_policy": RetryPolicy(attempts=3),
        # These tests stand in for an armed live process talking to a fake BtcTurk: the egress
        # guard's answer is "allowed" (the guard itself: test_egress.py and the combinations).
        "egress": lambda _kind: [],
    }
    options.update(overrides)
    return BtcturkClient(**options)
