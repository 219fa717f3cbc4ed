"""Opening this role's database: every refusal happens here, before anything is written.

``open_for_role`` checks, in order, and refuses with a one-line reason:

1. ``CONTROL_DIR`` exists (else the same-file rule could not see the other role) - ConfigError;
2. ``STATE_DB_PATH`` exists and is a file - DatabaseMissingError ("run `btcbot db init`");
3. it is not the other role's registered database - SharedDatabaseError;
4. it is SQLite with a btcbot role tag - DatabaseMissingError;
5. its schema is not newer than this code - SchemaTooNewError;
6. its tag is this ``APP_ROLE`` - RoleMismatchError;
7. no live process holds ``<db>.lock`` - LockHeldError (a dead holder's lock is taken over).

Only then is it migrated forward (backup first) and registered for the other role to see.
Nothing here can create a database file: inspection opens read-only, writing opens ``mode=rw``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from btcbot.domain.enums import Role
from btcbot.domain.errors import ConfigError, DatabaseMissingError, RoleMismatchError
from btcbot.settings import Settings
from btcbot.state import lock as db_lock
from btcbot.state.meta import DbMeta, read_meta
from btcbot.state.migrate import MigrationResult, check_not_newer, migrate, schema_version
from btcbot.state.registry import check_not_shared, register
from btcbot.state.sqlite import SharedConnection, connect, connect_readonly


@dataclass(frozen=True, slots=True)
class Inspection:
    """What a database says about itself, read without changing it."""

    meta: DbMeta
    schema_version: int


def require_control_dir(control_dir: Path) -> None:
    """The shared directory must exist before a role may open its database."""
    if control_dir.exists() and not control_dir.is_dir():
        raise ConfigError(
            f"CONTROL_DIR={control_dir} is a file, not a directory: it is where the two roles "
            "see each other; point CONTROL_DIR at a directory"
        )
    if not control_dir.is_dir():
        raise ConfigError(
            f"CONTROL_DIR={control_dir} does not exist: it is where the two roles see each "
            "other; `btcbot db init` creates it, or create it yourself"
        )


def require_existing_file(db_path: Path) -> None:
    """The database must already exist: opening never creates one."""
    if not db_path.exists():
        raise DatabaseMissingError(
            f"STATE_DB_PATH={db_path} does not exist: run `btcbot db init` for this role "
            "(or fix the path)"
        )
    if not db_path.is_file():
        raise DatabaseMissingError(f"STATE_DB_PATH={db_path} is not a file")


def inspect(db_path: Path) -> Inspection:
    """Read the role tag and schema version through a read-only connection."""
    conn = connect_readonly(db_path)
    try:
        meta = read_meta(conn, db_path)
        return Inspection(meta, schema_version(conn))
    except sqlite3.DatabaseError as exc:
        raise DatabaseMissingError(
            f"STATE_DB_PATH={db_path} is not a btcbot state database ({exc})"
        ) from exc
    finally:
        conn.close()


def check_role(meta: DbMeta, role: Role, db_path: Path) -> None:
    """Refuse a database tagged for the other role."""
    if meta.db_role is not role:
        raise RoleMismatchError(
            f"STATE_DB_PATH={db_path} is tagged db_role={meta.db_role.value} but "
            f"APP_ROLE={role.value}: each role opens only its own database; point "
            f"STATE_DB_PATH at the {role.value} database"
        )


def preflight(settings: Settings) -> Inspection:
    """Checks 1-6 (everything but the lock); read-only. Used by ``db check`` too."""
    db_path, role = settings.state_db_path, settings.app_role
    require_control_dir(settings.control_dir)
    require_existing_file(db_path)
    check_not_shared(settings.control_dir, role, db_path)
    found = inspect(db_path)
    check_not_newer(found.schema_version, db_path)
    check_role(found.meta, role, db_path)
    return found


@dataclass(slots=True)
class OpenedDatabase:
    """This role's database, checked, locked, migrated and registered; close it on the way out."""

    path: Path
    meta: DbMeta
    lock: db_lock.DbLock
    migration: MigrationResult
    connections: SharedConnection = field(init=False)

    def __post_init__(self) -> None:
        self.connections = SharedConnection(lambda: connect(self.path))

    def close(self) -> None:
        """Close the process's connections, then release the lock."""
        try:
            self.connections.close()
        finally:
            self.lock.release()


def open_for_role(settings: Settings, *, instance_id: str, now: datetime) -> OpenedDatabase:
    """Open ``STATE_DB_PATH`` for ``APP_ROLE`` or raise the refusal that says why not."""
    found = preflight(settings)
    db_path = settings.state_db_path
    held = db_lock.acquire(db_path, role=settings.app_role, instance_id=instance_id, now=now)
    try:
        conn = connect(db_path)
        try:
            migration = migrate(conn, db_path, now=now)
        finally:
            conn.close()
        register(
            settings.control_dir, settings.app_role, db_path, db_uuid=found.meta.db_uuid, now=now
        )
    except BaseException:
        held.release()
        raise
    return OpenedDatabase(db_path, found.meta, held, migration)
