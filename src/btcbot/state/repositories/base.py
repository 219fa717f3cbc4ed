"""What every repository shares: the connection of its unit of work and the audit stamp."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import UTC, datetime

from btcbot.domain.records import AuditContext

AUDIT_COLUMNS = ("process_role", "process_instance_id", "cycle_id", "config_hash")


def to_db_time(value: datetime) -> str:
    """Aware datetime -> ISO 8601 UTC text (sorts chronologically as text)."""
    if value.tzinfo is None:
        raise ValueError("refusing to store a naive datetime")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def from_db_time(text: str) -> datetime:
    """ISO 8601 text written by ``to_db_time`` -> aware UTC datetime."""
    return datetime.fromisoformat(text).astimezone(UTC)


class Repository:
    """Base of the repositories a ``UnitOfWork`` builds on enter.

    Subclasses write only through ``_insert``, so no row can miss its audit columns.
    """

    def __init__(self, conn: sqlite3.Connection, audit: AuditContext) -> None:
        self._conn = conn
        self._audit = audit

    def _insert(self, table: str, values: Mapping[str, object]) -> int:
        """INSERT ``values`` plus the audit columns into ``table``; returns the new rowid."""
        row: dict[str, object] = dict(values)
        row.update(
            process_role=self._audit.process_role.value,
            process_instance_id=self._audit.process_instance_id,
            cycle_id=self._audit.cycle_id,
            config_hash=self._audit.config_hash,
        )
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        # Table and column names come from repository code, never from input; values are bound.
        sql = f"INSERT INTO {table} ({columns}) VALUES ({marks})"  # noqa: S608 - see above
        cursor = self._conn.execute(sql, tuple(row.values()))
        if cursor.lastrowid is None:
            raise sqlite3.DatabaseError(f"INSERT INTO {table} returned no rowid")
        return cursor.lastrowid
