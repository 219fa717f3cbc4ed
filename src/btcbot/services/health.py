"""The MONITOR's health run: independent checks, one verdict, Nagios exit codes, a hard deadline.

Each check is a callable returning a ``CheckResult``; a check that raises is reported as
UNKNOWN with the error's type, never allowed to abort the run. The overall verdict is the most
serious check, in the order CRITICAL > UNKNOWN > WARNING > OK: "we could not tell" is worse
than a known warning, but a known outage is worse still. Exit codes follow the Nagios plugin
convention (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from btcbot.adapters.clock import Clock
from btcbot.domain.records import HealthCheckRecord, HealthLevel, HealthSnapshot

EXIT_CODES: Mapping[HealthLevel, int] = {
    HealthLevel.OK: 0,
    HealthLevel.WARNING: 1,
    HealthLevel.CRITICAL: 2,
    HealthLevel.UNKNOWN: 3,
}
_SEVERITY = {
    HealthLevel.OK: 0,
    HealthLevel.WARNING: 1,
    HealthLevel.UNKNOWN: 2,
    HealthLevel.CRITICAL: 3,
}


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check's verdict: status, a one-line reason, and what the operator should do."""

    name: str
    status: HealthLevel
    reason: str
    remediation: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The JSON shape of ``btcbot health --json``."""
        return {
            "name": self.name,
            "status": self.status.value,
            "code": EXIT_CODES[self.status],
            "reason": self.reason,
            "remediation": self.remediation,
            "details": dict(self.details),
        }


HealthCheck = Callable[[], CheckResult]


def worst(levels: Sequence[HealthLevel]) -> HealthLevel:
    """The most serious level (CRITICAL > UNKNOWN > WARNING > OK); OK for none."""
    return max(levels, key=_SEVERITY.__getitem__, default=HealthLevel.OK)


@dataclass(frozen=True, slots=True)
class HealthReport:
    """All check results of one run and the overall verdict."""

    started_at: datetime
    duration_seconds: float
    checks: tuple[CheckResult, ...]

    @property
    def status(self) -> HealthLevel:
        """The overall verdict."""
        return worst([c.status for c in self.checks])

    @property
    def exit_code(self) -> int:
        """The Nagios exit code of the overall verdict."""
        return EXIT_CODES[self.status]

    def summary(self) -> str:
        """One line: ``BTCBOT WARNING - exchange: clock offset +3.1 s ...`` (problems only)."""
        status = self.status
        problems = [c for c in self.checks if c.status is not HealthLevel.OK]
        problems.sort(key=lambda c: _SEVERITY[c.status], reverse=True)
        if not problems:
            body = f"all {len(self.checks)} checks OK"
        else:
            body = "; ".join(f"{c.name}: {c.reason}" for c in problems)
        # The LIVE process's mode (sim, paper or live), as its status file reports it.
        modes = [c.details.get("mode") for c in self.checks if c.name == "live_status"]
        mode = f" [mode {modes[0]}]" if modes and modes[0] else ""
        return f"BTCBOT {status.value.upper()} - {body}{mode}".replace("\n", " ")

    def nagios_line(self) -> str:
        """The summary plus Nagios performance data (``| clock_offset=0.01s;2;5 ...``)."""
        perf = [f"duration={self.duration_seconds:.3f}s"]
        for check in self.checks:
            offset = check.details.get("offset_seconds")
            if check.name == "exchange" and isinstance(offset, int | float):
                perf.append(f"clock_offset={offset:.3f}s;2;5")
            age = check.details.get("age_seconds")
            if check.name == "live_status" and isinstance(age, int | float):
                perf.append(f"status_age={age:.1f}s")
        return f"{self.summary()} | {' '.join(perf)}"

    def as_dict(self) -> dict[str, Any]:
        """The JSON document of ``btcbot health --json``."""
        return {
            "status": self.status.value,
            "code": self.exit_code,
            "summary": self.summary(),
            "started_at": self.started_at.isoformat(),
            "duration_seconds": round(self.duration_seconds, 3),
            "checks": [c.as_dict() for c in self.checks],
        }

    def snapshot(self) -> HealthSnapshot:
        """The record stored in the MONITOR database."""
        return HealthSnapshot(
            taken_at=self.started_at,
            status=self.status,
            summary=self.summary(),
            checks=tuple(
                HealthCheckRecord(c.name, c.status, c.reason, c.remediation) for c in self.checks
            ),
        )

    def with_check(self, result: CheckResult) -> HealthReport:
        """The same report with one more (or a replaced, same-named) check."""
        kept = tuple(c for c in self.checks if c.name != result.name)
        return HealthReport(self.started_at, self.duration_seconds, (*kept, result))


def _guarded(name: str, check: HealthCheck) -> CheckResult:
    try:
        return check()
    except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
        return CheckResult(
            name=name,
            status=HealthLevel.UNKNOWN,
            reason=f"the check itself failed: {type(exc).__name__}: {exc}",
            remediation="report this as a btcbot bug, with the log line",
        )


def run_checks(checks: Sequence[tuple[str, HealthCheck]], clock: Clock) -> HealthReport:
    """Run every check in order and collect a report."""
    started = clock.now()
    t0 = time.monotonic()
    results = tuple(_guarded(name, check) for name, check in checks)
    return HealthReport(started, time.monotonic() - t0, results)


class Deadline:
    """A watchdog: if not cancelled within ``seconds``, calls ``on_expire`` from a thread.

    The CLI's ``on_expire`` prints an UNKNOWN line and ends the process with exit 3 via
    ``os._exit``: a check stuck in a system call cannot be interrupted any other way, and the
    scheduler must never see ``btcbot health`` hang.
    """

    def __init__(self, seconds: float, on_expire: Callable[[], object]) -> None:
        self.seconds = seconds
        self._timer = threading.Timer(seconds, on_expire)
        self._timer.daemon = True
        self._started = time.monotonic()

    def start(self) -> Deadline:
        """Arm the watchdog; returns self."""
        self._started = time.monotonic()
        self._timer.start()
        return self

    def remaining(self) -> float:
        """Seconds left before the watchdog fires (never negative)."""
        return max(0.0, self.seconds - (time.monotonic() - self._started))

    def cancel(self) -> None:
        """Disarm the watchdog."""
        self._timer.cancel()
