"""Trend follower: a moving-average crossover that signals on the crossing candle only.

- BUY when the fast SMA crosses above the slow SMA on the newest candle, the symbol is flat
  (dust counts as flat) and no order of ours is open in it.
- SELL the whole position when the fast SMA crosses below the slow one and a position is held
  and no sell is already open.

Because it signals only while flat (entry) or holding (exit), re-running on the same candle
after the order filled gives no second signal.
"""

from __future__ import annotations

from dataclasses import dataclass

from btcbot.domain.enums import Side
from btcbot.domain.trading import Signal
from btcbot.strategy.indicators import sma
from btcbot.strategy.params import TREND, TrendParams
from btcbot.strategy.protocols import StrategyInput


@dataclass(frozen=True, slots=True)
class TrendFollower:
    """SMA(fast) / SMA(slow) crossover over candle closes."""

    params: TrendParams

    @property
    def name(self) -> str:
        """``trend``."""
        return TREND

    @property
    def required_candles(self) -> int:
        """The slow window plus one candle, to see the crossing."""
        return self.params.slow_window + 1

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """The crossing signal on the newest candle, or ``None``."""
        closes = inp.closes
        if len(closes) < self.required_candles:
            return None
        p = self.params
        fast, slow = sma(closes, p.fast_window), sma(closes, p.slow_window)
        prev_fast, prev_slow = sma(closes[:-1], p.fast_window), sma(closes[:-1], p.slow_window)
        if fast is None or slow is None or prev_fast is None or prev_slow is None:
            return None
        if prev_fast <= prev_slow and fast > slow:
            if inp.holds or inp.has_open():
                return None
            return Signal(
                symbol=inp.symbol,
                side=Side.BUY,
                size_hint=p.order_notional_try,
                reason=f"SMA{p.fast_window} {fast:.2f} crossed above SMA{p.slow_window} {slow:.2f}",
                strategy=self.name,
                as_of=inp.as_of,
            )
        if prev_fast >= prev_slow and fast < slow and inp.holds and not inp.has_open(Side.SELL):
            return inp.exit_signal(
                self.name,
                f"SMA{p.fast_window} {fast:.2f} crossed below SMA{p.slow_window} {slow:.2f}",
            )
        return None
