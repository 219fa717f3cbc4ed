"""A Donchian-style breakout: an example of a strategy of your own.

Use it with (docs/STRATEGY_AND_RISK.md, "Your own strategy")::

    PYTHONPATH=examples
    STRATEGIES=btcbot_examples.breakout:Breakout
    STRATEGY_PARAMS_FILE=examples/breakout.toml   # optional; the defaults below otherwise

What a strategy receives, returns and may not do is the ``Strategy`` protocol of
``btcbot.strategy.protocols``: it gets one symbol's ``StrategyInput`` (closed candles only, the
book and ticker now, the position and our open orders in that symbol) and returns one
``Signal`` or ``None``. It must be pure and quick: no clock, no randomness, no I/O, no memory
between calls, well under a second per call. Risk sizes, caps and may refuse what it asks for.
"""

from __future__ import annotations

from decimal import Decimal

from btcbot.domain.enums import Side
from btcbot.domain.trading import Signal
from btcbot.strategy.protocols import StrategyInput

MIN_WINDOW = 2


class Breakout:
    """Buy above the highest of the previous ``window`` closes; sell below their lowest."""

    def __init__(self, window: int = 30, order_notional_try: str | int = "1000") -> None:
        if window < MIN_WINDOW:
            raise ValueError(f"window must be at least {MIN_WINDOW}, got {window}")
        self.window = window
        self.order_notional_try = Decimal(str(order_notional_try))
        if self.order_notional_try <= 0:
            raise ValueError("order_notional_try must be positive")

    @property
    def name(self) -> str:
        """Recorded on every signal."""
        return f"breakout{self.window}"

    @property
    def required_candles(self) -> int:
        """The window plus the candle that breaks out of it."""
        return self.window + 1

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """A breakout buy, a breakdown exit, or ``None``."""
        closes = inp.closes
        if len(closes) < self.required_candles:
            return None
        previous, close = closes[-self.required_candles : -1], closes[-1]
        if close > max(previous) and not inp.holds and not inp.has_open():
            return Signal(
                symbol=inp.symbol,
                side=Side.BUY,
                size_hint=self.order_notional_try,
                reason=f"close {close} above the {self.window}-candle high {max(previous)}",
                strategy=self.name,
                as_of=inp.as_of,
            )
        if close < min(previous) and inp.holds and not inp.has_open(Side.SELL):
            return inp.exit_signal(self.name, f"close {close} below the {self.window}-candle low")
        return None
