"""A backtest's guard against a strategy of your own that never returns.

The strategy engine holds a strategy to ``REPLAY_TIME_LIMIT_SECONDS`` of CPU, but measures it
when the call returns: an endless loop never returned, and ``btcbot backtest`` (or a sweep's
worker) hung until Ctrl-C. ``Watchdog`` wraps every strategy loaded by import path: a thread
checks the process's CPU time while the strategy runs and, past the limit, raises ``_Overrun``
in the thread running it (``PyThreadState_SetAsyncExc``: Python's own way to interrupt one
thread, in any thread, on every platform), so the call ends as a fault naming the strategy and
the backtest stops with one line, exit 2, its ``--out`` untouched. Ctrl-C is left alone.

CPU time, not wall time, as the engine's own limit: a busy or sleeping machine never stops a
backtest. Built-in strategies are not wrapped: they are ours, and return. What Python cannot
interrupt (a single C call that never ends) still needs Ctrl-C.
"""

from __future__ import annotations

import ctypes
import threading
import time
from collections.abc import Callable, Mapping
from types import TracebackType
from typing import Any, Self

from btcbot.strategy.engine import REPLAY_TIME_LIMIT_SECONDS, StrategyProblemError
from btcbot.strategy.plugins import load_strategy
from btcbot.strategy.protocols import Strategy, StrategyInput

POLL_SECONDS = 0.25


class _Overrun(BaseException):  # not an error: the watchdog's interrupt
    """Raised in the strategy's frame; a BaseException so its own ``except Exception`` passes."""


def _raise_in(thread: int, kind: type[BaseException] | None) -> None:
    """Have ``thread`` raise ``kind`` at its next bytecode; ``None`` withdraws one not raised."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread), ctypes.py_object(kind) if kind is not None else None
    )


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
        self._lock = threading.Lock()  # one call's start and end against the watch's firing
        self._thread_id = 0  # the thread running the watched call
        self._started: float | None = None  # the CPU time that call began at
        self._next_fire = 0.0  # the CPU time before which the watch does not fire again
        self._fired = False  # an interrupt is on its way to that thread
        self._stop = threading.Event()
        self._watch = threading.Thread(target=self._run, name="strategy-watchdog", daemon=True)

    def load(self, entry: str, params: Mapping[str, Any]) -> Strategy:
        """``entry`` built with ``params``, watched (a ``StrategyLoader``)."""
        strategy = Watched(load_strategy(entry, params), self)
        if not self._watch.is_alive():  # a backtest of built-in strategies starts no thread
            self._watch.start()
        return strategy

    def call(self, strategy: Strategy, inp: StrategyInput) -> Any:
        """``strategy.evaluate(inp)``; past the limit it ends in ``StrategyProblemError``."""
        with self._lock:
            self._thread_id = threading.get_ident()
            self._started = self._cpu()
            self._next_fire = self._started + self._limit
        try:
            try:
                return strategy.evaluate(inp)
            finally:
                self._disarm()
        except _Overrun:  # also one raised after the return, before the disarm
            self._disarm()
            raise StrategyProblemError(
                f"took over {self._limit:g} s of CPU without returning, so it was interrupted"
            ) from None

    def _disarm(self) -> None:
        with self._lock:
            self._started = None
            if self._fired:  # fired as the call returned: dropped if not raised yet
                self._fired = False
                _raise_in(self._thread_id, None)

    def _run(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            with self._lock:
                now = self._cpu()
                if self._started is not None and now > self._next_fire:
                    _raise_in(self._thread_id, _Overrun)
                    self._fired = True
                    # Again after another limit, should the strategy swallow it (a bare except).
                    self._next_fire = now + self._limit

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._watch.is_alive():
            self._watch.join()


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
