"""The kill file in CONTROL_DIR: atomic write, fail-safe read, removal."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from btcbot.adapters.control_dir import (
    KillFileProbe,
    KillRecord,
    kill_path,
    read_kill,
    remove_kill,
    write_kill,
)

AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_write_then_read_round_trips(tmp_path: Path) -> None:
    """A written kill record reads back identically, and no temp file remains."""
    record = KillRecord(reason="drawdown", by="operator", at=AT, pid=42, hostname="h")
    write_kill(tmp_path, record)
    assert read_kill(tmp_path) == record
    assert [p.name for p in tmp_path.iterdir()] == ["KILL"]


def test_absent_file_reads_as_none(tmp_path: Path) -> None:
    """No kill file means no kill record and a probe answering None."""
    assert read_kill(tmp_path) is None
    assert KillFileProbe(tmp_path)() is None


def test_malformed_file_still_counts_as_present(tmp_path: Path) -> None:
    """A kill file with garbage in it still blocks: the probe returns a reason."""
    kill_path(tmp_path).write_text("{not json", encoding="utf-8")
    assert KillFileProbe(tmp_path)() == "kill file present but malformed"


def test_empty_file_still_counts_as_present(tmp_path: Path) -> None:
    """An operator's empty KILL file (touch) also blocks."""
    kill_path(tmp_path).touch()
    record = read_kill(tmp_path)
    assert record is not None
    assert record.at.tzinfo is not None


def test_remove_reports_whether_there_was_a_file(tmp_path: Path) -> None:
    """remove_kill deletes the file and says whether one existed."""
    write_kill(tmp_path, KillRecord(reason="r", by="b", at=AT, pid=1, hostname="h"))
    assert remove_kill(tmp_path) is True
    assert remove_kill(tmp_path) is False
    assert KillFileProbe(tmp_path)() is None
