"""The one SQLite connection factory: every connection btcbot opens is configured here.

WAL lets the health check and ``db check`` read while LIVE writes; ``synchronous=FULL`` makes
a committed order intent survive a power cut; ``busy_timeout`` turns a brief writer collision
into a wait instead of an error; ``foreign_keys`` is off by default in SQLite and must be asked
for per connection; ``recursive_triggers`` makes ``INSERT OR REPLACE`` fire the DELETE triggers
that keep ``db_meta`` and ``audit_events`` immutable.

Opening never creates a file unless the caller says ``create=True`` (only ``btcbot db init``
does): a typo in ``STATE_DB_PATH`` must end in a refusal, not in a fresh empty database.

A process keeps one connection to its own database (per thread that uses it), opened on first
use and configured once: ``SharedConnection``. Connecting and setting the pragmas cost more
than most of the cycle's transactions, and a LIVE cycle opens a dozen of them.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from btcbot.domain.errors import BtcbotError, DatabaseMissingError, StateError
from btcbot.state.faults import (
    damaged,
    has_sqlite_header,
    is_io_error,
    newest_backup,
    storage_error,
)

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
    if not create and _is_empty(db):
        # db init never leaves an empty file: one of zero bytes was cut off (a copy, a full disk).
        raise damaged(db, "the file is empty")
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
        raise storage_error(exc, db, "open") from exc
    try:
        configure(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise _unusable(exc, db) from exc
    return conn


def _is_empty(db: Path) -> bool:
    try:
        return db.is_file() and db.stat().st_size == 0
    except OSError:
        return False


def _unusable(exc: sqlite3.DatabaseError, db: Path) -> BtcbotError:
    """Why an existing file could not be configured: damage, a full disk, or not SQLite."""
    fault = storage_error(exc, db, "open")
    if type(fault) is not StateError or is_io_error(exc):
        return fault
    if has_sqlite_header(db) or newest_backup(db) is not None:
        return damaged(db, str(exc))
    return DatabaseMissingError(
        f"STATE_DB_PATH={db} is not a SQLite database, so not a btcbot state database: "
        "point STATE_DB_PATH at this role's database (or run `btcbot db init` for a new one)"
    )


class SharedConnection:
    """One configured connection per thread, opened on first use; the units of work borrow it.

    A unit of work begins and ends its transaction on the borrowed connection and leaves it
    open; ``close`` closes them all (the process is done with the database). After a SQLite
    fault the unit of work ``discard``s the connection, so the next one starts afresh.
    """

    def __init__(self, open_connection: Callable[[], sqlite3.Connection]) -> None:
        self._open = open_connection
        self._local = threading.local()
        self._lock = threading.Lock()
        self._every: list[sqlite3.Connection] = []

    def __call__(self) -> sqlite3.Connection:
        """This thread's connection, opened now if it has none."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._open()
            self._local.conn = conn
            with self._lock:
                self._every.append(conn)
        return conn

    def discard(self) -> None:
        """Close this thread's connection (after a fault); the next call opens a new one."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock:
                self._every.remove(conn)
            conn.close()

    def close(self) -> None:
        """Close every connection this holder opened (at the end of the process's hold)."""
        with self._lock:
            every, self._every = self._every, []
        for conn in every:
            # Another thread's raises ProgrammingError: SQLite closes it with that thread's object.
            with contextlib.suppress(sqlite3.ProgrammingError):
                conn.close()
        self._local = threading.local()


@contextmanager
def reading(path: Path | str) -> Iterator[sqlite3.Connection]:
    """A connection for reads whose SQLite faults leave as one typed, one-line ``StateError``.

    A row that cannot be read back into its record (a text where a time should be, say) means
    the file is damaged too: the writers never store one.
    """
    db = Path(path)
    conn = connect(db)
    try:
        yield conn
    except sqlite3.Error as exc:
        raise storage_error(exc, db, "read") from exc
    except (TypeError, ValueError) as exc:
        raise damaged(db, f"a stored row does not read back: {exc}") from exc
    finally:
        conn.close()


def connect_readonly(path: Path | str) -> sqlite3.Connection:
    """Open ``path`` read-only without changing anything in it (used to inspect a file first)."""
    db = Path(path)
    if _is_empty(db):
        raise damaged(db, "the file is empty")
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
