"""Pure pieces of the state package: backup naming, time codec, migration discovery, records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from btcbot.domain.enums import Role
from btcbot.domain.records import ArmingState, AuditContext, HealthLevel, HealthSnapshot
from btcbot.state.lock import LockHolder, LockStatus
from btcbot.state.migrate import backup_path_for, latest_version, load_migrations
from btcbot.state.repositories.base import from_db_time, to_db_time

AT = datetime(2026, 11, 23, 12, 0, 5, tzinfo=UTC)


def test_backup_name_carries_version_and_utc_time(tmp_path: Path) -> None:
    """The pre-migration copy sits beside the DB, named by the old version and UTC time."""
    db = tmp_path / "live.db"
    istanbul = AT.astimezone(timezone(timedelta(hours=3)))
    assert backup_path_for(db, 3, istanbul) == tmp_path / "live.db.bak-v3-20261123T120005Z"


def test_backup_name_never_reuses_an_existing_file(tmp_path: Path) -> None:
    """A second backup in the same second gets a suffix instead of overwriting the first."""
    db = tmp_path / "live.db"
    first = backup_path_for(db, 1, AT)
    first.touch()
    assert backup_path_for(db, 1, AT) == tmp_path / f"{first.name}-2"


def test_time_round_trips_as_utc_text_and_naive_is_refused() -> None:
    """Aware times are stored as sortable UTC text; a naive datetime is refused."""
    text = to_db_time(AT.astimezone(timezone(timedelta(hours=3))))
    assert text == "2026-11-23T12:00:05.000000+00:00"
    assert from_db_time(text) == AT
    with pytest.raises(ValueError, match="naive"):
        to_db_time(datetime(2026, 1, 1))  # noqa: DTZ001 - the naive value is the point


def test_bundled_migrations_are_discovered_in_order() -> None:
    """The runner finds 0001_foundation first and knows the latest version."""
    migrations = load_migrations()
    assert migrations[0].version == 1
    assert migrations[0].name == "foundation"
    assert "CREATE TABLE db_meta" in migrations[0].sql
    assert latest_version() == len(migrations)


def test_records_refuse_naive_times() -> None:
    """Domain records only accept timezone-aware times."""
    with pytest.raises(ValueError, match="timezone-aware"):
        ArmingState(True, "r", "op", datetime(2026, 1, 1))  # noqa: DTZ001 - on purpose
    with pytest.raises(ValueError, match="timezone-aware"):
        HealthSnapshot(datetime(2026, 1, 1), HealthLevel.OK, "ok", ())  # noqa: DTZ001


def test_audit_context_moves_between_cycles() -> None:
    """for_cycle keeps process and configuration and replaces only the cycle id."""
    context = AuditContext(Role.LIVE, "inst", "hash")
    inside = context.for_cycle("c-1")
    assert (inside.process_role, inside.process_instance_id, inside.config_hash) == (
        Role.LIVE,
        "inst",
        "hash",
    )
    assert inside.cycle_id == "c-1"
    assert inside.for_cycle(None) == context


def test_lock_status_describes_holder_and_stale_records() -> None:
    """The db check lock line names the holder, or says a stale record was left behind."""
    holder = LockHolder(4242, "live", "host-a", "i", "2026-11-23T12:00:00+00:00")
    assert LockStatus(held=True, holder=holder).describe() == (
        "held by pid 4242 (role live) on host host-a since 2026-11-23T12:00:00+00:00"
    )
    assert LockStatus(held=False, holder=None).describe() == "free"
    assert LockStatus(held=False, holder=holder).describe().startswith("free (stale record of")
