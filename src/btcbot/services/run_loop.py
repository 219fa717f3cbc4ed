"""The LIVE loop: run one cycle, report it, sleep, repeat; stop only at a cycle boundary.

The loop knows nothing about trading. It calls a ``CycleRunner`` once per cycle, hands the
outcome to a ``CycleReporter`` (metrics + status file), and sleeps until the next cycle is due.
A stop request (SIGINT/SIGTERM through the lifecycle's stop token) is honoured between cycles,
never inside one, so a cycle's unit of work is always finished or never started.

An ``ExchangeError`` inside a cycle does not end the loop: the cycle is recorded as failed and
the next one runs (the exchange is often back a minute later). Any other error — a database
failure or a bug — ends the loop, because a trading daemon that cannot trust its own state must
stop rather than trade on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from btcbot.observability.logging import get_logger
from btcbot.services.cycle import CycleOutcome

_log = get_logger(__name__)


class StopRequest(Protocol):
    """The lifecycle's stop request, seen from the loop."""

    def is_set(self) -> bool:
        """True once SIGINT/SIGTERM (or a test) asked the loop to stop."""
        ...

    def wait(self, timeout: float) -> bool:
        """Block up to ``timeout`` seconds; return True as soon as a stop is requested."""
        ...


class CycleRunner(Protocol):
    """Runs cycle number ``number`` (1-based) as one unit of work."""

    def __call__(self, number: int) -> CycleOutcome:
        """Run the cycle; an exchange failure is a failed outcome (``error`` set), not a raise."""
        ...


class CycleReporter(Protocol):
    """Told about every cycle, finished or failed (metrics, status file, logs)."""

    def __call__(self, outcome: CycleOutcome, duration_seconds: float) -> None:
        """Record ``outcome``; ``duration_seconds`` is the cycle's own wall time."""
        ...


@dataclass(frozen=True, slots=True)
class LoopSummary:
    """How a loop ended: cycles run, how many failed, and whether a stop was requested."""

    cycles: int
    failed: int
    stopped: bool


def run_loop(
    runner: CycleRunner,
    observer: CycleReporter,
    *,
    stop: StopRequest,
    cycle_seconds: float,
    max_cycles: int | None,
    sleep: Callable[[float], bool] | None = None,
    monotonic: Callable[[], float] = time.monotonic,
) -> LoopSummary:
    """Run cycles until ``max_cycles`` (``None``: forever) or a stop request.

    ``sleep(seconds) -> stop_requested`` waits between cycles; the default waits on the stop
    token so a stop request wakes the loop at once. The demo passes an accelerated clock's sleep.
    """
    wait = sleep if sleep is not None else stop.wait
    number = failed = 0
    while (max_cycles is None or number < max_cycles) and not stop.is_set():
        number += 1
        started = monotonic()
        # The cycle turns an exchange failure into a failed outcome itself (it knows its id and
        # kill state); anything it raises - a database failure - ends the loop.
        outcome = runner(number)
        duration = monotonic() - started
        failed += outcome.error is not None
        observer(outcome, duration)
        last = max_cycles is not None and number >= max_cycles
        if not last and wait(max(cycle_seconds - duration, 0.0)):
            break
    stopped = stop.is_set()
    _log.info("loop_ended", cycles=number, failed=failed, stopped=stopped)
    return LoopSummary(cycles=number, failed=failed, stopped=stopped)
