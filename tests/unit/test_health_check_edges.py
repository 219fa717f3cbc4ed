"""The health checks at their edges, and the words the scheduler's operator reads.

``test_health_checks`` shows each problem reaching its level; these hold each threshold to the
side it falls on, the clock offset to the midpoint of its round trip, and each result to its
exact line and remediation: the MONITOR's output is all the operator sees at 3 a.m.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from health_factories import NOW, live_check
from health_factories import STATUS as BASE

from btcbot.adapters.clock import ManualClock
from btcbot.adapters.control_dir import KillRecord, write_kill
from btcbot.adapters.processes import ProcessFacts
from btcbot.domain.errors import ExchangeUnavailableError
from btcbot.domain.records import HealthLevel
from btcbot.observability.status_file import LiveStatus, status_path
from btcbot.services.health import CheckResult
from btcbot.services.health_checks import (
    DiskLimits,
    StaleLimits,
    check_disk,
    check_exchange_clock,
    check_kill_file,
    check_live_status,
)

OK, WARN, CRIT = HealthLevel.OK, HealthLevel.WARNING, HealthLevel.CRITICAL
STATUS = replace(BASE, written_at=NOW - timedelta(seconds=10.26))  # its age rounds to 10.3
START_LIVE = "start LIVE with scripts\\run_live.ps1 (see docs/RUNBOOK.md)"


def _facts(pid: int, started_at: datetime = STATUS.started_at) -> ProcessFacts:
    """Process 4242 is a btcbot started when the status says; any other pid is not running."""
    if pid != STATUS.pid:
        return ProcessFacts(alive=False)
    return ProcessFacts(alive=True, is_btcbot=True, started_at=started_at)


def _live(
    tmp_path: Path, status: LiveStatus = STATUS, started_at: datetime | None = None
) -> CheckResult:
    return live_check(tmp_path, status, lambda pid: _facts(pid, started_at or STATUS.started_at))


# --- the LIVE status file --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "level"),
    [(150.0, OK), (150.5, WARN), (360.0, WARN), (360.5, CRIT)],
)
def test_a_status_is_stale_only_past_its_limit(age: float, level: HealthLevel) -> None:
    """Two cycles and 30 s warn, five cycles and 60 s are critical; the limit itself is not."""
    assert StaleLimits().level(timedelta(seconds=age), 60.0) is level


def test_a_healthy_live_says_which_process_mode_and_cycle(tmp_path: Path) -> None:
    """The OK line and the details the scheduler's graphs read."""
    result = _live(tmp_path)
    assert (result.name, result.status) == ("live_status", OK)
    assert result.reason == "LIVE pid 4242 live, cycle c-9, 0 open"
    assert result.details == {
        "pid": 4242,
        "state": "running",
        "mode": "live",
        "cycle_id": "c-9",
        "armed": True,
        "trading_allowed": None,  # STATUS leaves it unset
        "kill_switch": False,
        "open_orders": 0,
        "last_error": None,
        "written_at": (NOW - timedelta(seconds=10.26)).isoformat(),
        "age_seconds": 10.3,
    }
    dry = _live(tmp_path, replace(STATUS, mode="dry-run", armed=False))
    assert dry.reason == "LIVE pid 4242 DRY RUN (dry-run), cycle c-9, 0 open"


def test_a_process_started_within_the_tolerance_is_the_same_live(tmp_path: Path) -> None:
    """The OS and the status file may disagree on the start by a few seconds, not more."""
    same = _live(tmp_path, started_at=STATUS.started_at + timedelta(seconds=5))
    assert same.status is OK
    reused = _live(tmp_path, started_at=STATUS.started_at + timedelta(seconds=5.5))
    assert (reused.status, reused.remediation) == (CRIT, START_LIVE)


def test_the_pid_checked_is_the_one_in_the_status_file(tmp_path: Path) -> None:
    """The process looked up is the status file's pid; a vanished one is a crash."""
    assert _live(tmp_path).status is OK
    gone = _live(tmp_path, replace(STATUS, pid=99))
    assert gone.reason == "LIVE pid 99 is not running (crashed while running)"
    assert gone.remediation == (
        f"read the LIVE log, then {START_LIVE} (RUNBOOK: recovering after a crash)"
    )


def test_the_worst_problem_leads_the_line_and_gives_the_remediation(tmp_path: Path) -> None:
    """A warning found first still follows a critical halt; the remediation is the halt's."""
    status = replace(
        STATUS,
        last_error="ExchangeUnavailableError: 503",
        trading_state="halted",
        trading_state_reason="drawdown 11 %",
    )
    result = _live(tmp_path, status)
    assert result.status is CRIT
    assert result.reason == (
        "LIVE trading HALTED (risk): drawdown 11 %; LIVE last error: ExchangeUnavailableError: 503"
    )
    assert result.remediation == (
        "read 'btcbot inspect'; once understood, 'btcbot arm' (LIVE session) lifts it"
    )
    assert result.details["last_error"] == "ExchangeUnavailableError: 503"


