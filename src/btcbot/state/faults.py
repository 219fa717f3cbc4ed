"""Storage faults, translated once at the state boundary into what the operator must do.

SQLite and the operating system report a damaged file, a full disk and a read-only file in
several spellings (result codes, errno, messages). ``storage_error`` turns each into one typed
``StateError`` whose message names the file, what is wrong and what to do:

- damaged (``SQLITE_CORRUPT``, ``SQLITE_NOTADB`` on a file that has SQLite's header, a short
  read): "restore from <newest .bak>, see RUNBOOK";
- full (``SQLITE_FULL``, ``ENOSPC``, ``EDQUOT``): "disk full";
- read-only (``SQLITE_READONLY*``, ``EROFS``, ``EACCES``/``EPERM``): "read-only".

Anything else stays a plain ``StateError`` with SQLite's own words.
"""

from __future__ import annotations

import errno
import shutil
import sqlite3
from pathlib import Path

from btcbot.domain.errors import (
    StateError,
    StorageDamagedError,
    StorageFullError,
    StorageReadOnlyError,
)

SQLITE_HEADER = b"SQLite format 3\x00"
_FULL_ERRNOS = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})
_READ_ONLY_ERRNOS = frozenset({errno.EROFS, errno.EACCES, errno.EPERM})
# SQLite reports some failed writes on a full disk only as SQLITE_IOERR: below this much free
# space an I/O error is taken for a full disk.
_NEARLY_FULL_BYTES = 1024 * 1024


def _nearly_full(db: Path) -> bool:
    try:
        return shutil.disk_usage(db.parent).free < _NEARLY_FULL_BYTES
    except OSError:
        return False


def is_io_error(exc: sqlite3.Error | OSError) -> bool:
    """An I/O failure (not damage by itself: a full disk or a vanished mount look alike)."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    return name.startswith("SQLITE_IOERR") or "disk i/o error" in str(exc).lower()


def newest_backup(db: Path) -> Path | None:
    """The newest ``<db>.bak-v*`` migration backup beside ``db``, if any."""
    try:
        backups = sorted(db.parent.glob(f"{db.name}.bak-v*"), key=lambda p: p.stat().st_mtime)
    except OSError:
        return None
    return backups[-1] if backups else None


def has_sqlite_header(db: Path) -> bool:
    """Whether ``db`` starts like a SQLite file (so a failure to read it means damage)."""
    try:
        with db.open("rb") as fh:
            return fh.read(len(SQLITE_HEADER)) == SQLITE_HEADER
    except OSError:
        return False


def truncated(db: Path) -> bool:
    """Whether ``db`` is shorter than its own SQLite header says (a cut-off copy or write)."""
    try:
        with db.open("rb") as fh:
            header = fh.read(100)
        size = db.stat().st_size
    except OSError:
        return False
    if len(header) < 100 or not header.startswith(SQLITE_HEADER):  # noqa: PLR2004 - header size
        return False
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    return pages > 0 and size < page_size * pages


def damaged(db: Path, detail: str) -> StorageDamagedError:
    """The one message for a damaged database file."""
    backup = newest_backup(db)
    restore = f"restore from {backup}" if backup is not None else "restore it from your backup"
    return StorageDamagedError(
        f"STATE_DB_PATH={db} is damaged ({detail}): stop btcbot, {restore}, see docs/RUNBOOK.md "
        "('A damaged database')"
    )


def storage_error(exc: sqlite3.Error | OSError, db: Path, doing: str) -> StateError:
    """``exc`` (met while ``doing`` something with ``db``) as one typed, one-line StateError."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    number = exc.errno if isinstance(exc, OSError) else None
    text = str(exc).lower()
    if (
        name.startswith("SQLITE_CORRUPT")
        or "malformed" in text
        or (name.startswith("SQLITE_NOTADB") and has_sqlite_header(db))
    ):
        return damaged(db, f"{doing}: {exc}")
    full = name.startswith("SQLITE_FULL") or number in _FULL_ERRNOS or "disk is full" in text
    if full or (is_io_error(exc) and _nearly_full(db)):
        return StorageFullError(
            f"disk full: cannot {doing} {db} ({exc}): free space on that disk, then start again; "
            "nothing committed before was lost"
        )
    if name.startswith("SQLITE_READONLY") or number in _READ_ONLY_ERRNOS or "readonly" in text:
        return StorageReadOnlyError(
            f"read-only: cannot {doing} {db} ({exc}): make the file and its directory writable "
            "for this user"
        )
    return StateError(f"cannot {doing} {db}: {exc}")
