"""The LIVE status file: atomic write, faithful read, loud failure on a bad file."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from btcbot.observability.status_file import (
    LiveStatus,
    StatusFileError,
    read_status,
    status_path,
    write_status,
)

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


BASE = LiveStatus(
    pid=1234,
    hostname="host",
    instance_id="abc",
    started_at=T0,
    written_at=T0 + timedelta(seconds=61),
    state="running",
    mode="dry-run",
    cycle_seconds=60.0,
    armed=False,
    kill_switch=False,
    cycle_id="c-1",
    last_cycle_at=T0 + timedelta(seconds=60),
    open_orders=2,
    last_error=None,
    symbols=("BTCTRY",),
)


def test_round_trip_preserves_every_field(tmp_path: Path) -> None:
    """What write_status writes, read_status returns unchanged."""
    path = status_path(tmp_path)
    status = dataclasses.replace(BASE, kill_reason="r", last_error="ExchangeUnavailableError")
    write_status(path, status)
    assert read_status(path) == status
    assert [p.name for p in tmp_path.iterdir()] == ["live_status.json"]


def test_missing_file_raises_file_not_found(tmp_path: Path) -> None:
    """A CONTROL_DIR without a status file raises FileNotFoundError, not a parse error."""
    with pytest.raises(FileNotFoundError):
        read_status(status_path(tmp_path))


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        "[]",
        json.dumps({"schema_version": 99}),
        json.dumps({"schema_version": 1, "pid": 1}),
        json.dumps({"schema_version": 1, "pid": "x", "started_at": "2026-01-01T00:00:00"}),
    ],
)
def test_malformed_files_raise_status_file_error(tmp_path: Path, content: str) -> None:
    """Garbage, wrong versions, missing fields and naive times all raise StatusFileError."""
    path = status_path(tmp_path)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StatusFileError):
        read_status(path)


def test_naive_times_are_refused_at_construction() -> None:
    """A LiveStatus cannot be built with a naive datetime."""
    with pytest.raises(ValueError, match="timezone-aware"):
        dataclasses.replace(BASE, written_at=datetime(2026, 1, 1))  # noqa: DTZ001 - the naive time is the point


def test_replace_retries_while_a_windows_reader_holds_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A transient PermissionError from os.replace (Windows reader) is retried, not raised."""
    real_replace = Path.replace
    failures = iter([True, True, False])

    def flaky(self: Path, target: Path) -> Path:
        if next(failures):
            raise PermissionError("sharing violation")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", flaky)
    write_status(status_path(tmp_path), BASE)
    assert read_status(status_path(tmp_path)) == BASE
    assert [p.name for p in tmp_path.iterdir()] == ["live_status.json"]


def test_replace_gives_up_and_cleans_up_when_the_file_stays_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A permanently locked target raises PermissionError and leaves no temp file behind."""

    def locked(self: Path, target: Path) -> Path:
        raise PermissionError("sharing violation")

    monkeypatch.setattr(Path, "replace", locked)
    monkeypatch.setattr("btcbot.observability.atomic._REPLACE_PAUSE_S", 0.0)
    with pytest.raises(PermissionError):
        write_status(status_path(tmp_path), BASE)
    assert list(tmp_path.iterdir()) == []
