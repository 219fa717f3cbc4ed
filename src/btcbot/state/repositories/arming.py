"""Arming history of the LIVE database: the newest change is the current state."""

from __future__ import annotations

import sqlite3

from btcbot.domain.records import ArmingState
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


def _state(row: sqlite3.Row) -> ArmingState:
    return ArmingState(
        armed=bool(row["armed"]),
        reason=row["reason"],
        changed_by=row["changed_by"],
        changed_at=from_db_time(row["changed_at"]),
    )


class ArmingRepository(Repository):
    """Record arm/disarm decisions; never rewrite one (history is the audit)."""

    def record(self, state: ArmingState) -> int:
        """Append one arm or disarm decision."""
        return self._insert(
            "arming_changes",
            {
                "armed": int(state.armed),
                "reason": state.reason,
                "changed_by": state.changed_by,
                "changed_at": to_db_time(state.changed_at),
            },
        )

    def current(self) -> ArmingState | None:
        """The newest decision, or None when the database was never armed (means disarmed)."""
        row = self._conn.execute("SELECT * FROM arming_changes ORDER BY id DESC LIMIT 1").fetchone()
        return None if row is None else _state(row)

    def is_armed(self) -> bool:
        """True only if the newest decision was to arm."""
        state = self.current()
        return state is not None and state.armed

    def history(self, limit: int = 20) -> list[ArmingState]:
        """The newest ``limit`` decisions, newest first."""
        rows = self._conn.execute(
            "SELECT * FROM arming_changes ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_state(row) for row in rows]
