"""The individual health checks: the LIVE status file, the kill file, the exchange clock, disk.

Each function returns a ``CheckResult`` and takes what it reads as arguments (paths, an
injected clock, probes), so unit tests drive them without processes or network.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from btcbot.adapters.clock import Clock
from btcbot.adapters.control_dir import read_kill
from btcbot.adapters.processes import ProcessFacts
from btcbot.domain.errors import ExchangeError
from btcbot.domain.records import HealthLevel
from btcbot.observability.status_file import (
    DRY_RUN_MODES,
    LIVE_MODE,
    LiveStatus,
    StatusFileError,
    read_status,
)
from btcbot.services.health import CheckResult, worst

CLOCK_WARN_SECONDS = 2.0
# BtcTurk rejects a signed request whose X-Stamp is more than 5 s off; LIVE corrects the stamp by
# the measured offset, so only a measurement this uncertain (half its round trip) is critical.
CLOCK_CRITICAL_SECONDS = 5.0
# A pid may be re-used after a crash: the process must be at least as old as the status says.
_START_TOLERANCE = timedelta(seconds=5)
_START_LIVE = "start LIVE with scripts\\run_live.ps1 (see docs/RUNBOOK.md)"


@dataclass(frozen=True, slots=True)
class StaleLimits:
    """How old the status file may get, in LIVE cycles plus a grace for a slow cycle."""

    warn_cycles: float = 2.0
    warn_grace_seconds: float = 30.0
    critical_cycles: float = 5.0
    critical_grace_seconds: float = 60.0

    def level(self, age: timedelta, cycle_seconds: float) -> HealthLevel:
        """The level of a status file ``age`` old, for a LIVE cycling every ``cycle_seconds``."""
        age_s = age.total_seconds()
        if age_s > self.critical_cycles * cycle_seconds + self.critical_grace_seconds:
            return HealthLevel.CRITICAL
        if age_s > self.warn_cycles * cycle_seconds + self.warn_grace_seconds:
            return HealthLevel.WARNING
        return HealthLevel.OK


def _problem_result(
    name: str,
    problems: list[tuple[HealthLevel, str, str]],
    ok_reason: str,
    details: dict[str, object],
) -> CheckResult:
    if not problems:
        return CheckResult(name, HealthLevel.OK, ok_reason, details=details)
    level = worst([p[0] for p in problems])
    ordered = sorted(problems, key=lambda p: p[0] is not level)
    return CheckResult(
        name,
        level,
        "; ".join(p[1] for p in ordered),
        remediation=ordered[0][2],
        details=details,
    )


def check_live_status(
    path: Path,
    *,
    clock: Clock,
    hostname: str,
    inspect: Callable[[int], ProcessFacts],
    limits: StaleLimits | None = None,
) -> CheckResult:
    """Is LIVE running, recent, really btcbot, error-free and armed as expected?"""
    try:
        status = read_status(path)
    except FileNotFoundError:
        return CheckResult(
            "live_status",
            HealthLevel.CRITICAL,
            f"no LIVE status file at {path}",
            remediation=f"{_START_LIVE}; both sessions must use the same CONTROL_DIR",
        )
    except (StatusFileError, OSError) as exc:
        return CheckResult(
            "live_status",
            HealthLevel.CRITICAL,
            f"LIVE status file unreadable: {exc}",
            remediation="check both roles run the same btcbot version; LIVE rewrites it each cycle",
        )
    details: dict[str, object] = {
        "pid": status.pid,
        "state": status.state,
        "mode": status.mode,
        "cycle_id": status.cycle_id,
        "armed": status.armed,
        "trading_allowed": status.trading_allowed,
        "kill_switch": status.kill_switch,
        "open_orders": status.open_orders,
        "last_error": status.last_error,
        "written_at": status.written_at.isoformat(),
    }
    problems = _process_problems(status, hostname, inspect)
    problems += _freshness_problems(status, clock.now(), limits or StaleLimits(), details)
    problems += _state_problems(status)
    mode = f"DRY RUN ({status.mode})" if status.mode in DRY_RUN_MODES else status.mode
    ok = f"LIVE pid {status.pid} {mode}, cycle {status.cycle_id}, {status.open_orders} open"
    return _problem_result("live_status", problems, ok, details)


def _process_problems(
    status: LiveStatus, hostname: str, inspect: Callable[[int], ProcessFacts]
) -> list[tuple[HealthLevel, str, str]]:
    if status.state == "stopped":
        return [
            (HealthLevel.CRITICAL, f"LIVE stopped at {status.written_at:%H:%M:%SZ}", _START_LIVE)
        ]
    if status.hostname != hostname:
        return [
            (
                HealthLevel.WARNING,
                f"LIVE runs on {status.hostname}, not here: its pid cannot be checked",
                "run the MONITOR on the LIVE host",
            )
        ]
    facts = inspect(status.pid)
    if not facts.alive:
        return [
            (
                HealthLevel.CRITICAL,
                f"LIVE pid {status.pid} is not running (crashed while {status.state})",
                f"read the LIVE log, then {_START_LIVE} (RUNBOOK: recovering after a crash)",
            )
        ]
    reused = (
        facts.started_at is not None and facts.started_at > status.started_at + _START_TOLERANCE
    )
    if not facts.is_btcbot or reused:
        return [
            (
                HealthLevel.CRITICAL,
                f"pid {status.pid} is alive but is not the LIVE btcbot (pid reused after a crash)",
                _START_LIVE,
            )
        ]
    return []


def _freshness_problems(
    status: LiveStatus, now: datetime, limits: StaleLimits, details: dict[str, object]
) -> list[tuple[HealthLevel, str, str]]:
    if status.state == "stopped":
        return []
    age = now - status.written_at
    details["age_seconds"] = round(age.total_seconds(), 1)
    level = limits.level(age, status.cycle_seconds)
    if level is HealthLevel.OK:
        return []
    return [
        (
            level,
            f"LIVE status is {age.total_seconds():.0f} s old (cycle {status.cycle_seconds:g} s)",
            "the LIVE loop is stuck or slow: read its log; restart it if it does not recover",
        )
    ]


def _state_problems(status: LiveStatus) -> list[tuple[HealthLevel, str, str]]:
    problems: list[tuple[HealthLevel, str, str]] = []
    if status.last_error:
        problems.append(
            (HealthLevel.WARNING, f"LIVE last error: {status.last_error}", "read the LIVE log")
        )
    if status.mode == LIVE_MODE and not status.armed:
        problems.append(
            (
                HealthLevel.WARNING,
                "LIVE is running but not armed: it places no orders",
                "stop LIVE, run 'btcbot arm', start LIVE (docs/RUNBOOK.md: arming)",
            )
        )
    problems.extend(_books_problems(status))
    if status.kill_switch:
        reason = status.kill_reason or "kill switch"
        problems.append(
            (HealthLevel.WARNING, f"LIVE reports kill switch: {reason}", "see the kill_file check")
        )
    return problems


def _books_problems(status: LiveStatus) -> list[tuple[HealthLevel, str, str]]:
    """A halt (its typed cause and reason) and orders on the account the bot did not place."""
    problems: list[tuple[HealthLevel, str, str]] = []
    if status.trading_state == "halted":
        cause = status.trading_state_cause or "risk"
        problems.append(
            (
                HealthLevel.CRITICAL,
                f"LIVE trading HALTED ({cause}): {status.trading_state_reason}",
                "read 'btcbot inspect'; once understood, 'btcbot arm' (LIVE session) lifts it",
            )
        )
    elif status.trading_state == "reducing":
        problems.append(
            (
                HealthLevel.WARNING,
                f"LIVE trading REDUCING: {status.trading_state_reason}",
                "only exposure-cutting orders go out until the drawdown recovers",
            )
        )
    if status.foreign_orders:
        problems.append(
            (
                HealthLevel.WARNING,
                (
                    f"{status.foreign_orders} open order(s) on the account were not placed by "
                    "btcbot (foreign): it never adopts, cancels or books them"
                ),
                "see 'btcbot inspect' (foreign orders); cancel them at BtcTurk if unintended",
            )
        )
    return problems


def check_kill_file(control_dir: Path) -> CheckResult:
    """A kill file means trading is deliberately stopped: a warning, never silent."""
    record = read_kill(control_dir)
    if record is None:
        return CheckResult("kill_file", HealthLevel.OK, "no kill file")
    return CheckResult(
        "kill_file",
        HealthLevel.WARNING,
        f"kill file present since {record.at:%Y-%m-%d %H:%M:%SZ} by {record.by}: {record.reason}",
        remediation="trading is halted on purpose; 'btcbot arm' (LIVE session) resumes it",
        details={"reason": record.reason, "by": record.by, "at": record.at.isoformat()},
    )


def check_exchange_clock(
    server_time: Callable[[], datetime],
    clock: Clock,
    monotonic: Callable[[], float] = time.monotonic,
) -> CheckResult:
    """Reach GET /api/v2/server/time and compare the exchange clock with ours."""
    sent = clock.now()
    t0 = monotonic()
    try:
        server = server_time()
    except ExchangeError as exc:
        return CheckResult(
            "exchange",
            HealthLevel.CRITICAL,
            f"exchange unreachable: {type(exc).__name__}: {exc}",
            remediation="check the network, BTCTURK_BASE_URL and BtcTurk's status page",
        )
    rtt = monotonic() - t0
    # The server stamped its time somewhere during the round trip: compare with the midpoint.
    offset = (server - (sent + timedelta(seconds=rtt / 2))).total_seconds()
    details = {"offset_seconds": round(offset, 3), "round_trip_seconds": round(rtt, 3)}
    text = f"clock offset {offset:+.2f} s (round trip {rtt * 1000:.0f} ms)"
    if rtt / 2 > CLOCK_CRITICAL_SECONDS:
        # LIVE corrects any steady offset, but not one it cannot measure this well.
        return CheckResult(
            "exchange",
            HealthLevel.CRITICAL,
            f"{text}: the exchange's clock cannot be known within "
            f"{CLOCK_CRITICAL_SECONDS:g} s, so LIVE places no new order",
            remediation="check the network path to the exchange",
            details=details,
        )
    if abs(offset) <= CLOCK_WARN_SECONDS:
        return CheckResult("exchange", HealthLevel.OK, f"reachable, {text}", details=details)
    return CheckResult(
        "exchange",
        HealthLevel.WARNING,
        f"{text} exceeds {CLOCK_WARN_SECONDS:g} s: LIVE corrects it by the measured offset",
        remediation="synchronise this host's clock (w32tm /resync on Windows)",
        details=details,
    )


@dataclass(frozen=True, slots=True)
class DiskLimits:
    """Free-space thresholds in bytes."""

    warn_bytes: int = 1024**3
    critical_bytes: int = 100 * 1024**2


def check_disk(
    paths: Sequence[Path],
    limits: DiskLimits | None = None,
    usage: Callable[[Path], int] | None = None,
) -> CheckResult:
    """Free space on the filesystems holding the databases and CONTROL_DIR."""
    lim = limits or DiskLimits()
    free_of = usage or (lambda p: shutil.disk_usage(p).free)
    free = {str(p): free_of(p) for p in paths}
    path, least = min(free.items(), key=lambda kv: kv[1])
    details: dict[str, object] = {"free_bytes": free}
    text = f"{least / 1024**3:.2f} GiB free at {path}"
    if least < lim.critical_bytes:
        level = HealthLevel.CRITICAL
    elif least < lim.warn_bytes:
        level = HealthLevel.WARNING
    else:
        return CheckResult("disk", HealthLevel.OK, text, details=details)
    return CheckResult(
        "disk",
        level,
        f"only {text}",
        remediation="free disk space: SQLite needs room for WAL, backups and migrations",
        details=details,
    )
