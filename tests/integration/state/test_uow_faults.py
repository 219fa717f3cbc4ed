"""A unit of work that SQLite refuses: one line naming the file and the step, nothing half-done.

The LIVE process commits each cycle through one ``UnitOfWork``; when the write lock is taken
elsewhere, a write fails or a commit is refused, the operator gets one line naming the database
and what could not be done, nothing of the unit is kept, and a shared connection a fault may
have left unusable is dropped (the next unit opens a fresh one) while one an ordinary
exception passed through is kept. Mutation testing of state/uow.py found the lines, the file
they name and the dropping unheld: each is held here, on real SQLite files.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from state_db import Opener, armed, context_of, initialised

from btcbot.domain.enums import Role
from btcbot.domain.errors import StateError
from btcbot.settings import Settings
from btcbot.state.sqlite import SharedConnection, connect
from btcbot.state.uow import UnitOfWork


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A LIVE database ``db init`` created."""
    return initialised(tmp_path, Role.LIVE)


def _is_closed(conn: sqlite3.Connection) -> bool:
    try:
        conn.execute("SELECT 1")
    except sqlite3.ProgrammingError:
        return True
    return False


def _arming_rows(settings: Settings) -> int:
    conn = connect(settings.state_db_path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM arming_changes").fetchone()[0])
    finally:
        conn.close()


def _write_then(
    unit: UnitOfWork, sql: str = "", *, raise_: Exception | None = None, commit: bool = False
) -> None:
    """Record an arming decision in ``unit``, then run ``sql``, raise ``raise_`` or commit."""
    with unit as uow:
        uow.arming.record(armed("written before the fault"))
        if sql:
            uow.connection.execute(sql)
        if raise_ is not None:
            raise raise_
        if commit:
            uow.commit()


def _impatient(path: Path) -> Callable[[], sqlite3.Connection]:
    """Connections that give up on a lock at once (``connect`` would wait seconds for it)."""
    return lambda: sqlite3.connect(path, isolation_level=None, timeout=0)


def test_a_write_lock_held_elsewhere_is_one_line_and_the_connection_is_closed(
    settings: Settings,
) -> None:
    """BEGIN IMMEDIATE refused: the file and the step are named; the fresh connection closed."""
    path = settings.state_db_path
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    opener = Opener(_impatient(path))
    try:
        with pytest.raises(StateError) as info, UnitOfWork(opener, context_of(settings)):
            pytest.fail("the unit of work opened while another writer held the lock")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert str(info.value) == f"cannot start a write transaction on {path}: database is locked"
    assert _is_closed(opener.opened[0])


def test_a_shared_connection_refused_the_write_lock_is_dropped_and_reopened(
    settings: Settings,
) -> None:
    """After the refusal the next unit of work opens a new connection and writes."""
    path = settings.state_db_path
    opener = Opener(_impatient(path))
    shared = SharedConnection(opener)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StateError, match="database is locked"):
            UnitOfWork(shared, context_of(settings)).__enter__()
    finally:
        other.execute("ROLLBACK")
        other.close()
    with UnitOfWork(shared, context_of(settings)) as uow:
        uow.arming.record(armed("after the lock"))
        uow.commit()
    assert len(opener.opened) == 2
    assert _is_closed(opener.opened[0])
    shared.close()


def test_a_failed_write_is_one_line_naming_the_file_and_nothing_of_the_unit_is_kept(
    settings: Settings,
) -> None:
    """A repository's write fails after another succeeded: neither is kept."""
    path = settings.state_db_path
    unit = UnitOfWork(lambda: connect(path), context_of(settings))
    with pytest.raises(StateError) as info:
        _write_then(unit, "INSERT INTO no_such_table VALUES (1)")
    assert str(info.value) == f"cannot write {path}: no such table: no_such_table"
    assert _arming_rows(settings) == 0


def test_an_ordinary_exception_keeps_the_shared_connection(settings: Settings) -> None:
    """Not SQLite's fault: the exception passes unchanged, the unit rolls back.

    The connection stays for the next unit of work.
    """
    opener = Opener(lambda: connect(settings.state_db_path))
    shared = SharedConnection(opener)
    with pytest.raises(ValueError, match="not storage"):
        _write_then(UnitOfWork(shared, context_of(settings)), raise_=ValueError("not storage"))
    with UnitOfWork(shared, context_of(settings)) as uow:
        assert uow.arming.current() is None
    assert len(opener.opened) == 1
    assert not _is_closed(opener.opened[0])
    shared.close()


def test_a_refused_commit_is_one_line_naming_the_file(settings: Settings) -> None:
    """COMMIT refused (a deferred foreign key left unmet): the file and the step are named.

    The unit's writes are gone.
    """
    path = settings.state_db_path
    setup = connect(path)
    setup.executescript(
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);"
        "CREATE TABLE child (parent INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED);"
    )
    setup.close()

    def strict() -> sqlite3.Connection:
        conn = connect(path)
        conn.execute("PRAGMA foreign_keys = ON")
        return conn

    with pytest.raises(StateError) as info:
        _write_then(
            UnitOfWork(strict, context_of(settings)), "INSERT INTO child VALUES (7)", commit=True
        )
    assert str(info.value) == f"cannot commit to {path}: FOREIGN KEY constraint failed"
    assert _arming_rows(settings) == 0


def test_a_repository_is_built_once_per_unit_of_work(settings: Settings) -> None:
    """Asked twice in one unit, the same repository; the next unit builds its own."""
    from btcbot.state.repositories.arming import ArmingRepository  # noqa: PLC0415

    unit = UnitOfWork(lambda: connect(settings.state_db_path), context_of(settings))
    with unit as uow:
        first = uow.repository(ArmingRepository)
        assert uow.repository(ArmingRepository) is first
    with unit as uow:
        assert uow.repository(ArmingRepository) is not first
