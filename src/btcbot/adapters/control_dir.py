"""The shared ``CONTROL_DIR``: the kill file both roles may write, and atomic file replacement.

``CONTROL_DIR/KILL`` is a small JSON document ``{"reason", "by", "at", "pid", "hostname"}``.
Its *presence* is what blocks trading: a kill file that cannot be read or parsed still counts
as present (fail safe), with a reason saying so.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

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


# On Windows a reader that has the target open makes os.replace fail with PermissionError for
# a moment (Python opens files without FILE_SHARE_DELETE); retry briefly instead of failing.
_REPLACE_ATTEMPTS = 40
_REPLACE_PAUSE_S = 0.025


def _replace(tmp: Path, target: Path) -> None:
    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            tmp.replace(target)
        except PermissionError:
            if attempt == _REPLACE_ATTEMPTS - 1:
                raise
            time.sleep(_REPLACE_PAUSE_S)
        else:
            return


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` so a concurrent reader sees the old file or the new one, whole.

    (``btcbot.observability.atomic`` holds the same ten lines: the layers contract keeps
    adapters and observability independent of each other.)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _replace(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


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
    atomic_write_text(path, json.dumps(payload, sort_keys=True, indent=2) + "\n")
    return path


def read_kill(control_dir: Path) -> KillRecord | None:
    """The kill record, ``None`` when there is no kill file; never raises for a bad file."""
    path = kill_path(control_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        return _unreadable(path, f"kill file unreadable ({type(exc).__name__})")
    try:
        raw = json.loads(text)
        at = datetime.fromisoformat(str(raw["at"]))
        return KillRecord(
            reason=str(raw["reason"]),
            by=str(raw["by"]),
            at=at if at.tzinfo is not None else at.replace(tzinfo=UTC),
            pid=int(raw["pid"]),
            hostname=str(raw["hostname"]),
        )
    except (ValueError, KeyError, TypeError):
        return _unreadable(path, "kill file present but malformed")


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
