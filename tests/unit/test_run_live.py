"""The LIVE service around the loop: what the status file says before, during and after it."""

from __future__ import annotations

import socket
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import pytest

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import ExchangeKind, Role
from btcbot.domain.errors import ConfigError, StateError
from btcbot.domain.records import AuditContext
from btcbot.observability.metrics import Metrics
from btcbot.observability.status_file import read_status, status_path
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts
from btcbot.services.cycle import CycleOutcome, LiveCycle
from btcbot.services.live import Arming, LiveDeps, LiveOptions, run_live
from btcbot.state.uow import ConnectionFactory

NOW = datetime(2026, 12, 7, 9, tzinfo=UTC)


class NeverStop:
    """A stop token nobody trips; waits return at once."""

    def is_set(self) -> bool:
        """Never set."""
        return False

    def wait(self, timeout: float) -> bool:
        """No sleeping in a unit test."""
        del timeout
        return False


class NoDatabase:
    """The fake cycle never opens the database; run_live itself must not either."""

    def connection_factory(self) -> ConnectionFactory:
        """Not for this test."""
        raise AssertionError("run_live opened the database")

    def audit_context(self, cycle_id: str | None = None) -> AuditContext:
        """Not for this test."""
        raise AssertionError(f"run_live stamped a row of {cycle_id}")


class FakeCycle:
    """Runs numbered cycles; notes what the status file said when each step began."""

    def __init__(self, status: Path, *, starts: bool = True, fails_at: int | None = None) -> None:
        self.status = status
        self.starts = starts
        self.fails_at = fails_at
        self.fault: BaseException = StateError("cannot write live.db: disk full")
        self.seen: list[tuple[str, str]] = []
        self.numbers: list[int] = []
        self.settled: list[int] = []

    def _note(self, step: str) -> None:
        self.seen.append((step, read_status(self.status).state))

    def startup(self) -> bool:
        """Startup reconciliation, as it went."""
        self._note("startup")
        return self.starts

    def __call__(self, number: int) -> CycleOutcome:
        """One cycle; a database fault at ``fails_at``."""
        self._note(f"cycle {number}")
        self.numbers.append(number)
        if number == self.fails_at:
            raise self.fault
        return CycleOutcome(cycle_id=f"c-{number}", number=number)

    def settle(self, number: int) -> None:
        """The final pass after the loop."""
        self.settled.append(number)


def _options(
    control: Path, port: int = 0, *, bind: str = "127.0.0.1", kill_switch: bool = False
) -> LiveOptions:
    return LiveOptions(
        symbols=("BTCTRY",),
        cycle_seconds=1.0,
        control_dir=control,
        mode="sim",
        instance_id="inst-1",
        kill_switch_setting=kill_switch,
        metrics_port=port,
        metrics_bind=bind,
    )


def _deps(*, safe_mode: bool = False, live: bool = False, armed: bool = False) -> LiveDeps:
    def facts(armed: bool) -> TradingFacts:
        return TradingFacts(
            role=Role.LIVE,
            live_trading=live,
            ack=live,
            safe_mode=safe_mode,
            kill_switch=False,
            armed=armed,
            kill_file_present=False,
            exchange=ExchangeKind.BTCTURK if live else ExchangeKind.SIM,
        )

    clock = ManualClock(NOW)
    return LiveDeps(
        db=NoDatabase(),
        clock=clock,
        wall_clock=clock,
        facts=facts,
        kill_probe=lambda: None,
        metrics=Metrics(),
        policy=TradingArmedPolicy(),
        arming=Arming(armed=armed),
    )


class Builder:
    """The wiring's cycle builder, handing over the fake (or failing as wiring can)."""

    def __init__(self, cycle: FakeCycle | None) -> None:
        self.cycle = cycle
        self.given: list[tuple[LiveOptions, LiveDeps]] = []

    def __call__(self, opts: LiveOptions, deps: LiveDeps) -> LiveCycle:
        """The fake cycle, or the wiring's refusal when there is none."""
        self.given.append((opts, deps))
        if self.cycle is None:
            raise ConfigError("SIM_DATA: no candles")
        return cast("LiveCycle", self.cycle)


