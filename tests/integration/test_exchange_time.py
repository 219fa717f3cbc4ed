"""Time is the exchange's: candles closed by its clock, and a stepped clock places nothing.

The review's finding: a candle counted as closed by the *host* clock plus 2 s; with the host
10 s ahead of the exchange the 08:59 candle was taken while still forming, and never corrected.
The emulator's ``skew`` moves its whole world (market, candle buckets, stamps) against the
shared ManualClock, which plays the host clock. Judged against the emulator's own final candles
and its own orders.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path

import pytest

from btcbot.adapters.clock import Clock
from btcbot.domain.models import Candle
from btcbot.domain.trading import RiskLimits
from btcbot.exchange.transport import EmulatorTransport
from btcbot.market_data.service import MarketDataResult, MarketDataService
from btcbot.settings import Settings
from btcbot.sim.faults import FaultPlan
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DemoOptions, InProcessLive, in_process_live
from btcbot.wiring.live_cycle import build_cycle


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    return build_live(settings, clock=clock, transport=transport)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[InProcessLive]:
    """The demo's LIVE stack on the in-process emulator, trading freely."""
    limits = RiskLimits(cooldown_after_fill_seconds=0, max_submits_per_window=1000)
    with in_process_live(DemoOptions(workspace=tmp_path), _build, limits=limits) as stack:
        yield stack


def _record_candles(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, datetime], Candle]:
    """Every candle a LIVE cycle's snapshots handed to the decision, by symbol and open time."""
    original = MarketDataService.snapshots
    seen: dict[tuple[str, datetime], Candle] = {}

    def snapshots(self: MarketDataService, symbols: Iterable[str]) -> MarketDataResult:
        result = original(self, symbols)
        for symbol, snap in result.snapshots.items():
            for candle in snap.candles:
                key = (symbol, candle.open_time)
                assert seen.setdefault(key, candle) == candle, f"{key} changed"
        return result

    monkeypatch.setattr(MarketDataService, "snapshots", snapshots)
    return seen


def _orders_at_exchange(live: InProcessLive) -> int:
    return len(live.sim_app.sim.orders)


def _run(live: InProcessLive, cycles: int, *, first: int = 1) -> None:
    cycle = build_cycle(live.options, live.deps, live.client)
    assert cycle.startup()
    for n in range(first, first + cycles):
        outcome = cycle(n)
        assert outcome.error is None, outcome.error
        live.clock.advance(60)


@pytest.mark.parametrize("skew", [-10.0, 8.0], ids=["host-10s-ahead", "host-8s-behind"])
def test_every_candle_the_cycle_sees_is_final_on_the_exchange(
    live: InProcessLive, monkeypatch: pytest.MonkeyPatch, skew: float
) -> None:
    """Cycles 5 s past the host's minute: 10 s ahead, the exchange's minute is still forming."""
    live.sim_app.sim.skew_seconds = skew
    live.clock.advance(5)
    seen = _record_candles(monkeypatch)
    _run(live, 60)
    live.clock.advance(120)
    final = {}
    for symbol in live.options.symbols:
        times = [t for s, t in seen if s == symbol]
        for c in live.client.klines(symbol, 1, min(times), max(times)):
            final[symbol, c.open_time] = c
    assert len(seen) > 120
    changed = sorted(k for k, c in seen.items() if final[k] != c)
    assert changed == [], f"{len(changed)} candles were taken while forming, first {changed[0]}"


def test_a_host_eight_seconds_behind_trades_as_one_on_time(tmp_path: Path) -> None:
    """A constant offset is corrected exactly: the same orders as a host on time."""
    counts = []
    for n, skew in enumerate((0.0, 8.0)):
        limits = RiskLimits(cooldown_after_fill_seconds=0, max_submits_per_window=1000)
        opts = DemoOptions(workspace=tmp_path / str(n))
        with in_process_live(opts, _build, limits=limits) as live:
            live.sim_app.sim.skew_seconds = skew
            live.clock.advance(20)  # well inside the minute: both hosts see the same candles
            _run(live, 120)
            counts.append(_orders_at_exchange(live))
    assert counts[0] > 0
    assert counts[1] == counts[0]


def test_a_stepped_host_clock_places_no_order_until_the_offset_is_known_again(
    live: InProcessLive,
) -> None:
    """The offset moves 30 s between two readings: five minutes observe-only, then trading."""
    cycle = build_cycle(live.options, live.deps, live.client)
    assert cycle.startup()
    number = 1
    while _orders_at_exchange(live) == 0 and number < 200:
        assert cycle(number).error is None
        live.clock.advance(60)
        number += 1
    assert _orders_at_exchange(live) > 0, "the stack never traded on time"
    live.sim_app.sim.skew_seconds = 30.0  # the host clock steps 30 s back
    live.clock.advance(300)  # the next cycle re-measures
    placed = _orders_at_exchange(live)
    reasons = []
    for _ in range(4):
        outcome = cycle(number)
        number += 1
        reasons.append(outcome.observe_only)
        live.clock.advance(60)
    assert _orders_at_exchange(live) == placed
    assert all(r is not None and "uncertain by 30.0 s" in r for r in reasons), reasons
    live.clock.advance(60)
    assert cycle(number).observe_only is None


def test_an_unmeasurable_clock_places_no_order(live: InProcessLive) -> None:
    """server/time never answers: nothing is decided, and the reason names server/time."""
    live.sim_app.faults = FaultPlan.parse("5xx:1@/api/v2/server/time")
    cycle = build_cycle(live.options, live.deps, live.client)
    cycle.startup()
    outcomes = []
    for n in range(1, 30):
        outcomes.append(cycle(n))
        live.clock.advance(60)
    assert _orders_at_exchange(live) == 0
    assert all("server/time" in (o.observe_only or o.error or "") for o in outcomes)
