"""Migrations run forward (backup first), atomically, and never backwards."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest
from state_db import initialised, v1_database

from btcbot.domain.enums import Role
from btcbot.domain.errors import SchemaTooNewError, StateError
from btcbot.settings import Settings
from btcbot.state.meta import read_meta
from btcbot.state.migrate import (
    Migration,
    latest_version,
    load_migrations,
    migrate,
    schema_version,
)
from btcbot.state.sqlite import connect

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

pytestmark = pytest.mark.skipif(latest_version() < 1, reason="no migrations bundled")


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    """LIVE settings whose database ``db init`` has created."""
    return initialised(tmp_path, Role.LIVE)


def test_bundled_migrations_are_numbered_from_one_without_gaps() -> None:
    """The runner sees 0001.. in order, the first being the foundation."""
    migrations = load_migrations()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))
    assert migrations[0].name == "foundation"


def test_db_init_leaves_the_latest_schema(live_settings: Settings) -> None:
    """A freshly initialised database is at the newest version, with no backup (nothing to keep)."""
    conn = connect(live_settings.state_db_path)
    try:
        assert schema_version(conn) == latest_version()
    finally:
        conn.close()
    assert not list(live_settings.state_db_path.parent.glob("*.bak-*"))


def test_forward_migration_of_a_copy_leaves_a_backup_beside_it(tmp_path: Path) -> None:
    """Migrating a v1 copy brings it to the latest version and leaves a v1 backup next to it."""
    if latest_version() < 2:
        pytest.skip("only one migration bundled: nothing to migrate forward to")
    original = tmp_path / "original.db"
    v1_database(original)
    copy = tmp_path / "copy.db"
    copy.write_bytes(original.read_bytes())

    conn = connect(copy)
    try:
        result = migrate(conn, copy, now=NOW)
        assert (result.from_version, result.to_version) == (1, latest_version())
        assert schema_version(conn) == latest_version()
        assert read_meta(conn, copy).created_by == "v1"  # data survives
    finally:
        conn.close()

    assert result.backup is not None
    assert result.backup.parent == copy.parent
    assert result.backup.name == "copy.db.bak-v1-20261123T120000Z"
    kept = sqlite3.connect(result.backup)
    try:
        assert kept.execute("PRAGMA user_version").fetchone()[0] == 1
        assert kept.execute("SELECT count(*) FROM audit_events").fetchone()[0] == 1
    finally:
        kept.close()


def test_a_failing_migration_changes_nothing(tmp_path: Path) -> None:
    """A migration that fails halfway rolls back its own statements and the version bump."""
    path = tmp_path / "state.db"
    good = Migration(1, "first", "CREATE TABLE a (x INTEGER) STRICT;")
    bad = Migration(
        2, "broken", "CREATE TABLE b (x INTEGER) STRICT;\nINSERT INTO nowhere VALUES (1);"
    )
    conn = connect(path, create=True)
    try:
        migrate(conn, path, now=NOW, migrations=[good])
        with pytest.raises(StateError, match="0002_broken"):
            migrate(conn, path, now=NOW, migrations=[good, bad])
        assert schema_version(conn) == 1
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "b" not in tables
    finally:
        conn.close()


def test_a_schema_newer_than_the_code_is_refused(tmp_path: Path) -> None:
    """A database at a version this code does not know is refused, not downgraded or touched."""
    path = tmp_path / "future.db"
    conn = connect(path, create=True)
    try:
        conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
        with pytest.raises(SchemaTooNewError, match="upgrade btcbot"):
            migrate(conn, path, now=NOW)
        assert schema_version(conn) == latest_version() + 1
    finally:
        conn.close()
    assert not list(tmp_path.glob("*.bak-*"))
