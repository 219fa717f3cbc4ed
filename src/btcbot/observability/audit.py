"""Audit event shapes: the closed list of things btcbot records as having happened.

The state layer stores them append-only (``audit_events``); this module only names them and
fixes their payload shape, so an auditor can grep one vocabulary across both databases.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

AuditValue = str | int | float | bool | None


class AuditKind(StrEnum):
    """What happened; the value is the ``event`` column and the log line's ``event``."""

    PROCESS_STARTED = "process_started"
    PROCESS_STOPPED = "process_stopped"
    LOCK_TAKEN_OVER = "lock_taken_over"
    ARMED = "armed"
    ARM_REFUSED = "arm_refused"
    DISARMED = "disarmed"
    KILL_FILE_WRITTEN = "kill_file_written"
    KILL_FILE_REMOVED = "kill_file_removed"
    HEALTH_CHECKED = "health_checked"
    ORDER_ADOPTED = "order_adopted"
    ORDER_NOT_PLACED = "order_not_placed"
    TRADING_RESUMED = "trading_resumed"
    ACCOUNT_BOUND = "account_bound"
    FILL_QUARANTINED = "fill_quarantined"
    ORDER_QUARANTINED = "order_quarantined"
    BOOKS_DIFFER = "books_differ"
    BOOKS_DIFFERENCE_ACCEPTED = "books_difference_accepted"
    HOLDINGS_HANDED_OVER = "holdings_handed_over"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One audited fact. ``detail`` holds only scalars, never a secret or a money amount."""

    kind: AuditKind
    at: datetime
    actor: str
    detail: dict[str, AuditValue] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("AuditEvent.at must be timezone-aware UTC")

    def detail_json(self) -> str:
        """The detail as canonical JSON (sorted keys), as stored in the database."""
        return json.dumps(self.detail, sort_keys=True, separators=(",", ":"))