@pytest.mark.parametrize(
    ("change", "remediation"),
    [
        ({"hostname": "elsewhere"}, "run the MONITOR on the LIVE host"),
        (
            {"written_at": NOW - timedelta(seconds=200)},
            "the LIVE loop is stuck or slow: read its log; restart it if it does not recover",
        ),
        ({"armed": False}, "stop LIVE, run 'btcbot arm', start LIVE (docs/RUNBOOK.md: arming)"),
        ({"last_error": "ExchangeUnavailableError: 503"}, "read the LIVE log"),
        ({"kill_switch": True}, "see the kill_file check"),
        (
            {"trading_state": "reducing", "trading_state_reason": "drawdown 6 %"},
            "only exposure-cutting orders go out until the drawdown recovers",
        ),
        (
            {"foreign_orders": 2},
            "see 'btcbot inspect' (foreign orders); cancel them at BtcTurk if unintended",
        ),
    ],
)
def test_each_warning_says_what_to_do(
    tmp_path: Path, change: dict[str, object], remediation: str
) -> None:
    """Every warning carries the one step that clears it."""
    result = _live(tmp_path, replace(STATUS, **change))  # type: ignore[arg-type]
    assert (result.status, result.remediation) == (WARN, remediation)


def test_each_warning_has_its_line_and_warnings_keep_the_order_found(tmp_path: Path) -> None:
    """A REDUCING LIVE is never reported OK; a kill switch without a reason still says so."""
    reducing = _live(tmp_path, replace(STATUS, trading_state="reducing", trading_state_reason="dd"))
    assert (reducing.name, reducing.status, reducing.reason) == (
        "live_status",
        WARN,
        "LIVE trading REDUCING: dd",
    )
    killed = _live(tmp_path, replace(STATUS, kill_switch=True))
    assert killed.reason == "LIVE reports kill switch: kill switch"
    both = _live(tmp_path, replace(STATUS, last_error="E: x", armed=False))
    assert both.reason == (
        "LIVE last error: E: x; LIVE is running but not armed: it places no orders"
    )
    assert both.remediation == "read the LIVE log"


def test_a_stopped_live_is_reported_stopped_not_stale(tmp_path: Path) -> None:
    """A clean stop an hour ago is one problem, the stop, not also an old status file."""
    stopped = replace(STATUS, state="stopped", written_at=NOW - timedelta(hours=1))
    result = _live(tmp_path, stopped)
    assert (result.status, result.reason) == (CRIT, "LIVE stopped at 11:00:00Z")
    assert "age_seconds" not in result.details


def test_a_missing_or_unreadable_status_file_says_why_and_what_to_do(tmp_path: Path) -> None:
    """Both are CRITICAL: without the file the MONITOR knows nothing of LIVE."""
    path = status_path(tmp_path)
    missing = check_live_status(path, clock=ManualClock(NOW), hostname="h", inspect=_facts)
    assert (missing.name, missing.reason) == ("live_status", f"no LIVE status file at {path}")
    assert missing.remediation == f"{START_LIVE}; both sessions must use the same CONTROL_DIR"
    path.write_text("{", encoding="utf-8")
    garbled = check_live_status(path, clock=ManualClock(NOW), hostname="h", inspect=_facts)
    assert garbled.name == "live_status"
    assert garbled.reason.startswith("LIVE status file unreadable: ")
    assert garbled.remediation == (
        "check both roles run the same btcbot version; LIVE rewrites it each cycle"
    )


# --- the kill file -----------------------------------------------------------------------------


def test_the_kill_file_check_reads_who_when_and_why(tmp_path: Path) -> None:
    """The whole result, OK and WARNING, as the scheduler prints it."""
    assert check_kill_file(tmp_path) == CheckResult("kill_file", OK, "no kill file")
    write_kill(tmp_path, KillRecord(reason="drill", by="op", at=NOW, pid=1, hostname="h"))
    result = check_kill_file(tmp_path)
    assert result == CheckResult(
        "kill_file",
        WARN,
        "kill file present since 2026-05-01 12:00:00Z by op: drill",
        remediation="trading is halted on purpose; 'btcbot arm' (LIVE session) resumes it",
        details={"reason": "drill", "by": "op", "at": NOW.isoformat()},
    )


# --- the exchange's clock ------------------------------------------------------------------------


def _clock_check(server_offset: float, round_trip: float) -> CheckResult:
    """The exchange answers ``server_offset`` s ahead of us, after ``round_trip`` s."""
    ticks = iter([100.0, 100.0 + round_trip])
    return check_exchange_clock(
        lambda: NOW + timedelta(seconds=server_offset), ManualClock(NOW), lambda: next(ticks)
    )


