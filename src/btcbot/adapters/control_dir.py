"""The shared ``CONTROL_DIR``: the kill file both roles may write.

``CONTROL_DIR/KILL`` is a small JSON document ``{"reason", "by", "at", "pid", "hostname"}``.
Its *presence* is what blocks trading: a kill file that cannot be read or parsed still counts
as present (fail safe), with a reason saying so.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from btcbot.observability.atomic import SHARED_READABLE, atomic_write_text

KILL_FILE_NAME = "KILL"
_MAX_REASON = 500


@dataclass(frozen=True, slots=True)
class KillRecord:
    """Who disarmed, when and why (``reason`` is the operator's words, trimmed)."""

    reason: str
    by: str
    at: datetime
    pid: int
    hostname: str

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("KillRecord.at must be timezone-aware UTC")


def kill_path(control_dir: Path) -> Path:
    """Where the kill file lives."""
    return control_dir / KILL_FILE_NAME


def write_kill(control_dir: Path, record: KillRecord) -> Path:
    """Write (or overwrite) the kill file atomically and return its path."""
    payload = {
        "reason": record.reason[:_MAX_REASON],
        "by": record.by,
        "at": record.at.astimezone(UTC).isoformat(),
        "pid": record.pid,
        "hostname": record.hostname,
    }
    path = kill_path(control_dir)
    text = json.dumps(payload, sort_keys=True, indent=2) + "\n"
    atomic_write_text(path, text, mode=SHARED_READABLE, create_dir=False)
    return path


def read_kill(control_dir: Path) -> KillRecord | None:
    """The kill record, ``None`` when there is no kill file; never raises for a bad file."""
    path = kill_path(control_dir)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _unreadable(path, f"kill file unreadable ({type(exc).__name__})")
    try:
        # Notepad's "Unicode" is UTF-16 and its UTF-8 has a BOM: still a kill file, still read.
        raw = json.loads(_decode(data))
        at = datetime.fromisoformat(str(raw["at"]))
        return KillRecord(
            reason=str(raw["reason"]),
            by=str(raw["by"]),
            at=at if at.tzinfo is not None else at.replace(tzinfo=UTC),
            pid=int(raw["pid"]),
            hostname=str(raw["hostname"]),
        )
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError):
        return _unreadable(path, "kill file present but malformed")


def _decode(data: bytes) -> str:
    """UTF-8 (with or without a BOM) or BOM-marked UTF-16; ValueError for anything else."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    return data.decode("utf-8-sig")


def _unreadable(path: Path, reason: str) -> KillRecord:
    try:
        at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
    except OSError:
        at = datetime.fromtimestamp(0, UTC)
    return KillRecord(reason=reason, by="unknown", at=at, pid=0, hostname="")


def remove_kill(control_dir: Path) -> bool:
    """Delete the kill file; True if there was one."""
    try:
        kill_path(control_dir).unlink()
    except FileNotFoundError:
        return False
    return True


class KillFileProbe:
    """A ``KillSwitchProbe`` over ``CONTROL_DIR/KILL``: the reason if present, else ``None``."""

    def __init__(self, control_dir: Path) -> None:
        self._control_dir = control_dir

    def __call__(self) -> str | None:
        """Look at the file now (a stat and a small read; never cached)."""
        record = read_kill(self._control_dir)
        return None if record is None else record.reason
