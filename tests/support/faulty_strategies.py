"""Strategies that misbehave, loaded by import path in the tests of the strategy guard."""

from __future__ import annotations

from btcbot.domain.trading import Signal
from btcbot.strategy.protocols import StrategyInput


class Raises:
    """Raises on every call (a bug in someone's strategy)."""

    name = "raises"
    required_candles = 0

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """Always fails."""
        raise ZeroDivisionError(f"bug evaluating {inp.symbol}")


class Garbage:
    """Returns something that is not a signal."""

    name = "garbage"
    required_candles = 0

    def evaluate(self, inp: StrategyInput) -> object:
        """A string instead of a Signal."""
        return f"buy {inp.symbol} now!"
