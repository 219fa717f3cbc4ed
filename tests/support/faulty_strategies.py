"""Strategies that misbehave, loaded by import path in the tests of the strategy guard."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

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


class Exits:
    """Calls ``sys.exit`` on every call: it ended the LIVE loop without a word (exit 7)."""

    name = "exits"
    required_candles = 0

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """Leaves, as far as it is concerned."""
        sys.exit(7 if inp.symbol else 8)


class ExitsWhenBuilt:
    """Calls ``sys.exit`` in its constructor."""

    name = "exits_when_built"
    required_candles = 0

    def __init__(self) -> None:
        sys.exit(5)

    def evaluate(self, _inp: StrategyInput) -> Signal | None:
        """Never reached."""
        return None


class NameRaises:
    """Its ``name`` property raises: an internal error at load, before."""

    required_candles = 0

    @property
    def name(self) -> str:
        """Fails."""
        raise RuntimeError("no name yet")

    def evaluate(self, _inp: StrategyInput) -> Signal | None:
        """Nothing."""
        return None


class Hangs:
    """Never returns: an endless loop hung the whole LIVE cycle (no reconcile, no cancel)."""

    name = "hangs"
    required_candles = 0

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """Spins until its process is stopped."""
        while inp.symbol:
            pass
        return None


class Dies:
    """Ends the process it runs in without a word (``os._exit``), as a crash would."""

    name = "dies"
    required_candles = 0

    def evaluate(self, _inp: StrategyInput) -> Signal | None:
        """Gone."""
        os._exit(9)


class Prints:
    """Prints on every call, then answers: the print must not reach LIVE's answers."""

    name = "prints"
    required_candles = 0

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """Chatter, then no signal."""
        print(f"looking at {inp.symbol}", flush=True)  # noqa: T201 -- the point of it
        return None


class ReadsSecrets:
    """Raises when the API secret is in its environment: a strategy has no use for it."""

    name = "reads_secrets"
    required_candles = 0

    def evaluate(self, _inp: StrategyInput) -> Signal | None:
        """No signal, unless the secret is there to be seen."""
        if "BTCTURK_API_SECRET" in os.environ:
            raise RuntimeError("the API secret is in this strategy's environment")
        return None


class HangsAndSwallows:
    """Never returns, and swallows every ``Exception`` raised inside its loop."""

    name = "hangs_and_swallows"
    required_candles = 0

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """Spins, catching what it can."""
        spins = 0
        while inp.symbol:
            try:
                spins = _burn(spins)  # nearly all its time in here, inside the try
            except Exception:  # noqa: BLE001 -- the point of this strategy
                spins = 0
        return None


class CtrlC:
    """The operator's Ctrl-C arrives while it runs (raised by the strategy itself here)."""

    name = "ctrl_c"
    required_candles = 0

    def evaluate(self, _inp: StrategyInput) -> Signal | None:
        """Signals SIGINT to its own process, as a terminal would."""
        signal.raise_signal(signal.SIGINT)
        return None


def _burn(spins: int) -> int:
    for _ in range(100_000):
        spins += 1
    return spins


class Slow:
    """Sleeps 10 ms a call; at its 1,000th it writes the file ``BTCBOT_TEST_MARK`` names.

    A sweep that stopped waits for no backtest still running: the file never appears.
    """

    name = "slow"
    required_candles = 0

    def __init__(self) -> None:
        self._calls = 0

    def evaluate(self, _inp: StrategyInput) -> Signal | None:
        """Nothing, slowly."""
        time.sleep(0.01)
        self._calls += 1
        if self._calls == 1000:
            Path(os.environ["BTCBOT_TEST_MARK"]).write_text("finished", "utf-8")
        return None