def test_the_offset_is_measured_from_the_midpoint_of_the_round_trip() -> None:
    """The server stamped its time half way: 3 s ahead after a 1 s round trip is 2.5 s."""
    result = _clock_check(3.0, 1.0)
    assert result == CheckResult(
        "exchange",
        WARN,
        "clock offset +2.50 s (round trip 1000 ms) exceeds 2 s: LIVE corrects it by the measured"
        " offset",
        remediation="synchronise this host's clock (w32tm /resync on Windows)",
        details={"offset_seconds": 2.5, "round_trip_seconds": 1.0},
    )


def test_an_unreachable_exchange_says_what_to_check() -> None:
    """CRITICAL: LIVE cannot read or sign anything either."""

    def down() -> datetime:
        raise ExchangeUnavailableError("refused", endpoint="GET /api/v2/server/time")

    assert check_exchange_clock(down, ManualClock(NOW)) == CheckResult(
        "exchange",
        CRIT,
        "exchange unreachable: ExchangeUnavailableError: GET /api/v2/server/time: refused",
        remediation="check the network, BTCTURK_BASE_URL and BtcTurk's status page",
    )


def test_the_offset_and_round_trip_are_kept_to_the_millisecond() -> None:
    """The perfdata's figures: rounded to 3 decimals, not 4."""
    result = _clock_check(2.5, 0.0002)
    assert result.details == {"offset_seconds": 2.5, "round_trip_seconds": 0.0}


@pytest.mark.parametrize(
    ("offset", "round_trip", "level"),
    [(2.0, 0.0, OK), (-2.0, 0.0, OK), (2.01, 0.0, WARN), (0.0, 10.0, OK), (0.0, 10.02, CRIT)],
)
def test_the_clock_limits_themselves_are_not_crossed(
    offset: float, round_trip: float, level: HealthLevel
) -> None:
    """2 s of offset is OK; half a round trip of exactly 5 s is still known well enough."""
    assert _clock_check(offset + round_trip / 2, round_trip).status is level


def test_each_clock_result_has_its_words() -> None:
    """OK names the offset and round trip; CRITICAL says why LIVE places nothing."""
    ok = _clock_check(0.5, 0.2)
    assert ok == CheckResult(
        "exchange",
        OK,
        "reachable, clock offset +0.40 s (round trip 200 ms)",
        details={"offset_seconds": 0.4, "round_trip_seconds": 0.2},
    )
    slow = _clock_check(6.0, 12.0)
    assert slow == CheckResult(
        "exchange",
        CRIT,
        "clock offset +0.00 s (round trip 12000 ms): the exchange's clock cannot be known within"
        " 5 s, so LIVE places no new order",
        remediation="check the network path to the exchange",
        details={"offset_seconds": 0.0, "round_trip_seconds": 12.0},
    )


# --- disk ---------------------------------------------------------------------------------------


def test_the_fullest_disk_is_named_with_what_it_has_left(tmp_path: Path) -> None:
    """The path with the least free space decides, and is named with its GiB."""
    roomy, tight = tmp_path / "control", tmp_path / "db"  # the fuller one sorts last
    space = {roomy: 5 * 1024**3, tight: 512 * 1024**2}
    result = check_disk([roomy, tight], usage=space.__getitem__)
    assert result == CheckResult(
        "disk",
        WARN,
        f"only 0.50 GiB free at {tight}",
        remediation="free disk space: SQLite needs room for WAL, backups and migrations",
        details={"free_bytes": {str(roomy): 5 * 1024**3, str(tight): 512 * 1024**2}},
    )
    fine = check_disk([roomy], usage=space.__getitem__)
    assert fine == CheckResult(
        "disk", OK, f"5.00 GiB free at {roomy}", details={"free_bytes": {str(roomy): 5 * 1024**3}}
    )


@pytest.mark.parametrize(
    ("free", "level"),
    [(1024**3, OK), (1024**3 - 1, WARN), (100 * 1024**2, WARN), (100 * 1024**2 - 1, CRIT)],
)
def test_the_disk_limits_themselves_are_not_crossed(
    tmp_path: Path, free: int, level: HealthLevel
) -> None:
    """Exactly 1 GiB is OK and exactly 100 MiB is WARNING: the limits are 'under'."""
    assert check_disk([tmp_path], usage=lambda _p: free).status is level


def test_the_disk_limits_given_are_the_ones_used(tmp_path: Path) -> None:
    """Limits passed in replace the defaults."""
    strict = DiskLimits(warn_bytes=10 * 1024**3, critical_bytes=1024**3)
    assert check_disk([tmp_path], strict, usage=lambda _p: 2 * 1024**3).status is WARN
    assert check_disk([tmp_path], usage=lambda _p: 2 * 1024**3).status is OK


def test_the_disk_check_reads_this_machines_free_space(tmp_path: Path) -> None:
    """Without an injected reading it asks the operating system (what the MONITOR does)."""
    result = check_disk([tmp_path])
    free = result.details["free_bytes"]
    assert isinstance(free, dict)
    assert isinstance(free[str(tmp_path)], int)
    assert result.reason.endswith(f" GiB free at {tmp_path}")
