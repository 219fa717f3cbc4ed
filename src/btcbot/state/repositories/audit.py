"""The append-only audit trail (``audit_events``): append and read, nothing else."""

from __future__ import annotations

import json

from btcbot.observability.audit import AuditEvent, AuditKind
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


class AuditRepository(Repository):
    """Append audited facts; the table's triggers refuse any UPDATE or DELETE."""

    def append(self, event: AuditEvent) -> int:
        """Store ``event`` and return its id."""
        return self._insert(
            "audit_events",
            {
                "event": event.kind.value,
                "occurred_at": to_db_time(event.at),
                "actor": event.actor,
                "detail": event.detail_json(),
            },
        )

    def recent(self, limit: int = 50, *, kind: AuditKind | None = None) -> list[AuditEvent]:
        """The newest ``limit`` events (optionally of one kind), newest first."""
        if kind is None:
            rows = self._conn.execute(
                "SELECT * FROM audit_events ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        else:
            rows = self._conn.execute(
                "SELECT * FROM audit_events WHERE event = ? ORDER BY id DESC LIMIT ?",
                (kind.value, limit),
            ).fetchall()
        return [
            AuditEvent(
                kind=AuditKind(row["event"]),
                at=from_db_time(row["occurred_at"]),
                actor=row["actor"],
                detail=json.loads(row["detail"]),
            )
            for row in rows
        ]