def test_a_clean_run_says_starting_then_running_then_stopped(tmp_path: Path) -> None:
    """The MONITOR tells a crash (running, dead pid) from an exit (stopped) by this file."""
    cycle = FakeCycle(status_path(tmp_path))
    during: list[str] = []
    opts, deps, build = _options(tmp_path), _deps(), Builder(cycle)
    summary = run_live(
        opts,
        deps,
        build,
        stop=NeverStop(),
        max_cycles=2,
        before_stop=lambda: during.append(read_status(status_path(tmp_path)).state),
    )
    assert cycle.seen == [("startup", "starting"), ("cycle 1", "starting"), ("cycle 2", "running")]
    assert (summary.cycles, summary.failed, summary.stopped) == (2, 0, False)
    assert cycle.settled == [3]  # the final pass is the cycle after the last
    assert during == ["running"]
    final = read_status(status_path(tmp_path))
    assert (final.state, final.last_error, final.instance_id) == ("stopped", None, "inst-1")
    assert (final.mode, final.armed, final.kill_switch) == ("sim", False, False)
    assert build.given == [(opts, deps)]


def test_a_failed_startup_still_runs_the_loop_observing(tmp_path: Path) -> None:
    """Startup reconciliation is retried each cycle; the loop does not wait for it."""
    cycle = FakeCycle(status_path(tmp_path), starts=False)
    run_live(_options(tmp_path), _deps(), Builder(cycle), stop=NeverStop(), max_cycles=2)
    assert cycle.numbers == [1, 2]


def test_a_fault_that_ends_the_loop_leaves_stopping_and_the_error(tmp_path: Path) -> None:
    """Not "running" (a crash) nor "stopped" (a clean exit): stopping, and why."""
    cycle = FakeCycle(status_path(tmp_path), fails_at=2)
    with pytest.raises(StateError, match="disk full"):
        run_live(_options(tmp_path), _deps(), Builder(cycle), stop=NeverStop(), max_cycles=5)
    status = read_status(status_path(tmp_path))
    assert (status.state, status.last_error) == (
        "stopping",
        "StateError: cannot write live.db: disk full",
    )
    assert cycle.settled == []


def test_a_cycle_that_cannot_be_built_is_reported_too(tmp_path: Path) -> None:
    """A wiring failure after the status file said starting."""
    with pytest.raises(ConfigError):
        run_live(_options(tmp_path), _deps(), Builder(None), stop=NeverStop(), max_cycles=1)
    status = read_status(status_path(tmp_path))
    assert (status.state, status.last_error) == ("stopping", "ConfigError: SIM_DATA: no candles")


@pytest.mark.parametrize(
    ("safe_mode", "live", "armed", "allowed"),
    [
        (False, False, False, True),  # a sim run needs no arming
        (True, False, False, False),
        (False, True, False, False),  # live, acknowledged, not armed
        (False, True, True, True),
    ],
)
def test_the_status_says_whether_a_new_order_would_go_out(
    tmp_path: Path, safe_mode: bool, live: bool, armed: bool, allowed: bool
) -> None:
    """The policy's verdict on this process's facts, with the database's armed flag."""
    cycle = FakeCycle(status_path(tmp_path))
    run_live(
        _options(tmp_path),
        _deps(safe_mode=safe_mode, live=live, armed=armed),
        Builder(cycle),
        stop=NeverStop(),
        max_cycles=1,
    )
    status = read_status(status_path(tmp_path))
    assert (status.trading_allowed, status.armed) == (allowed, armed)


