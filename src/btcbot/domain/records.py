"""Control-plane records the state database keeps: who writes, arming, kill switch, health.

These are what the repositories in ``btcbot.state.repositories`` take and return; SQL rows never
leave that package.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from btcbot.domain.enums import Role


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} must be timezone-aware UTC")


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Which process, cycle and configuration wrote a row; stamped on every row written."""

    process_role: Role
    process_instance_id: str
    config_hash: str
    cycle_id: str | None = None

    def for_cycle(self, cycle_id: str | None) -> AuditContext:
        """The same process and configuration, inside another cycle (or none)."""
        return replace(self, cycle_id=cycle_id)


@dataclass(frozen=True, slots=True)
class ArmingState:
    """One arm or disarm decision; the newest one is the current state."""

    armed: bool
    reason: str
    changed_by: str
    changed_at: datetime

    def __post_init__(self) -> None:
        _require_aware("ArmingState.changed_at", self.changed_at)


class KillSwitchSource(StrEnum):
    """Where a kill-switch change came from."""

    KILL_FILE = "kill_file"
    OPERATOR = "operator"
    CONFIG = "config"


@dataclass(frozen=True, slots=True)
class KillSwitchRecord:
    """The kill switch engaged (or released) and why."""

    engaged: bool
    reason: str
    source: KillSwitchSource
    recorded_by: str
    recorded_at: datetime

    def __post_init__(self) -> None:
        _require_aware("KillSwitchRecord.recorded_at", self.recorded_at)


class HealthLevel(StrEnum):
    """A health check's verdict (Nagios order: ok < warning < critical; unknown = broken)."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class HealthCheckRecord:
    """One check of a health run: its verdict, why, and what the operator should do."""

    name: str
    status: HealthLevel
    reason: str
    remediation: str = ""


@dataclass(frozen=True, slots=True)
class HealthSnapshot:
    """One ``btcbot health`` run as stored in the MONITOR database."""

    taken_at: datetime
    status: HealthLevel
    summary: str
    checks: tuple[HealthCheckRecord, ...]

    def __post_init__(self) -> None:
        _require_aware("HealthSnapshot.taken_at", self.taken_at)
