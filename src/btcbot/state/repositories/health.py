"""Health snapshots of the MONITOR database."""

from __future__ import annotations

import json
import sqlite3

from btcbot.domain.records import HealthCheckRecord, HealthLevel, HealthSnapshot
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


def _snapshot(row: sqlite3.Row) -> HealthSnapshot:
    checks = tuple(
        HealthCheckRecord(
            name=str(item["name"]),
            status=HealthLevel(item["status"]),
            reason=str(item["reason"]),
            remediation=str(item.get("remediation", "")),
        )
        for item in json.loads(row["checks"])
    )
    return HealthSnapshot(
        taken_at=from_db_time(row["taken_at"]),
        status=HealthLevel(row["status"]),
        summary=row["summary"],
        checks=checks,
    )


class HealthRepository(Repository):
    """Store each health run; read the latest ones back."""

    def add(self, snapshot: HealthSnapshot) -> int:
        """Append one health run."""
        checks = [
            {
                "name": c.name,
                "status": c.status.value,
                "reason": c.reason,
                "remediation": c.remediation,
            }
            for c in snapshot.checks
        ]
        return self._insert(
            "health_snapshots",
            {
                "taken_at": to_db_time(snapshot.taken_at),
                "status": snapshot.status.value,
                "summary": snapshot.summary,
                "checks": json.dumps(checks, sort_keys=True),
            },
        )

    def latest(self) -> HealthSnapshot | None:
        """The newest snapshot, or None before the first health run."""
        row = self._conn.execute(
            "SELECT * FROM health_snapshots ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _snapshot(row)

    def recent(self, limit: int = 20) -> list[HealthSnapshot]:
        """The newest ``limit`` snapshots, newest first."""
        rows = self._conn.execute(
            "SELECT * FROM health_snapshots ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_snapshot(row) for row in rows]
