"""SQLite itself refuses to alter the role tag or the audit trail."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from state_db import initialised

from btcbot.domain.enums import Role
from btcbot.settings import Settings

META_TAMPERING = [
    "UPDATE db_meta SET db_role = 'monitor'",
    "UPDATE db_meta SET created_by = 'someone else'",
    "DELETE FROM db_meta",
    (
        "INSERT INTO db_meta (id, db_role, db_uuid, created_by, created_at, process_role,"
        " process_instance_id, config_hash) VALUES (2, 'monitor', 'u', 'x', 't', 'r', 'i', 'h')"
    ),
    (
        "INSERT OR REPLACE INTO db_meta (id, db_role, db_uuid, created_by, created_at,"
        " process_role, process_instance_id, config_hash)"
        " VALUES (1, 'monitor', 'u', 'x', 't', 'r', 'i', 'h')"
    ),
]
AUDIT_TAMPERING = [
    "UPDATE audit_events SET actor = 'nobody'",
    "DELETE FROM audit_events",
    (
        "INSERT OR REPLACE INTO audit_events (id, event, occurred_at, actor, detail, process_role,"
        " process_instance_id, config_hash) VALUES (1, 'armed', 't', 'x', '{}', 'live', 'i', 'h')"
    ),
]


@pytest.fixture
def live_settings(tmp_path: Path) -> Settings:
    """LIVE settings whose database ``db init`` has created."""
    return initialised(tmp_path, Role.LIVE)


def _plain_connection(settings: Settings) -> sqlite3.Connection:
    # A bare sqlite3 connection, none of btcbot's code in the way: the triggers must hold alone.
    return sqlite3.connect(settings.state_db_path, isolation_level=None)


@pytest.mark.parametrize("sql", META_TAMPERING)
def test_db_meta_cannot_be_changed(live_settings: Settings, sql: str) -> None:
    """UPDATE, DELETE, a second row and INSERT OR REPLACE on db_meta all abort."""
    conn = _plain_connection(live_settings)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="immutable"):
            conn.execute(sql)
        assert conn.execute("SELECT db_role, count(*) FROM db_meta").fetchone() == ("live", 1)
    finally:
        conn.close()


@pytest.mark.parametrize("sql", AUDIT_TAMPERING)
def test_audit_events_are_append_only(live_settings: Settings, sql: str) -> None:
    """Rows can be appended to audit_events but never updated, deleted or replaced."""
    conn = _plain_connection(live_settings)
    try:
        conn.execute(
            "INSERT INTO audit_events (event, occurred_at, actor, detail, process_role,"
            " process_instance_id, config_hash) VALUES ('armed', 't', 'op', '{}', 'live', 'i', 'h')"
        )
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute(sql)
        assert conn.execute("SELECT actor FROM audit_events").fetchall() == [("op",)]
    finally:
        conn.close()
