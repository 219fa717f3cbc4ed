"""Storage faults become one typed line at the state boundary (injected, no root needed)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

import pytest

from btcbot.domain.enums import Role
from btcbot.domain.errors import (
    StateError,
    StorageDamagedError,
    StorageFullError,
    StorageReadOnlyError,
)
from btcbot.domain.records import AuditContext
from btcbot.state.faults import storage_error, truncated
from btcbot.state.sqlite import connect
from btcbot.state.uow import UnitOfWork


@pytest.mark.parametrize(
    ("exc", "kind", "words"),
    [
        (sqlite3.DatabaseError("database disk image is malformed"), StorageDamagedError, "damaged"),
        (sqlite3.OperationalError("database or disk is full"), StorageFullError, "disk full"),
        (OSError(errno.ENOSPC, "No space left on device"), StorageFullError, "disk full"),
        (
            sqlite3.OperationalError("attempt to write a readonly database"),
            StorageReadOnlyError,
            "read-only",
        ),
        (OSError(errno.EROFS, "Read-only file system"), StorageReadOnlyError, "read-only"),
        (sqlite3.OperationalError("no such table: x"), StateError, "cannot write"),
    ],
)
def test_each_fault_has_its_type_and_remedy(
    tmp_path: Path, exc: Exception, kind: type[StateError], words: str
) -> None:
    """Damaged, full, read-only, or else a plain StateError; one line naming the file."""
    error = storage_error(exc, tmp_path / "state.db", "write")  # type: ignore[arg-type]
    assert type(error) is kind
    assert words in str(error)
    assert str(tmp_path / "state.db") in str(error)
    assert "\n" not in str(error)


def test_a_damaged_file_names_its_newest_backup(tmp_path: Path) -> None:
    """The remedy points at the newest ``.bak-v*`` beside the database."""
    db = tmp_path / "state.db"
    db.write_bytes(b"")
    (tmp_path / "state.db.bak-v1-20260101").write_bytes(b"x")
    error = storage_error(sqlite3.DatabaseError("malformed"), db, "read")
    assert "restore from" in str(error)
    assert "state.db.bak-v1-20260101" in str(error)


def test_a_repository_write_that_fails_leaves_the_unit_of_work_typed(tmp_path: Path) -> None:
    """A write inside the unit of work that SQLite refuses surfaces as a StateError."""
    db = tmp_path / "x.db"
    conn = connect(db, create=True)
    conn.execute("CREATE TABLE t (v INTEGER NOT NULL)")
    conn.close()
    uow = UnitOfWork(lambda: connect(db), AuditContext(Role.LIVE, "i", "h"))
    with pytest.raises(StateError, match="cannot write"), uow:
        uow.connection.execute("INSERT INTO t (v) VALUES (NULL)")


def test_truncation_is_read_from_the_header(tmp_path: Path) -> None:
    """A file shorter than its header's page count is truncated; a whole one is not."""
    db = tmp_path / "x.db"
    conn = connect(db, create=True)
    conn.execute("CREATE TABLE t (v TEXT)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    assert not truncated(db)
    size = db.stat().st_size
    with db.open("r+b") as fh:
        fh.truncate(size // 2)
    assert truncated(db)


def test_an_empty_database_file_is_damage_not_a_foreign_file(tmp_path: Path) -> None:
    """``db init`` never leaves zero bytes: an empty STATE_DB_PATH was cut off."""
    db = tmp_path / "state.db"
    db.write_bytes(b"")
    with pytest.raises(StorageDamagedError, match="the file is empty"):
        connect(db)
