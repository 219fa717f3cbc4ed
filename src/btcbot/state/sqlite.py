"""The one SQLite connection factory: every connection btcbot opens is configured here.

WAL lets the health check and ``db check`` read while LIVE writes; ``synchronous=FULL`` makes
a committed order intent survive a power cut; ``busy_timeout`` turns a brief writer collision
into a wait instead of an error; ``foreign_keys`` is off by default in SQLite and must be asked
for per connection; ``recursive_triggers`` makes ``INSERT OR REPLACE`` fire the DELETE triggers
that keep ``db_meta`` and ``audit_events`` immutable.

Opening never creates a file unless the caller says ``create=True`` (only ``btcbot db init``
does): a typo in ``STATE_DB_PATH`` must end in a refusal, not in a fresh empty database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from btcbot.domain.errors import DatabaseMissingError, StateError

BUSY_TIMEOUT_MS = 5000


def _uri(path: Path, mode: str) -> str:
    # as_uri() percent-encodes '?', '#' and spaces, so any legal file name survives the URI.
    return f"{path.absolute().as_uri()}?mode={mode}"


def connect(path: Path | str, *, create: bool = False) -> sqlite3.Connection:
    """Open ``path`` read-write with btcbot's pragmas (autocommit; the UoW begins transactions).

    Raises:
        DatabaseMissingError: the file does not exist (and ``create`` is False) or is not SQLite.
        StateError: SQLite could not open or configure it for another reason.
    """
    db = Path(path)
    try:
        conn = sqlite3.connect(
            _uri(db, "rwc" if create else "rw"),
            uri=True,
            isolation_level=None,
            timeout=BUSY_TIMEOUT_MS / 1000,
            check_same_thread=True,
        )
    except sqlite3.OperationalError as exc:
        if not create and not db.exists():
            raise DatabaseMissingError(
                f"STATE_DB_PATH={db} does not exist: run `btcbot db init` to create it"
            ) from exc
        raise StateError(f"cannot open {db}: {exc}") from exc
    try:
        configure(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise DatabaseMissingError(
            f"STATE_DB_PATH={db} is not a SQLite database, so not a btcbot state database"
        ) from exc
    return conn


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """Open ``path`` read-only without changing anything in it (used to inspect a file first)."""
    db = Path(path)
    try:
        conn = sqlite3.connect(_uri(db, "ro"), uri=True, isolation_level=None)
    except sqlite3.OperationalError as exc:
        raise DatabaseMissingError(
            f"STATE_DB_PATH={db} does not exist or cannot be read: run `btcbot db init`"
        ) from exc
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def configure(conn: sqlite3.Connection) -> None:
    """Apply btcbot's pragmas to an open connection."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StateError(f"SQLite refused WAL journal mode (got {mode!r})")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA recursive_triggers = ON")
    conn.row_factory = sqlite3.Row
