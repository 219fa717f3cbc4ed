"""Process lifecycle: the startup guards in one place, and a graceful stop on signals.

``startup(settings, check=...)`` is the only way a command gets at its database: it checks
the command's role, then runs ``btcbot.state.guards.open_for_role`` (database present and
tagged for this role, schema not newer than the code, not the other role's file, the
``<db>.lock`` held for the process life, registry) and yields a ``Runtime``. Any refusal is a
``SafetyRefusalError`` with a one-line message (exit 4; health: 3).

``StopToken`` + ``install_stop_handlers``: SIGINT/SIGTERM (and CTRL+C/CTRL+BREAK on Windows,
``signal.SIGBREAK``) request a stop that the run loop sees at its next safe point; a second
signal forces exit 130 at once.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import NoReturn

from btcbot.adapters.clock import Clock
from btcbot.domain.enums import Role
from btcbot.domain.errors import RoleMismatchError
from btcbot.domain.records import AuditContext
from btcbot.observability.audit import AuditEvent, AuditKind
from btcbot.observability.logging import get_logger
from btcbot.settings import Settings
from btcbot.state.guards import OpenedDatabase, open_for_role
from btcbot.state.meta import DbMeta
from btcbot.state.uow import ConnectionFactory, UnitOfWork

EXIT_INTERRUPTED = 130
_log = get_logger(__name__)


class StopToken:
    """A thread-safe "please stop" flag that a loop polls and can sleep on.

    The run loop checks ``stop_requested`` at safe points (cycle boundaries, between orders)
    and sleeps with ``wait(seconds)``, which returns early, True, as soon as a stop is asked.
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self._reason: str | None = None
        self._lock = threading.Lock()

    @property
    def stop_requested(self) -> bool:
        """True once any stop was requested."""
        return self._event.is_set()

    def is_set(self) -> bool:
        """Same as ``stop_requested`` (``threading.Event`` spelling)."""
        return self._event.is_set()

    @property
    def reason(self) -> str | None:
        """What asked for the stop (``SIGTERM``, ``SIGINT``, ...), ``None`` if nothing did."""
        return self._reason

    def request(self, reason: str) -> bool:
        """Ask for a stop; returns True if this was the first request."""
        with self._lock:
            first = not self._event.is_set()
            if first:
                self._reason = reason
                self._event.set()
        return first

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; True if a stop was requested (possibly before the call)."""
        return self._event.wait(timeout=max(0.0, seconds))


def _force_exit(code: int) -> NoReturn:
    # A second signal means "now": skip cleanup that may be what is hanging.
    os._exit(code)


def stop_signals() -> tuple[signal.Signals, ...]:
    """The signals that request a graceful stop on this platform."""
    names = ("SIGINT", "SIGTERM", "SIGBREAK")  # SIGBREAK exists on Windows only
    return tuple(getattr(signal, n) for n in names if hasattr(signal, n))


def install_stop_handlers(
    token: StopToken, *, force_exit: Callable[[int], object] = _force_exit
) -> Callable[[], None]:
    """Route stop signals to ``token``; returns a function restoring the previous handlers.

    Must be called from the main thread (a Python rule for ``signal.signal``).
    """

    def handle(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if token.request(name):
            _log.warning("stop_requested", signal=name, hint="send again to exit at once")
            return
        _log.error("forced_exit", signal=name, exit_code=EXIT_INTERRUPTED)
        force_exit(EXIT_INTERRUPTED)

    previous = {sig: signal.signal(sig, handle) for sig in stop_signals()}

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)

    return restore


@contextmanager
def stop_handling(
    token: StopToken | None = None, *, force_exit: Callable[[int], object] = _force_exit
) -> Iterator[StopToken]:
    """Install the stop handlers for the duration of a ``with`` block; yields the token."""
    stop = token if token is not None else StopToken()
    restore = install_stop_handlers(stop, force_exit=force_exit)
    try:
        yield stop
    finally:
        restore()


@dataclass(frozen=True, slots=True)
class RoleCheck:
    """Which role a command needs, for the message when the session has the other one."""

    command: str
    role: Role


def require_role(actual: Role, check: RoleCheck) -> None:
    """Refuse a command run under the wrong ``APP_ROLE`` (exit 4, naming the fix)."""
    if actual is not check.role:
        raise RoleMismatchError(
            f"'btcbot {check.command}' needs APP_ROLE={check.role.value} (got {actual.value}): "
            f"run it from the {check.role.value.upper()} session"
        )


@dataclass(frozen=True)
class Runtime:
    """A command's guarded hold on its own database, valid inside ``startup``'s ``with``."""

    settings: Settings
    instance_id: str
    clock: Clock
    database: OpenedDatabase

    @property
    def meta(self) -> DbMeta:
        """The database's immutable role tag."""
        return self.database.meta

    def audit_context(self, cycle_id: str | None = None) -> AuditContext:
        """The stamp every row this process writes carries."""
        return AuditContext(
            process_role=self.settings.app_role,
            process_instance_id=self.instance_id,
            config_hash=self.settings.config_hash,
            cycle_id=cycle_id,
        )

    def connection_factory(self) -> ConnectionFactory:
        """The process's one connection to this database (per thread), with btcbot's pragmas."""
        return self.database.connections

    def unit_of_work(self, cycle_id: str | None = None) -> UnitOfWork:
        """A fresh unit of work on this database."""
        return UnitOfWork(self.connection_factory(), self.audit_context(cycle_id))


@contextmanager
def startup(
    settings: Settings,
    *,
    check: RoleCheck,
    instance_id: str,
    clock: Clock,
) -> Iterator[Runtime]:
    """Run every startup guard, hold ``<db>.lock`` for the block, release it after.

    Order matters: the command's role first (no file touched), then ``state.guards``
    (CONTROL_DIR, file present, not the other role's file, tag and schema read-only, lock,
    migration with backup, registry). A dead holder's lock is taken over, logged and audited.
    """
    require_role(settings.app_role, check)
    database = open_for_role(settings, instance_id=instance_id, now=clock.now())
    try:
        runtime = Runtime(settings, instance_id, clock, database)
        migration = database.migration
        if migration.from_version != migration.to_version:
            _log.warning(
                "database_migrated",
                from_version=migration.from_version,
                to_version=migration.to_version,
                backup=str(migration.backup),
            )
        fact = database.lock.takeover_fact
        if fact is not None:
            _record_takeover(runtime, fact)
        yield runtime
    finally:
        database.close()


def _record_takeover(runtime: Runtime, fact: str) -> None:
    _log.warning("lock_taken_over", detail=fact, db=str(runtime.database.path))
    with runtime.unit_of_work() as uow:
        uow.audit.append(
            AuditEvent(
                kind=AuditKind.LOCK_TAKEN_OVER,
                at=runtime.clock.now(),
                actor=f"btcbot {runtime.settings.app_role.value}",
                detail={"fact": fact},
            )
        )
        uow.commit()
