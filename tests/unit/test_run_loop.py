"""The LIVE loop's control flow: cycle counts, stop at a boundary, failures, pacing."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from btcbot.domain.errors import StateError
from btcbot.services.cycle import CycleOutcome
from btcbot.services.run_loop import run_loop


class FakeStop:
    """A stop token that trips after ``after`` waits (or never)."""

    def __init__(self, after: int | None = None) -> None:
        self.after = after
        self.waits: list[float] = []
        self.tripped = False

    def is_set(self) -> bool:
        """Whether the stop has tripped."""
        return self.tripped

    def wait(self, timeout: float) -> bool:
        """Record the requested sleep; trip after ``after`` of them."""
        self.waits.append(timeout)
        if self.after is not None and len(self.waits) >= self.after:
            self.tripped = True
        return self.tripped


class Runner:
    """Records cycle numbers; raises the queued error for the given cycle number."""

    def __init__(
        self, errors: dict[int, Exception] | None = None, failed: frozenset[int] = frozenset()
    ) -> None:
        self.numbers: list[int] = []
        self.errors = errors or {}
        self.failed = failed

    def __call__(self, number: int) -> CycleOutcome:
        """Run (record) one cycle; a ``failed`` number reports an exchange failure, as LiveCycle."""
        self.numbers.append(number)
        if number in self.errors:
            raise self.errors[number]
        error = "ExchangeUnavailableError: 503" if number in self.failed else None
        return CycleOutcome(cycle_id=f"c-{number}", number=number, error=error)


class Observer:
    """Keeps every outcome it is told about."""

    def __init__(self) -> None:
        self.outcomes: list[CycleOutcome] = []

    def __call__(self, outcome: CycleOutcome, duration_seconds: float) -> None:
        """Keep the outcome (the duration is not asserted on: no timing assertions)."""
        del duration_seconds
        self.outcomes.append(outcome)


def _ticking() -> Callable[[], float]:
    """A monotonic clock advancing 0.25 s per reading."""
    state = {"t": 0.0}

    def now() -> float:
        state["t"] += 0.25
        return state["t"]

    return now


def test_runs_exactly_max_cycles_and_does_not_sleep_after_the_last() -> None:
    """--cycles N runs N cycles, observes each, and returns without a trailing sleep."""
    runner, observer, stop = Runner(), Observer(), FakeStop()
    summary = run_loop(runner, observer, stop=stop, cycle_seconds=5, max_cycles=3)
    assert runner.numbers == [1, 2, 3]
    assert [o.number for o in observer.outcomes] == [1, 2, 3]
    assert len(stop.waits) == 2
    assert summary.cycles == 3
    assert not summary.stopped


def test_stop_request_ends_the_loop_at_the_next_cycle_boundary() -> None:
    """A stop requested while sleeping ends the loop before another cycle starts."""
    runner, stop = Runner(), FakeStop(after=2)
    summary = run_loop(runner, Observer(), stop=stop, cycle_seconds=5, max_cycles=None)
    assert runner.numbers == [1, 2]
    assert summary.stopped


def test_exchange_failure_is_a_failed_cycle_and_the_loop_goes_on() -> None:
    """A cycle the exchange failed (the cycle reports it) is counted; the next cycle runs."""
    runner, observer = Runner(failed=frozenset({2})), Observer()
    summary = run_loop(runner, observer, stop=FakeStop(), cycle_seconds=1, max_cycles=3)
    assert runner.numbers == [1, 2, 3]
    assert observer.outcomes[1].error is not None
    assert summary.failed == 1


def test_a_state_failure_ends_the_loop() -> None:
    """A database failure is not retried: the loop stops rather than trade on bad state."""
    runner = Runner({2: StateError("disk I/O error")})
    with pytest.raises(StateError):
        run_loop(runner, Observer(), stop=FakeStop(), cycle_seconds=1, max_cycles=5)
    assert runner.numbers == [1, 2]


def test_sleep_is_the_rest_of_the_cycle_period() -> None:
    """The loop sleeps cycle_seconds minus the cycle's own duration, never a negative time."""
    stop = FakeStop()
    run_loop(Runner(), Observer(), stop=stop, cycle_seconds=1, max_cycles=2, monotonic=_ticking())
    assert stop.waits == [0.75]
    stop2 = FakeStop()
    run_loop(
        Runner(), Observer(), stop=stop2, cycle_seconds=0.1, max_cycles=2, monotonic=_ticking()
    )
    assert stop2.waits == [0.0]


def test_the_sleep_given_paces_the_loop_and_the_observer_hears_each_duration() -> None:
    """The demo's accelerated clock sleeps instead of the stop token; durations are reported."""
    stop, slept = FakeStop(), []

    def sleep(seconds: float) -> bool:
        slept.append(seconds)
        return False

    durations: list[float] = []
    run_loop(
        Runner(),
        lambda _outcome, duration: durations.append(duration),
        stop=stop,
        cycle_seconds=1,
        max_cycles=2,
        sleep=sleep,
        monotonic=_ticking(),
    )
    assert (slept, stop.waits) == ([0.75], [])
    assert durations == [0.25, 0.25]


def test_a_stop_before_the_first_cycle_runs_none() -> None:
    """SIGTERM during start-up: no cycle begins, and the summary says it was stopped."""
    stop = FakeStop()
    stop.tripped = True
    runner = Runner()
    summary = run_loop(runner, Observer(), stop=stop, cycle_seconds=1, max_cycles=None)
    assert (runner.numbers, summary.cycles, summary.stopped) == ([], 0, True)
