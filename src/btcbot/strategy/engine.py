"""Runs the configured strategies over every symbol and merges their signals deterministically.

- Symbols are visited in the order given; a symbol without a snapshot, or whose snapshot
  market_data marked unusable, is observe-only: no strategy runs on it.
- Strategies run in their configured order. Per symbol, a sell wins over buys (cutting exposure
  beats adding it when strategies disagree) and only the first signal of a side is kept, so a
  cycle holds at most one signal per symbol.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from btcbot.domain.enums import Side
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Order
from btcbot.domain.trading import ZERO, PortfolioView, PositionView, Signal
from btcbot.strategy.mean_reversion import MeanReversion
from btcbot.strategy.params import MEAN_REVERSION, TREND, StrategyParams
from btcbot.strategy.protocols import Strategy, StrategyInput
from btcbot.strategy.trend import TrendFollower


def build_strategies(params: StrategyParams) -> tuple[Strategy, ...]:
    """The enabled strategies, in their configured order."""
    built: dict[str, Strategy] = {
        TREND: TrendFollower(params.trend),
        MEAN_REVERSION: MeanReversion(params.mean_reversion),
    }
    return tuple(built[name] for name in params.enabled)


class StrategyEngine:
    """Evaluates ``strategies`` for each symbol; pure, so equal inputs give equal signals."""

    def __init__(self, strategies: Sequence[Strategy]) -> None:
        self.strategies = tuple(strategies)

    @classmethod
    def from_params(cls, params: StrategyParams) -> StrategyEngine:
        """The engine for the configured strategies."""
        return cls(build_strategies(params))

    @property
    def required_candles(self) -> int:
        """Closed candles market data must supply for every strategy to be able to signal."""
        return max((s.required_candles for s in self.strategies), default=0)

    def signals(
        self,
        symbols: Sequence[str],
        snapshots: Mapping[str, MarketSnapshot],
        portfolio: PortfolioView,
        open_orders: Sequence[Order] = (),
    ) -> tuple[Signal, ...]:
        """This cycle's signals, symbol by symbol (see the module docstring)."""
        out: list[Signal] = []
        for symbol in symbols:
            snapshot = snapshots.get(symbol)
            if snapshot is None or not snapshot.tradable:
                continue
            inp = StrategyInput(
                snapshot=snapshot,
                position=portfolio.positions.get(symbol) or PositionView(symbol, ZERO, ZERO),
                open_orders=tuple(o for o in open_orders if o.symbol == symbol),
            )
            out.extend(_merge(s.evaluate(inp) for s in self.strategies))
        return tuple(out)


def _merge(candidates: Iterable[Signal | None]) -> list[Signal]:
    signals = [s for s in candidates if s is not None]
    sells = [s for s in signals if s.side is Side.SELL]
    if sells:
        return sells[:1]
    return signals[:1]
