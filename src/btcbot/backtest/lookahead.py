"""``btcbot backtest --check-lookahead``: does any signal depend on data from its future?

Freqtrade's method (``lookahead-analysis``), on this engine: run the whole backtest once, then
for each signal re-run it on the candles cut just after the instant the signal was made, and
confirm the same signal (symbol, side, strategy) comes out at the same cycle. A strategy that
read a candle it could not have seen yet - its own copy of the file, an indicator computed over
the whole series, the forming candle's close - decides differently on the cut data.

The cut keeps every candle closed by the signal's instant ``t`` and the candle forming at ``t``
reduced to what is known at ``t``: its open (the price at ``t``) for all four prices. Its
volume is kept, because the emulator scales the synthetic book's depth at ``t`` by it (the
liquidity model of both the backtest and a dry run); the check is about signals, not about
that model. Re-runs cost a run each, so ``sample`` spreads the check over that many signal
cycles (all of them when there are fewer).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from btcbot.backtest.engine import EquityRow, Replay, ReplayResult, ReplaySetup, RowSink
from btcbot.decision import DecisionCore
from btcbot.domain.trading import Signal
from btcbot.sim.feed import MINUTE, Bar, floor_minute, to_epoch

CoreFactory = Callable[[Mapping[str, list[Bar]]], DecisionCore]
"""Builds the decision core of one run from that run's candles (a peeking strategy's view)."""


@dataclass(frozen=True, slots=True)
class BiasedSignal:
    """A signal the cut data did not reproduce."""

    cycle: int
    signal: Signal
    on_cut_data: str  # what the re-run decided at that cycle instead

    def line(self) -> str:
        """One line naming the strategy, the symbol and the instant."""
        s = self.signal
        return (
            f"cycle {self.cycle} at {s.as_of.isoformat()}: {s.strategy} {s.side.value} "
            f"{s.symbol} ({s.reason}) not reproduced on data cut there; it said {self.on_cut_data}"
        )


@dataclass
class LookaheadReport:
    """How many signal cycles were checked and which signals were biased."""

    full: ReplayResult
    signals: int = 0
    checked_cycles: int = 0
    biased: list[BiasedSignal] = field(default_factory=list)


def _drop(_row: EquityRow) -> None:
    """A re-run's rows: not compared, not kept."""


def _key(signal: Signal) -> tuple[str, str, str]:
    return (signal.symbol, signal.side.value, signal.strategy)


def cut_feeds(
    feeds: Mapping[str, list[Bar]], setup: ReplaySetup, cycle: int
) -> dict[str, list[Bar]]:
    """The candles as known at the instant of ``cycle`` (see the module docstring)."""
    t = to_epoch(setup.start) + (cycle - 1) * setup.cycle_seconds
    base = floor_minute(to_epoch(setup.start)) - setup.sim.history_minutes * MINUTE
    forming = int((t - base) // MINUTE)
    cut = {}
    for symbol, bars in feeds.items():
        known = list(bars[:forming])
        if forming < len(bars):
            b = bars[forming]
            known.append(Bar(b.open, b.open, b.open, b.open, b.volume))
        cut[symbol] = known
    return cut


def check_lookahead(
    streamed: Mapping[str, Sequence[Bar]],
    setup: ReplaySetup,
    core_for: CoreFactory,
    *,
    sample: int = 50,
    on_row: RowSink | None = None,
) -> LookaheadReport:
    """Re-run up to ``sample`` signal cycles on cut data; list the signals that changed.

    The re-runs cut the candles at any cycle, so they are held in memory here. The full run's
    equity rows go to ``on_row`` as ``Replay.run`` hands them (kept when it is ``None``); the
    re-runs' are dropped, since only their signals are compared.
    """
    feeds = {symbol: list(bars) for symbol, bars in streamed.items()}
    full = Replay(feeds, setup, core=core_for(feeds), log_signals=True).run(on_row=on_row)
    by_cycle: dict[int, list[Signal]] = {}
    for cycle, signal in full.signal_log:
        by_cycle.setdefault(cycle, []).append(signal)
    cycles = sorted(by_cycle)
    if len(cycles) > sample > 0:
        step = len(cycles) / sample
        cycles = [cycles[int(k * step)] for k in range(sample)]
    report = LookaheadReport(full, signals=len(full.signal_log), checked_cycles=len(cycles))
    for cycle in cycles:
        cut = cut_feeds(feeds, setup, cycle)
        rerun = Replay(cut, replace(setup, cycles=cycle), core=core_for(cut), log_signals=True).run(
            on_row=_drop
        )
        again = [s for n, s in rerun.signal_log if n == cycle]
        said = ", ".join(f"{s.strategy} {s.side.value} {s.symbol}" for s in again) or "nothing"
        seen = {_key(s) for s in again}
        report.biased.extend(
            BiasedSignal(cycle, s, said) for s in by_cycle[cycle] if _key(s) not in seen
        )
    return report
