"""Audit event shapes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from btcbot.observability.audit import AuditEvent, AuditKind


def test_detail_json_is_canonical() -> None:
    """detail_json sorts keys and has no spaces, so equal events store equal text."""
    event = AuditEvent(
        kind=AuditKind.ARMED,
        at=datetime(2026, 1, 1, tzinfo=UTC),
        actor="op",
        detail={"b": 1, "a": None},
    )
    assert event.detail_json() == '{"a":null,"b":1}'


def test_naive_time_is_refused() -> None:
    """An audit event must carry an aware time."""
    with pytest.raises(ValueError, match="aware"):
        AuditEvent(kind=AuditKind.DISARMED, at=datetime(2026, 1, 1), actor="op")  # noqa: DTZ001 - the point
