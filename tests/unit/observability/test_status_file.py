"""The LIVE status file: atomic write, faithful read, loud failure on a bad file."""

from __future__ import annotations

import dataclasses
import json
import time
from datetime import UTC, datetime, timedelta, timezone
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
    ("content", "words"),
    [
        ("not json", "is not valid JSON: LIVE rewrites it every cycle"),
        ("[]", "is not a JSON object: LIVE rewrites it every cycle"),
        (json.dumps({"schema_version": 99}), "schema_version 99 is not 1"),
        (json.dumps({"schema_version": 1, "pid": 1}), "malformed: KeyError"),
        (
            json.dumps({"schema_version": 1, "pid": "x", "started_at": "2026-01-01T00:00:00"}),
            "malformed: ValueError",
        ),
    ],
)
def test_malformed_files_raise_status_file_error(tmp_path: Path, content: str, words: str) -> None:
    """Garbage, wrong versions, missing fields and naive times: StatusFileError, saying which."""
    path = status_path(tmp_path)
    path.write_text(content, encoding="utf-8")
    with pytest.raises(StatusFileError) as caught:
        read_status(path)
    assert words in str(caught.value)


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


def test_a_file_from_before_the_newer_fields_reads_with_their_defaults(tmp_path: Path) -> None:
    """A status written before symbols, arming facts, trading state and foreign orders existed."""
    path = status_path(tmp_path)
    write_status(path, BASE)
    raw = json.loads(path.read_text(encoding="utf-8"))
    for newer in (
        "open_orders",
        "symbols",
        "trading_allowed",
        "trading_state",
        "trading_state_cause",
        "trading_state_reason",
        "foreign_orders",
        "last_cycle_at",
        "cycle_id",
    ):
        del raw[newer]
    path.write_text(json.dumps(raw), encoding="utf-8")
    old = read_status(path)
    assert (old.open_orders, old.foreign_orders, old.symbols) == (0, 0, ())
    assert (old.trading_allowed, old.trading_state, old.last_cycle_at, old.cycle_id) == (
        None,
        None,
        None,
        None,
    )


def test_times_are_written_in_utc_and_read_back_as_utc(tmp_path: Path) -> None:
    """An aware time in another zone is stored as UTC, so the MONITOR compares like with like."""
    istanbul = timezone(timedelta(hours=3))
    path = status_path(tmp_path)
    write_status(path, dataclasses.replace(BASE, written_at=T0.astimezone(istanbul)))
    raw = json.loads(path.read_text(encoding="utf-8"))
    assert raw["written_at"] == "2026-01-02T03:04:05+00:00"
    raw["written_at"] = "2026-01-02T06:04:05+03:00"
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert read_status(path).written_at.utcoffset() == timedelta(0)


def test_the_file_is_sorted_indented_text_an_operator_can_read(tmp_path: Path) -> None:
    """One stable layout: keys sorted, two-space indent, a final newline, the schema version."""
    path = status_path(tmp_path)
    write_status(path, BASE)
    text = path.read_text(encoding="utf-8")
    assert text == json.dumps(json.loads(text), sort_keys=True, indent=2) + "\n"
    assert json.loads(text)["schema_version"] == 1
    assert json.loads(text)["symbols"] == ["BTCTRY"]


@pytest.mark.parametrize(("failures", "read"), [(4, True), (5, False)])
def test_a_read_racing_a_windows_rename_is_tried_five_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failures: int, read: bool
) -> None:
    """While LIVE renames a new file over it, Windows refuses the open for a moment."""
    path = status_path(tmp_path)
    write_status(path, BASE)
    real_read = Path.read_bytes
    left = [failures]

    def flaky(self: Path) -> bytes:
        if left[0] > 0:
            left[0] -= 1
            raise PermissionError("sharing violation")
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", flaky)
    monkeypatch.setattr("btcbot.observability.status_file.time.sleep", lambda _s: None)
    if read:
        assert read_status(path) == BASE
    else:
        with pytest.raises(PermissionError):
            read_status(path)


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"trading_allowed": "yes"}, "'trading_allowed' is not true, false or null"),
        ({"written_at": None}, "'written_at' is missing or not a time"),
        ({"last_cycle_at": 5}, "'last_cycle_at' is missing or not a time"),
        ({"started_at": "2026-01-01T00:00:00"}, "'started_at' has no timezone"),
        ({"schema_version": None}, "has no schema_version, so LIVE did not write it"),
        ({"schema_version": 2}, "schema_version 2 is not 1; LIVE and MONITOR run different"),
        ({"pid": "x"}, "status file is malformed: ValueError"),
        ({"symbols": 5}, "status file is malformed: TypeError"),
    ],
)
def test_a_bad_field_is_named(tmp_path: Path, change: dict[str, object], words: str) -> None:
    """The MONITOR's UNKNOWN line says which field of the file is wrong."""
    path = status_path(tmp_path)
    write_status(path, BASE)
    raw = json.loads(path.read_text(encoding="utf-8"))
    raw.update(change)
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(StatusFileError) as caught:
        read_status(path)
    assert words in str(caught.value)


def test_a_file_saved_as_utf16_is_refused_by_name(tmp_path: Path) -> None:
    """Notepad's "Unicode" is UTF-16: the line says so and how to recover."""
    path = status_path(tmp_path)
    write_status(path, BASE)
    path.write_bytes(path.read_text(encoding="utf-8").encode("utf-16"))
    with pytest.raises(StatusFileError, match=r"not UTF-8 text .* delete it and let LIVE"):
        read_status(path)


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="the zone is changed with time.tzset")
def test_times_are_utc_whatever_the_hosts_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The operator's host runs on Istanbul time: the file and its reading stay in UTC."""
    monkeypatch.setenv("TZ", "TRT-3")  # POSIX spelling of UTC+3: needs no zone database
    time.tzset()
    try:
        path = status_path(tmp_path)
        write_status(path, BASE)
        raw = json.loads(path.read_text(encoding="utf-8"))
        assert raw["started_at"] == "2026-01-02T03:04:05+00:00"
        assert read_status(path).started_at.utcoffset() == timedelta(0)
    finally:
        monkeypatch.undo()
        time.tzset()
