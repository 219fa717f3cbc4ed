"""Kill-switch engagements and releases as this process saw and recorded them."""

from __future__ import annotations

import sqlite3

from btcbot.domain.records import KillSwitchRecord, KillSwitchSource
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


def _record(row: sqlite3.Row) -> KillSwitchRecord:
    return KillSwitchRecord(
        engaged=bool(row["engaged"]),
        reason=row["reason"],
        source=KillSwitchSource(row["source"]),
        recorded_by=row["recorded_by"],
        recorded_at=from_db_time(row["recorded_at"]),
    )


class KillSwitchRepository(Repository):
    """Append kill-switch changes; the newest one says whether it was last engaged."""

    def record(self, record: KillSwitchRecord) -> int:
        """Append one engagement or release."""
        return self._insert(
            "kill_switch_events",
            {
                "engaged": int(record.engaged),
                "reason": record.reason,
                "source": record.source.value,
                "recorded_by": record.recorded_by,
                "recorded_at": to_db_time(record.recorded_at),
            },
        )

    def latest(self) -> KillSwitchRecord | None:
        """The newest change, or None if the kill switch was never recorded."""
        row = self._conn.execute(
            "SELECT * FROM kill_switch_events ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _record(row)

    def history(self, limit: int = 20) -> list[KillSwitchRecord]:
        """The newest ``limit`` changes, newest first."""
        rows = self._conn.execute(
            "SELECT * FROM kill_switch_events ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_record(row) for row in rows]
