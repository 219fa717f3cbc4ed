"""Health verdicts: aggregation, the watchdog, and each check's thresholds (no I/O beyond tmp)."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from health_factories import ALIVE, NOW, STATUS, live_check

from btcbot.adapters.clock import ManualClock
from btcbot.adapters.control_dir import KillRecord, write_kill
from btcbot.adapters.processes import ProcessFacts
from btcbot.domain.errors import ExchangeUnavailableError
from btcbot.domain.records import HealthLevel
from btcbot.observability.status_file import LiveStatus, status_path
from btcbot.services.health import CheckResult, Deadline, HealthReport, run_checks, worst
from btcbot.services.health_checks import (
    DiskLimits,
    StaleLimits,
    check_disk,
    check_exchange_clock,
    check_kill_file,
    check_live_status,
)

OK, WARN, CRIT, UNK = (
    HealthLevel.OK,
    HealthLevel.WARNING,
    HealthLevel.CRITICAL,
    HealthLevel.UNKNOWN,
)


@pytest.mark.parametrize(
    ("levels", "expected"),
    [
        ([], OK),
        ([OK, OK], OK),
        ([OK, WARN], WARN),
        ([WARN, UNK], UNK),
        ([UNK, CRIT, WARN], CRIT),
    ],
)
def test_worst_orders_critical_unknown_warning_ok(
    levels: list[HealthLevel], expected: HealthLevel
) -> None:
    """The overall verdict is CRITICAL > UNKNOWN > WARNING > OK."""
    assert worst(levels) is expected


def test_a_check_that_raises_becomes_unknown_and_the_others_still_run() -> None:
    """A crashing check is reported UNKNOWN with its error type; later checks still run."""

    def broken() -> CheckResult:
        raise RuntimeError("boom")

    report = run_checks(
        [("broken", broken), ("fine", lambda: CheckResult("fine", OK, "ok"))], ManualClock(NOW)
    )
    assert [c.status for c in report.checks] == [UNK, OK]
    assert "RuntimeError: boom" in report.checks[0].reason
    assert report.exit_code == 3


def test_summary_lists_problems_worst_first_on_one_line() -> None:
    """The summary names the worst problem first and has no newline."""
    report = HealthReport(
        NOW,
        0.1,
        (
            CheckResult("a", WARN, "slow"),
            CheckResult("b", CRIT, "down\nhard"),
            CheckResult("c", OK, "fine"),
        ),
    )
    assert report.summary() == "BTCBOT CRITICAL - b: down hard; a: slow"
    assert report.exit_code == 2


def test_deadline_fires_when_work_overruns() -> None:
    """The watchdog calls its expiry hook when the work is not done in time."""
    fired = threading.Event()
    Deadline(0.05, fired.set).start()
    assert fired.wait(30)


def test_cancelled_deadline_never_fires() -> None:
    """A cancelled watchdog does not call its hook."""
    fired = threading.Event()
    deadline = Deadline(0.05, fired.set).start()
    deadline.cancel()
    assert not fired.wait(0.2)
    assert deadline.remaining() <= 0.05


def _live(tmp_path: Path, status: LiveStatus, facts: ProcessFacts = ALIVE) -> CheckResult:
    return live_check(tmp_path, status, lambda _pid: facts)


def test_fresh_status_of_a_running_btcbot_is_ok(tmp_path: Path) -> None:
    """A 10 s old status of a live btcbot pid is OK."""
    assert _live(tmp_path, STATUS).status is OK


@pytest.mark.parametrize(
    ("change", "facts", "level", "needle"),
    [
        ({"written_at": NOW - timedelta(seconds=200)}, ALIVE, WARN, "200 s old"),
        ({"written_at": NOW - timedelta(seconds=400)}, ALIVE, CRIT, "400 s old"),
        ({}, ProcessFacts(alive=False), CRIT, "not running"),
        ({}, ProcessFacts(alive=True, is_btcbot=False), CRIT, "not the LIVE btcbot"),
        ({}, ProcessFacts(alive=True, is_btcbot=True, started_at=NOW), CRIT, "pid reused"),
        ({"state": "stopped"}, ALIVE, CRIT, "LIVE stopped"),
        ({"hostname": "elsewhere"}, ALIVE, WARN, "cannot be checked"),
        ({"last_error": "ExchangeUnavailableError"}, ALIVE, WARN, "last error"),
        ({"armed": False}, ALIVE, WARN, "not armed"),
        ({"kill_switch": True, "kill_reason": "drill"}, ALIVE, WARN, "drill"),
    ],
)
def test_live_status_problems(
    tmp_path: Path, change: dict[str, object], facts: ProcessFacts, level: HealthLevel, needle: str
) -> None:
    """Each status-file problem maps to its level and is named in the reason."""
    result = _live(tmp_path, dataclasses.replace(STATUS, **change), facts)  # type: ignore[arg-type]
    assert result.status is level
    assert needle in result.reason


def test_dry_run_unarmed_is_not_a_warning(tmp_path: Path) -> None:
    """A dry-run LIVE is not expected to be armed."""
    assert _live(tmp_path, dataclasses.replace(STATUS, mode="dry-run", armed=False)).status is OK


def test_missing_and_garbled_status_files_are_critical(tmp_path: Path) -> None:
    """No status file, or an unreadable one, is CRITICAL with a remediation hint."""
    path = status_path(tmp_path)
    missing = check_live_status(
        path, clock=ManualClock(NOW), hostname="h", inspect=lambda _p: ALIVE
    )
    path.write_text("{", encoding="utf-8")
    garbled = check_live_status(
        path, clock=ManualClock(NOW), hostname="h", inspect=lambda _p: ALIVE
    )
    assert (missing.status, garbled.status) == (CRIT, CRIT)
    assert missing.remediation


def test_stale_limits_scale_with_the_cycle() -> None:
    """The same age is fine for a slow cycle and stale for a fast one."""
    limits = StaleLimits()
    assert limits.level(timedelta(seconds=120), 60) is OK
    assert limits.level(timedelta(seconds=120), 10) is CRIT


def test_kill_file_is_a_warning_with_its_reason(tmp_path: Path) -> None:
    """A kill file warns and quotes who wrote it and why."""
    assert check_kill_file(tmp_path).status is OK
    write_kill(tmp_path, KillRecord(reason="drill", by="op", at=NOW, pid=1, hostname="h"))
    result = check_kill_file(tmp_path)
    assert result.status is WARN
    assert "drill" in result.reason
    assert "op" in result.reason


@pytest.mark.parametrize(
    ("skew", "level"), [(0.0, OK), (1.9, OK), (-2.5, WARN), (4.9, WARN), (5.1, WARN), (-10, WARN)]
)
def test_clock_offset_thresholds(skew: float, level: HealthLevel) -> None:
    """Offsets above 2 s warn, in either direction; LIVE corrects any steady offset."""
    clock = ManualClock(NOW)
    result = check_exchange_clock(lambda: NOW + timedelta(seconds=skew), clock)
    assert result.status is level
    assert result.details["offset_seconds"] == pytest.approx(skew, abs=0.5)


def test_a_clock_measured_less_well_than_5_s_is_critical() -> None:
    """A 12 s round trip: the offset is unknown within 6 s, so LIVE would place nothing."""
    ticks = iter([100.0, 112.0])
    clock = ManualClock(NOW)
    result = check_exchange_clock(lambda: NOW + timedelta(seconds=6), clock, lambda: next(ticks))
    assert result.status is CRIT
    assert "places no new order" in result.reason


def test_unreachable_exchange_is_critical() -> None:
    """An exchange error from the probe is CRITICAL and names the error type."""

    def down() -> datetime:
        raise ExchangeUnavailableError("refused", endpoint="GET /api/v2/server/time")

    result = check_exchange_clock(down, ManualClock(NOW))
    assert result.status is CRIT
    assert "ExchangeUnavailableError" in result.reason


@pytest.mark.parametrize(
    ("free", "level"), [(5 * 1024**3, OK), (500 * 1024**2, WARN), (10 * 1024**2, CRIT)]
)
def test_disk_thresholds(tmp_path: Path, free: int, level: HealthLevel) -> None:
    """Free space under 1 GiB warns and under 100 MiB is critical (the least free path counts)."""
    result = check_disk([tmp_path, tmp_path / "x"], DiskLimits(), usage=lambda _p: free)
    assert result.status is level


def test_nagios_line_appends_performance_data() -> None:
    """The text line carries Nagios perfdata: duration, clock offset with thresholds, status age."""
    report = HealthReport(
        NOW,
        0.25,
        (
            CheckResult("exchange", OK, "ok", details={"offset_seconds": 0.5}),
            CheckResult("live_status", OK, "ok", details={"age_seconds": 12.0}),
        ),
    )
    assert report.nagios_line() == (
        "BTCBOT OK - all 2 checks OK | duration=0.250s clock_offset=0.500s;2;5 status_age=12.0s"
    )


def test_a_halt_is_critical_with_its_typed_cause_and_reason(tmp_path: Path) -> None:
    """LIVE halted because its books differ from the account: CRITICAL, cause and reason shown."""
    halted = replace(
        STATUS,
        trading_state="halted",
        trading_state_cause="books_differ",
        trading_state_reason="the books differ from the account (BTC: ...)",
    )
    result = _live(tmp_path, halted)
    assert result.status is CRIT
    assert "HALTED (books_differ): the books differ from the account" in result.reason


def test_foreign_orders_on_the_account_are_a_warning(tmp_path: Path) -> None:
    """Two resting orders the bot did not place: WARNING naming them as foreign."""
    result = _live(tmp_path, replace(STATUS, foreign_orders=2))
    assert result.status is WARN
    assert "2 open order(s) on the account were not placed by btcbot" in result.reason
