"""The unit of work: one immediate transaction, rolled back unless committed, rows stamped."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

import pytest
from state_db import initialised

from btcbot.domain.enums import Role
from btcbot.domain.errors import StateError
from btcbot.domain.records import (
    ArmingState,
    AuditContext,
    HealthCheckRecord,
    HealthLevel,
    HealthSnapshot,
    KillSwitchRecord,
    KillSwitchSource,
)
from btcbot.observability.audit import AuditEvent, AuditKind
from btcbot.settings import Settings
from btcbot.state.sqlite import connect
from btcbot.state.uow import UnitOfWork

AT = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    """LIVE settings whose database ``db init`` has created."""
    return initialised(tmp_path, Role.LIVE)


@pytest.fixture
def monitor_settings(tmp_path: Path) -> Settings:
    """MONITOR settings whose database ``db init`` has created."""
    return initialised(tmp_path, Role.MONITOR)


def _uow(settings: Settings, cycle_id: str | None = None) -> UnitOfWork:
    context = AuditContext(settings.app_role, "instance-1", settings.config_hash, cycle_id)
    return UnitOfWork(partial(connect, settings.state_db_path), context)


def _armed(reason: str = "go") -> ArmingState:
    return ArmingState(armed=True, reason=reason, changed_by="operator", changed_at=AT)


def test_leaving_without_commit_rolls_back(live_settings: Settings) -> None:
    """Writes made in a unit of work that is never committed are gone afterwards."""
    with _uow(live_settings) as uow:
        uow.arming.record(_armed())
    with _uow(live_settings) as uow:
        assert uow.arming.current() is None


def test_an_exception_rolls_back_and_propagates(live_settings: Settings) -> None:
    """An error inside the block discards its writes and is re-raised unchanged."""

    def fail_halfway() -> None:
        with _uow(live_settings) as uow:
            uow.arming.record(_armed())
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_halfway()
    with _uow(live_settings) as uow:
        assert not uow.arming.is_armed()


def test_commit_persists_and_later_writes_need_their_own_commit(live_settings: Settings) -> None:
    """commit() makes earlier writes durable; writes after it roll back unless committed again."""
    with _uow(live_settings) as uow:
        uow.arming.record(_armed("first"))
        uow.commit()
        uow.arming.record(_armed("second"))
    with _uow(live_settings) as uow:
        assert [s.reason for s in uow.arming.history()] == ["first"]


def test_every_row_carries_the_audit_columns(live_settings: Settings) -> None:
    """Rows written through repositories are stamped with role, instance, cycle and config hash."""
    with _uow(live_settings, cycle_id="cycle-42") as uow:
        uow.arming.record(_armed())
        uow.audit.append(AuditEvent(AuditKind.ARMED, AT, "operator", {"via": "test"}))
        uow.kill_switch.record(
            KillSwitchRecord(True, "panic", KillSwitchSource.KILL_FILE, "operator", AT)
        )
        uow.commit()
    conn = connect(live_settings.state_db_path)
    try:
        for table in ("arming_changes", "audit_events", "kill_switch_events"):
            row = conn.execute(
                f"SELECT process_role, process_instance_id, cycle_id, config_hash FROM {table}"  # noqa: S608 - fixed names
            ).fetchone()
            assert tuple(row) == ("live", "instance-1", "cycle-42", live_settings.config_hash)
    finally:
        conn.close()


def test_repositories_round_trip_domain_objects(monitor_settings: Settings) -> None:
    """What a repository stores comes back as an equal domain object."""
    snapshot = HealthSnapshot(
        taken_at=AT,
        status=HealthLevel.WARNING,
        summary="WARNING: live status stale",
        checks=(
            HealthCheckRecord("db", HealthLevel.OK, "tagged monitor, v2"),
            HealthCheckRecord("live_status", HealthLevel.WARNING, "stale by 300 s", "check LIVE"),
        ),
    )
    event = AuditEvent(AuditKind.HEALTH_CHECKED, AT, "scheduler", {"status": "warning"})
    with _uow(monitor_settings) as uow:
        uow.health.add(snapshot)
        uow.audit.append(event)
        uow.commit()
    with _uow(monitor_settings) as uow:
        assert uow.health.latest() == snapshot
        assert uow.audit.recent(kind=AuditKind.HEALTH_CHECKED) == [event]
        assert uow.kill_switch.latest() is None


def test_the_write_lock_is_taken_on_enter(live_settings: Settings) -> None:
    """While a unit of work is open, another writer cannot start (BEGIN IMMEDIATE)."""
    other = sqlite3.connect(live_settings.state_db_path, isolation_level=None, timeout=0)
    try:
        with _uow(live_settings), pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()


def test_using_a_closed_unit_of_work_is_an_error(live_settings: Settings) -> None:
    """commit() outside the with block raises StateError instead of writing in autocommit."""
    uow = _uow(live_settings)
    with pytest.raises(StateError, match="not open"):
        uow.commit()


def test_roles_are_stamped_from_the_context_not_the_database(monitor_settings: Settings) -> None:
    """The stamp says who wrote; a LIVE-stamped row in a MONITOR DB would be visible evidence."""
    context = AuditContext(Role.MONITOR, "m-1", monitor_settings.config_hash)
    with UnitOfWork(partial(connect, monitor_settings.state_db_path), context) as uow:
        uow.audit.append(AuditEvent(AuditKind.PROCESS_STARTED, AT, "monitor"))
        uow.commit()
        row = uow.connection.execute("SELECT process_role, cycle_id FROM audit_events").fetchone()
    assert tuple(row) == ("monitor", None)
