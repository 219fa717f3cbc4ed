"""The unit of work: one ``BEGIN IMMEDIATE`` transaction, committed only on purpose.

    with UnitOfWork(factory, audit) as uow:
        uow.arming.record(state)
        uow.audit.append(event)
        uow.commit()            # leave without this line and everything rolls back

``BEGIN IMMEDIATE`` takes SQLite's write lock at the start, so a cycle never discovers halfway
through that another writer got there first. The connection comes from a factory: a
``SharedConnection`` (the process's one connection, borrowed and left open; units of work on it
cannot nest) or any callable returning a fresh connection, closed on the way out. Repositories
are built on each enter around that transaction's connection and carry the audit context, so
every row they write is stamped.
Repositories added by other packages are reached with ``uow.repository(TheirRepository)``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Self, TypeVar

from btcbot.domain.errors import StateError
from btcbot.domain.records import AuditContext
from btcbot.state.faults import storage_error
from btcbot.state.repositories.arming import ArmingRepository
from btcbot.state.repositories.audit import AuditRepository
from btcbot.state.repositories.base import Repository
from btcbot.state.repositories.health import HealthRepository
from btcbot.state.repositories.kill_switch import KillSwitchRepository
from btcbot.state.sqlite import SharedConnection

ConnectionFactory = Callable[[], sqlite3.Connection]


def _path_of(conn: sqlite3.Connection) -> Path:
    """The file behind ``conn`` (for the operator's message; never fails)."""
    try:
        return Path(str(conn.execute("PRAGMA database_list").fetchone()[2]))
    except (sqlite3.Error, TypeError, IndexError):
        return Path("STATE_DB_PATH")


R = TypeVar("R", bound=Repository)


class UnitOfWork:
    """One transaction over a connection from ``connection_factory``."""

    audit: AuditRepository
    arming: ArmingRepository
    kill_switch: KillSwitchRepository
    health: HealthRepository

    def __init__(self, connection_factory: ConnectionFactory, audit_context: AuditContext) -> None:
        self._factory = connection_factory
        self._context = audit_context
        self._conn: sqlite3.Connection | None = None
        self._extra: dict[type[Repository], Repository] = {}

    @property
    def connection(self) -> sqlite3.Connection:
        """The open transaction's connection (only inside ``with``)."""
        if self._conn is None:
            raise StateError("the unit of work is not open: use it in a `with` block")
        return self._conn

    def __enter__(self) -> Self:
        conn = self._factory()
        if conn.in_transaction:
            # Only a borrowed connection can be mid-transaction: an outer unit of work is open.
            raise StateError(
                "a unit of work is already open on this connection: finish it before the next"
            )
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            path = _path_of(conn)
            self._release(conn, broken=True)
            raise storage_error(exc, path, "start a write transaction on") from exc
        self._conn = conn
        self._extra = {}
        self.audit = AuditRepository(conn, self._context)
        self.arming = ArmingRepository(conn, self._context)
        self.kill_switch = KillSwitchRepository(conn, self._context)
        self.health = HealthRepository(conn, self._context)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        broken = isinstance(exc, sqlite3.Error)
        path = _path_of(conn) if broken else Path("STATE_DB_PATH")
        try:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
        except sqlite3.Error:
            broken = True  # SQLite rolls back by itself when the connection closes
        finally:
            self._release(conn, broken=broken)
        if isinstance(exc, sqlite3.Error):
            # A repository's write failed: one typed error for the whole unit of work.
            raise storage_error(exc, path, "write") from exc

    def _release(self, conn: sqlite3.Connection, *, broken: bool) -> None:
        """Give the connection back: a shared one stays open unless a fault broke it."""
        if not isinstance(self._factory, SharedConnection):
            conn.close()
        elif broken:
            self._factory.discard()

    def repository(self, kind: type[R]) -> R:
        """The ``kind`` repository of this transaction (built once per enter)."""
        existing = self._extra.get(kind)
        if existing is None:
            existing = kind(self.connection, self._context)
            self._extra[kind] = existing
        if not isinstance(existing, kind):  # pragma: no cover - the dict is keyed by type
            raise TypeError(kind)
        return existing

    def commit(self) -> None:
        """Make everything written so far durable, then keep going in a new transaction."""
        conn = self.connection
        try:
            conn.execute("COMMIT")
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise storage_error(exc, _path_of(conn), "commit to") from exc

    def rollback(self) -> None:
        """Discard everything written since the last commit."""
        conn = self.connection
        conn.execute("ROLLBACK")
        conn.execute("BEGIN IMMEDIATE")
