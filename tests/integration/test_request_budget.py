"""The cycle's requests against the in-process emulator: shared reads once per cycle, not per pair.

BtcTurk's quotas are shared by every client on the account and IP (API.md section 6), so what
one cycle asks for is a budget: one ticker, one openOrders and one own-trades read for every
symbol together; the order book only for a symbol an order would go to; ``allOrders`` only
where an order's fate is unknown (and at startup); an order read only for an order the two
lists did not explain.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from btcbot.adapters.clock import Clock
from btcbot.exchange.transport import EmulatorTransport
from btcbot.settings import Settings
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DemoOptions, InProcessLive, in_process_live
from btcbot.wiring.live_cycle import build_cycle

CYCLES = 30


class _Counting(httpx.BaseTransport):
    """Counts requests by method and path (an order id is one endpoint)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.seen: Counter[str] = Counter()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Count, then let the emulator answer."""
        parts = request.url.path.split("/")
        path = "/".join("{id}" if p.isdigit() else p for p in parts)
        self.seen[f"{request.method} {path}"] += 1
        return self.inner.handle_request(request)

    def take(self) -> Counter[str]:
        """The counts since the last ``take``."""
        seen, self.seen = self.seen, Counter()
        return seen


_METERS: list[_Counting] = []


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    meter = _Counting(transport)
    _METERS.append(meter)
    return build_live(settings, clock=clock, transport=meter)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[InProcessLive]:
    """The demo's LIVE stack: BTCTRY and ETHTRY on the emulator, 60-s cycles."""
    with in_process_live(DemoOptions(workspace=tmp_path, seed=5), _build) as stack:
        yield stack


def test_each_cycle_reads_the_account_once_for_every_symbol(live: InProcessLive) -> None:
    """Thirty cycles over two symbols: the candles are the only per-pair request of every cycle."""
    meter = _METERS[-1]
    symbols = len(live.options.symbols)
    cycle = build_cycle(live.options, live.deps, live.client)
    assert cycle.startup()
    startup = meter.take()
    assert startup["GET /api/v1/allOrders"] == symbols  # startup searches every history
    for n in range(1, CYCLES + 1):
        assert cycle(n).error is None
        live.clock.advance(live.options.cycle_seconds)
    seen = meter.take()
    assert seen["POST /api/v1/order"] > 0, "the run must trade for the order reads to matter"
    assert seen["GET /api/v2/ticker"] == CYCLES
    assert seen["GET /api/v1/openOrders"] == CYCLES
    assert seen["GET /api/v1/users/transactions/trade"] == CYCLES
    # The order book only where an order would go: at most one per order sent.
    assert 0 < seen["GET /api/v2/orderbook"] <= seen["POST /api/v1/order"]
    assert seen["GET /graph/v1/klines/history"] <= CYCLES * symbols
    # Orders are filled at once here, so nothing is ever of unknown fate: no history search.
    assert seen["GET /api/v1/allOrders"] == 0
    # Each order leaves openOrders filled: read once to learn its end, never again.
    assert seen["GET /api/v1/order/{id}"] == seen["POST /api/v1/order"]
    # The books check: once a minute of exchange time (start-up checked at cycle 1's time).
    assert seen["GET /api/v1/users/balances"] == CYCLES - 1
    assert seen["GET /api/v1/users/transactions/crypto"] == CYCLES - 1
