"""``db_meta``: the role tag written once by ``btcbot db init`` and never changed after."""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from btcbot.domain.enums import Role
from btcbot.domain.errors import DatabaseMissingError, StateError
from btcbot.domain.records import AuditContext
from btcbot.state.faults import damaged, storage_error, truncated
from btcbot.state.repositories.base import from_db_time, to_db_time


@dataclass(frozen=True, slots=True)
class DbMeta:
    """Which role a database belongs to, its identity, and who created it when."""

    db_role: Role
    db_uuid: str
    created_by: str
    created_at: datetime


def read_meta(conn: sqlite3.Connection, db_path: object) -> DbMeta:
    """The tag of an open database; a file without one is not a btcbot database."""
    not_ours = DatabaseMissingError(
        f"STATE_DB_PATH={db_path} is not a btcbot state database (no role tag): "
        "point STATE_DB_PATH at the file `btcbot db init` created, or run `btcbot db init`"
    )
    try:
        row = conn.execute(
            "SELECT db_role, db_uuid, created_by, created_at FROM db_meta WHERE id = 1"
        ).fetchone()
    except sqlite3.DatabaseError as exc:  # no such table, not SQLite at all, or damage
        path = Path(str(db_path))
        if truncated(path):
            raise damaged(path, "the file is shorter than its header says") from exc
        if "no such table" not in str(exc):
            fault = storage_error(exc, path, "read the role tag of")
            raise (fault if type(fault) is not StateError else not_ours) from exc
        raise not_ours from exc
    if row is None:
        raise not_ours
    try:
        role = Role(row[0])
    except ValueError as exc:
        raise not_ours from exc
    return DbMeta(role, str(row[1]), str(row[2]), from_db_time(str(row[3])))


def write_meta(
    conn: sqlite3.Connection, *, role: Role, created_by: str, at: datetime, audit: AuditContext
) -> DbMeta:
    """Tag a fresh database (inside the caller's transaction); the triggers forbid a second time."""
    meta = DbMeta(role, str(uuid.uuid4()), created_by, at)
    conn.execute(
        "INSERT INTO db_meta (id, db_role, db_uuid, created_by, created_at, process_role,"
        " process_instance_id, cycle_id, config_hash) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            meta.db_role.value,
            meta.db_uuid,
            meta.created_by,
            to_db_time(at),
            audit.process_role.value,
            audit.process_instance_id,
            audit.cycle_id,
            audit.config_hash,
        ),
    )
    return meta
