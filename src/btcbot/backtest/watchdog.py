"""A backtest's guard against a strategy of your own that never returns.

The strategy engine holds a strategy to ``REPLAY_TIME_LIMIT_SECONDS`` of CPU, but measures it
when the call returns: an endless loop never returned, and ``btcbot backtest`` hung until
Ctrl-C. In the command (not a sweep's workers, whose tasks may run off the main thread),
``Watchdog`` wraps every strategy loaded by import path: a thread checks the process's CPU time
while the strategy runs, and past the limit interrupts the main thread - the same interrupt as
Ctrl-C, told apart by the handler installed for the run - so the call ends as a fault naming
the strategy and the backtest stops with one line, exit 2, its ``--out`` untouched.

CPU time, not wall time, as the engine's own limit: a busy or sleeping machine never stops a
backtest. Built-in strategies are not wrapped: they are ours, and return. What Python cannot
interrupt (a single C call that never ends) still needs Ctrl-C.
"""

from __future__ import annotations

import _thread
import signal
import threading
import time
from collections.abc import Callable, Mapping
from types import FrameType, TracebackType
from typing import Any, Self

from btcbot.strategy.engine import REPLAY_TIME_LIMIT_SECONDS, StrategyProblemError
from btcbot.strategy.plugins import load_strategy
from btcbot.strategy.protocols import Strategy, StrategyInput

POLL_SECONDS = 0.25

_Handler = Callable[[int, FrameType | None], Any] | int | signal.Handlers | None


class _Overrun(BaseException):
    """Raised in the strategy's frame; a BaseException so its own ``except Exception`` passes."""


class Watchdog:
    """Watches the strategies it loaded while they run; a context for the whole backtest."""

    def __init__(
        self,
        limit: float = REPLAY_TIME_LIMIT_SECONDS,
        *,
        cpu: Callable[[], float] = time.process_time,
    ) -> None:
        self._limit = limit
        self._cpu = cpu
        self._started: float | None = None  # the CPU time the running call began at
        self._fired = False
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="strategy-watchdog", daemon=True)
        self._previous: _Handler = None

    def load(self, entry: str, params: Mapping[str, Any]) -> Strategy:
        """``entry`` built with ``params``, watched (a ``StrategyLoader``)."""
        strategy = Watched(load_strategy(entry, params), self)
        if not self._thread.is_alive():  # a backtest of built-in strategies starts no thread
            self._thread.start()
        return strategy

    def call(self, strategy: Strategy, inp: StrategyInput) -> Any:
        """``strategy.evaluate(inp)``; past the limit it ends in ``StrategyProblemError``."""
        self._started = self._cpu()
        try:
            return strategy.evaluate(inp)
        except _Overrun:
            raise StrategyProblemError(
                f"took over {self._limit:g} s of CPU without returning, so it was interrupted"
            ) from None
        finally:
            self._started = None

    def __enter__(self) -> Self:
        self._previous = signal.signal(signal.SIGINT, self._on_interrupt)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
        signal.signal(signal.SIGINT, self._previous)

    def _watch(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            started = self._started
            if started is not None and self._cpu() - started > self._limit:
                self._fired = True
                _thread.interrupt_main()  # again each poll, should the strategy swallow it

    def _on_interrupt(self, signum: int, frame: FrameType | None) -> None:
        """Runs in the main thread between two bytecodes: the watchdog's, or the operator's."""
        if self._fired:
            self._fired = False
            if self._started is not None:
                raise _Overrun
            return  # the call returned just before the interrupt landed: nothing to stop
        if callable(self._previous):
            self._previous(signum, frame)
            return
        raise KeyboardInterrupt


class Watched:
    """A strategy of your own, called under the watchdog: the ``Strategy`` protocol."""

    def __init__(self, inner: Strategy, dog: Watchdog) -> None:
        self._inner = inner
        self._dog = dog

    @property
    def name(self) -> str:
        """The strategy's own name."""
        return self._inner.name

    @property
    def required_candles(self) -> int:
        """The strategy's own count."""
        return self._inner.required_candles

    def evaluate(self, inp: StrategyInput) -> Any:
        """The strategy's answer, checked by the engine as ever."""
        return self._dog.call(self._inner, inp)
