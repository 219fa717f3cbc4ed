"""Helpers for the state integration tests: settings per role, and databases made by db init.

A plain module rather than a conftest.py: test directories are not packages, so a second
``conftest`` module name would collide with the others in a whole-tree mypy run.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from btcbot.domain.enums import Role
from btcbot.domain.records import ArmingState, AuditContext
from btcbot.settings import Settings, load_settings
from btcbot.state.admin import init_database
from btcbot.state.meta import write_meta
from btcbot.state.migrate import migrate
from btcbot.state.sqlite import connect
from btcbot.state.uow import UnitOfWork

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
U = TypeVar("U", bound=UnitOfWork)


class Opener:
    """A connection factory keeping every connection it opened, for a test to count or inspect.

    A ``SharedConnection`` opens one per thread, and again after a fault.
    """

    def __init__(self, open_one: Callable[[], sqlite3.Connection]) -> None:
        self._open_one = open_one
        self.opened: list[sqlite3.Connection] = []

    def __call__(self) -> sqlite3.Connection:
        """A new connection, kept."""
        conn = self._open_one()
        self.opened.append(conn)
        return conn


def role_environ(role: Role, db_path: Path, control_dir: Path) -> dict[str, str]:
    """A valid environment for ``role`` (LIVE as a dry run on the emulator)."""
    monitor = role is Role.MONITOR
    return {
        "APP_ROLE": role.value,
        "STATE_DB_PATH": str(db_path),
        "CONTROL_DIR": str(control_dir),
        "LIVE_TRADING": "false",
        "SAFE_MODE": "true" if monitor else "false",
        "KILL_SWITCH": "true" if monitor else "false",
    }


def settings_for(root: Path, role: Role, db_path: Path | None = None) -> Settings:
    """Settings for ``role``; the DB defaults to ``<root>/<role>/state.db``."""
    path = db_path if db_path is not None else root / role.value / "state.db"
    return load_settings(role_environ(role, path, root / "control"))


def initialised(root: Path, role: Role) -> Settings:
    """Settings for ``role`` whose database ``db init`` has just created."""
    settings = settings_for(root, role)
    init_database(settings, instance_id=f"init-{role.value}", now=NOW)
    return settings


def context_of(settings: Settings) -> AuditContext:
    """The audit stamp of one process of ``settings``' role."""
    return AuditContext(settings.app_role, "instance-1", settings.config_hash)


def armed(reason: str) -> ArmingState:
    """An operator's arm decision, a row any unit of work can write."""
    return ArmingState(armed=True, reason=reason, changed_by="operator", changed_at=NOW)


def v1_database(path: Path) -> None:
    """A LIVE database as the first release left it: migration 1 only, tagged, one audit row."""
    conn = connect(path, create=True)
    try:
        migrate(conn, path, now=NOW, target=1)
        conn.execute("BEGIN IMMEDIATE")
        write_meta(
            conn, role=Role.LIVE, created_by="v1", at=NOW, audit=AuditContext(Role.LIVE, "i", "h")
        )
        conn.execute(
            "INSERT INTO audit_events (event, occurred_at, actor, detail, process_role,"
            " process_instance_id, config_hash) VALUES ('armed', 't', 'op', '{}', 'live', 'i', 'h')"
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def unit_of_work(settings: Settings, kind: type[U]) -> U:
    """A unit of work of ``kind`` on ``settings``' database, each opening its own connection."""
    path = settings.state_db_path
    return kind(
        lambda: connect(path), AuditContext(settings.app_role, "test", settings.config_hash)
    )