def test_the_loop_is_paced_by_the_sleep_and_clock_given(tmp_path: Path) -> None:
    """The demo's accelerated clock: its sleep and its monotonic time reach the loop."""
    slept: list[float] = []
    ticks = iter(range(100))

    def sleep(seconds: float) -> bool:
        slept.append(seconds)
        return False

    cycle = FakeCycle(status_path(tmp_path))
    run_live(
        _options(tmp_path),
        _deps(),
        Builder(cycle),
        stop=NeverStop(),
        max_cycles=3,
        sleep=sleep,
        monotonic=lambda: float(next(ticks)) / 4,
    )
    assert cycle.numbers == [1, 2, 3]
    assert slept == [0.75, 0.75]  # a cycle period of 1 s less 0.25 s a cycle


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _bindable(host: str, port: int) -> bool:
    """Whether another socket could take ``host:port`` now."""
    with socket.socket() as other:
        try:
            other.bind((host, port))
        except OSError:
            return False
        return True


def test_the_metrics_port_is_served_during_the_run_and_released_after(tmp_path: Path) -> None:
    """Taken for the run (a second bind fails), free again once run_live returns."""
    port = _free_port()
    busy: list[bool] = []

    def try_bind() -> None:
        busy.append(not _bindable("127.0.0.1", port))

    cycle = FakeCycle(status_path(tmp_path))
    run_live(
        _options(tmp_path, port),
        _deps(),
        Builder(cycle),
        stop=NeverStop(),
        max_cycles=1,
        before_stop=try_bind,
    )
    try_bind()
    assert busy == [True, False]


def test_a_busy_metrics_port_is_one_line_naming_it(tmp_path: Path) -> None:
    """Another program on METRICS_PORT: refused before any cycle, with what to do."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = int(holder.getsockname()[1])
        cycle = FakeCycle(status_path(tmp_path))
        with pytest.raises(ConfigError, match=f"METRICS_PORT={port} on METRICS_BIND=127.0.0.1"):
            run_live(
                _options(tmp_path, port), _deps(), Builder(cycle), stop=NeverStop(), max_cycles=1
            )
    assert cycle.numbers == []


def test_an_interrupt_inside_a_cycle_is_reported_as_stopping_too(tmp_path: Path) -> None:
    """Ctrl+C that lands inside a cycle (not at the loop's wait) is not a crash either."""
    cycle = FakeCycle(status_path(tmp_path), fails_at=1)
    cycle.fault = KeyboardInterrupt()
    with pytest.raises(KeyboardInterrupt):
        run_live(_options(tmp_path), _deps(), Builder(cycle), stop=NeverStop(), max_cycles=3)
    status = read_status(status_path(tmp_path))
    assert (status.state, status.last_error) == ("stopping", "KeyboardInterrupt: ")


def test_the_kill_switch_setting_reaches_the_status_file(tmp_path: Path) -> None:
    """KILL_SWITCH=true is what the MONITOR reads, from the first write on."""
    cycle = FakeCycle(status_path(tmp_path))
    run_live(
        _options(tmp_path, kill_switch=True),
        _deps(),
        Builder(cycle),
        stop=NeverStop(),
        max_cycles=1,
    )
    assert read_status(status_path(tmp_path)).kill_switch is True


def test_the_exporter_serves_this_processs_metrics_on_the_bind_address_only(
    tmp_path: Path,
) -> None:
    """METRICS_BIND is honoured (not every interface), and /metrics is the bot's registry."""
    port = _free_port()
    seen: list[tuple[str, bool]] = []

    def look() -> None:
        with urllib.request.urlopen(f"http://127.0.0.2:{port}/metrics", timeout=5) as answer:
            body = answer.read().decode("utf-8")
        seen.append((body, _bindable("127.0.0.1", port)))

    cycle = FakeCycle(status_path(tmp_path))
    run_live(
        _options(tmp_path, port, bind="127.0.0.2"),
        _deps(),
        Builder(cycle),
        stop=NeverStop(),
        max_cycles=1,
        before_stop=look,
    )
    ((body, other_address_free),) = seen
    assert 'btcbot_cycles_total{outcome="ok"} 1.0' in body, body
    assert other_address_free  # 127.0.0.1 was not taken: the exporter bound 127.0.0.2 only
