"""One connection per process: units of work borrow it, cannot nest, and drop it after a fault."""

from __future__ import annotations

import sqlite3
import threading
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


def test_many_units_of_work_open_one_connection_and_see_each_others_commits(
    settings: Settings,
) -> None:
    """Fifty units of work, one connect; a commit is visible to the next, a rollback is not."""
    opener = Opener(lambda: connect(settings.state_db_path))
    shared = SharedConnection(opener)
    for n in range(50):
        with UnitOfWork(shared, context_of(settings)) as uow:
            uow.arming.record(armed(f"round {n}"))
            if n % 2 == 0:
                uow.commit()
    with UnitOfWork(shared, context_of(settings)) as uow:
        current = uow.arming.current()
    assert len(opener.opened) == 1
    assert current is not None
    assert current.reason == "round 48"
    conn = shared()
    shared.close()
    with pytest.raises(sqlite3.ProgrammingError):
        conn.execute("SELECT 1")


def test_a_unit_of_work_inside_another_is_refused_and_the_outer_one_goes_on(
    settings: Settings,
) -> None:
    """On a shared connection a nested unit of work would join the outer transaction: refused."""
    shared = SharedConnection(Opener(lambda: connect(settings.state_db_path)))
    with UnitOfWork(shared, context_of(settings)) as outer:
        outer.arming.record(armed("outer"))
        inner = UnitOfWork(shared, context_of(settings))
        with pytest.raises(StateError, match="already open"), inner:
            pass
        outer.commit()
    with UnitOfWork(shared, context_of(settings)) as uow:
        current = uow.arming.current()
    assert current is not None
    assert current.reason == "outer"
    shared.close()


def test_a_sqlite_fault_drops_the_connection_and_the_next_unit_of_work_reopens(
    settings: Settings,
) -> None:
    """After a failed write the borrowed connection is closed; the next enter gets a fresh one."""
    opener = Opener(lambda: connect(settings.state_db_path))
    shared = SharedConnection(opener)
    with pytest.raises(StateError), UnitOfWork(shared, context_of(settings)) as uow:
        uow.connection.execute("INSERT INTO no_such_table VALUES (1)")
    with UnitOfWork(shared, context_of(settings)) as uow:
        uow.arming.record(armed("after the fault"))
        uow.commit()
    assert len(opener.opened) == 2
    shared.close()


def test_each_thread_gets_its_own_connection(settings: Settings) -> None:
    """SQLite connections are not shared across threads: one each, all closed by ``close``."""
    opener = Opener(lambda: connect(settings.state_db_path))
    shared = SharedConnection(opener)
    seen: list[sqlite3.Connection] = []

    def work() -> None:
        with UnitOfWork(shared, context_of(settings)) as uow:
            seen.append(uow.connection)

    work()
    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    work()
    assert len(opener.opened) == 2
    assert seen[0] is seen[2]
    assert seen[0] is not seen[1]
    shared.close()
    with pytest.raises(sqlite3.ProgrammingError):
        seen[0].execute("SELECT 1")
