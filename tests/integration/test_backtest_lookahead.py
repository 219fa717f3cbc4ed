"""The lookahead check: the shipped strategies pass, a strategy that peeks one candle is caught."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.lookahead import check_lookahead
from btcbot.decision import DecisionCore
from btcbot.domain.enums import Side
from btcbot.domain.trading import RiskLimits, Signal
from btcbot.risk.engine import RiskEngine
from btcbot.sim.datasets import load_feeds
from btcbot.sim.feed import MINUTE, Bar, floor_minute, to_epoch
from btcbot.strategy.engine import StrategyEngine
from btcbot.strategy.protocols import StrategyInput
from btcbot.wiring.demo import DEMO_START, demo_strategy

SETUP = ReplaySetup(
    symbols=("BTCTRY", "ETHTRY"), start=DEMO_START, cycles=90, strategy=demo_strategy()
)


class CandleColour:
    """Buys after a green candle, sells after a red one: ``peek`` reads the next candle instead.

    It holds its own copy of the candles, as a strategy that precomputes over a whole file
    does; with ``peek`` it looks at the candle still forming - one candle into the future.
    """

    required_candles = 2

    def __init__(self, feeds: Mapping[str, list[Bar]], *, peek: bool) -> None:
        self._feeds = feeds
        self._peek = peek
        self._base = floor_minute(to_epoch(SETUP.start)) - SETUP.sim.history_minutes * MINUTE

    @property
    def name(self) -> str:
        """Its name on every signal."""
        return "peeking" if self._peek else "honest"

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """A buy or an exit on the colour of the newest (or, peeking, the forming) candle."""
        if not inp.snapshot.candles:
            return None
        # Peeking: the candle forming at the decision instant - its close lies in the future.
        newest = (
            floor_minute(to_epoch(inp.snapshot.taken_at)) if self._peek else to_epoch(inp.as_of)
        )
        index = int((newest - self._base) // MINUTE)
        bars = self._feeds[inp.symbol]
        if index >= len(bars):
            return None
        bar = bars[index]
        if bar.close > bar.open and not inp.holds and not inp.has_open():
            return Signal(inp.symbol, Side.BUY, Decimal(1000), "green", self.name, inp.as_of)
        if bar.close < bar.open and inp.holds:
            return inp.exit_signal(self.name, "red")
        return None


def _core(peek: bool) -> object:
    def build(feeds: Mapping[str, list[Bar]]) -> DecisionCore:
        return DecisionCore(
            StrategyEngine([CandleColour(feeds, peek=peek)]), RiskEngine(RiskLimits())
        )

    return build


def test_the_shipped_strategies_have_no_biased_signal() -> None:
    """Trend and mean reversion, as the demo configures them: every signal reproduced."""
    feeds = load_feeds()
    report = check_lookahead(
        feeds, SETUP, lambda _f: DecisionCore.from_params(SETUP.strategy, SETUP.limits), sample=0
    )
    assert report.signals > 0
    assert report.checked_cycles > 0
    assert report.biased == []


def test_an_honest_strategy_passes_and_a_peeking_one_is_caught() -> None:
    """Negative control: the same strategy looking one candle ahead yields biased signals."""
    feeds = load_feeds()
    honest = check_lookahead(feeds, SETUP, _core(peek=False), sample=0)  # type: ignore[arg-type]
    peeking = check_lookahead(feeds, SETUP, _core(peek=True), sample=0)  # type: ignore[arg-type]
    assert honest.signals > 0
    assert honest.biased == []
    assert peeking.signals > 0
    assert len(peeking.biased) > 0
    assert all(b.signal.strategy == "peeking" for b in peeking.biased)
    assert "peeking" in peeking.biased[0].line()
