"""Strategy engine: configured order, observe-only symbols skipped, sells win, one per symbol."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pytest
from strategy_factories import START, open_order, position, snapshot

from btcbot.domain.enums import Side
from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import PortfolioView, Signal
from btcbot.strategy.engine import StrategyEngine, build_strategies
from btcbot.strategy.params import StrategyParams, TrendParams
from btcbot.strategy.protocols import StrategyInput

EMPTY = PortfolioView(Decimal(0), Decimal(0), Decimal(0), Decimal(0), {})


@dataclass(frozen=True)
class Fixed:
    """A stub strategy that always emits one side, to test the merge."""

    name: str
    side: Side | None
    required_candles: int = 3

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """The fixed signal for any symbol."""
        if self.side is None:
            return None
        return Signal(inp.symbol, self.side, Decimal(1), "fixed", self.name, inp.as_of)


SNAPS = {"BTCTRY": snapshot([100] * 3), "ETHTRY": snapshot([100] * 3, symbol="ETHTRY")}


def test_sell_wins_over_buy_for_a_symbol() -> None:
    """When strategies disagree on a symbol the sell is kept and the buy dropped."""
    engine = StrategyEngine([Fixed("a", Side.BUY), Fixed("b", Side.SELL)])
    signals = engine.signals(["BTCTRY"], SNAPS, EMPTY)
    assert [(s.side, s.strategy) for s in signals] == [(Side.SELL, "b")]


def test_first_strategy_wins_among_equal_sides() -> None:
    """Two buys for one symbol keep only the first configured strategy's."""
    engine = StrategyEngine([Fixed("a", Side.BUY), Fixed("b", Side.BUY), Fixed("c", None)])
    assert [s.strategy for s in engine.signals(["BTCTRY"], SNAPS, EMPTY)] == ["a"]


def test_symbols_keep_the_given_order() -> None:
    """Signals come out symbol by symbol in the order the symbols were given."""
    engine = StrategyEngine([Fixed("a", Side.BUY)])
    signals = engine.signals(["ETHTRY", "BTCTRY"], SNAPS, EMPTY)
    assert [s.symbol for s in signals] == ["ETHTRY", "BTCTRY"]


def test_unusable_or_missing_snapshots_are_observe_only() -> None:
    """No strategy runs on a symbol without a snapshot or with one marked unusable."""
    snaps = {"BTCTRY": snapshot([100] * 3, unusable="crossed book")}
    engine = StrategyEngine([Fixed("a", Side.BUY)])
    assert engine.signals(["BTCTRY", "ETHTRY"], snaps, EMPTY) == ()


def test_real_strategies_see_position_and_open_orders() -> None:
    """The engine hands each strategy its symbol's position and only that symbol's orders."""
    params = StrategyParams(enabled=("trend",), trend=TrendParams(fast_window=2, slow_window=4))
    engine = StrategyEngine.from_params(params)
    snaps = {"BTCTRY": snapshot([10, 10, 10, 10, 10, 12])}
    assert len(engine.signals(["BTCTRY"], snaps, EMPTY)) == 1
    other = (open_order(symbol="ETHTRY"),)
    assert len(engine.signals(["BTCTRY"], snaps, EMPTY, other)) == 1
    mine = (open_order(),)
    assert engine.signals(["BTCTRY"], snaps, EMPTY, mine) == ()
    held = PortfolioView(Decimal(0), Decimal(0), Decimal(0), Decimal(0), {
        "BTCTRY": position("100", "10")
    })  # fmt: skip
    assert engine.signals(["BTCTRY"], snaps, held) == ()


def test_required_candles_is_the_largest_need() -> None:
    """The engine needs as many candles as its hungriest strategy."""
    assert StrategyEngine.from_params(StrategyParams()).required_candles == 21
    assert StrategyEngine([]).required_candles == 0


def test_build_keeps_the_configured_order() -> None:
    """Strategies are built in the order they are enabled."""
    built = build_strategies(StrategyParams(enabled=("mean_reversion", "trend")))
    assert [s.name for s in built] == ["mean_reversion", "trend"]


@pytest.mark.parametrize("enabled", [("trend", "trend"), ("momentum",)])
def test_unknown_or_repeated_strategies_are_refused(enabled: tuple[str, ...]) -> None:
    """An unknown or repeated strategy name is a configuration error naming the known ones."""
    with pytest.raises(ConfigError, match="mean_reversion"):
        StrategyParams(enabled=enabled)


def test_trend_windows_must_cross() -> None:
    """A fast window not shorter than the slow one is a configuration error."""
    with pytest.raises(ConfigError, match="fast_window"):
        TrendParams(fast_window=20, slow_window=20)


def test_as_of_falls_back_to_the_snapshot_time() -> None:
    """Without candles a signal's as_of is the snapshot time."""
    snap = snapshot([])
    inp = StrategyInput(snap, position())
    assert inp.as_of == snap.taken_at == START
