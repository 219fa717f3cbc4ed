"""``btcbot db init`` and ``btcbot db check``: create a role's database, or inspect one.

These live in ``btcbot.state`` because they are nothing but state administration; the CLI
calls them directly (the one cli -> state edge, documented in docs/STATE.md).

``init_database`` builds the database in a temporary file beside the target, then publishes it
with an operation that fails if the target exists (a hard link on POSIX, a rename on Windows),
so a crash halfway leaves no half-made database and a file that appeared meanwhile is never
overwritten.
"""

from __future__ import annotations

import contextlib
import getpass
import os
import socket
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from btcbot import __version__
from btcbot.domain.enums import Role
from btcbot.domain.errors import DatabaseExistsError, StateError
from btcbot.domain.records import AuditContext
from btcbot.settings import Settings
from btcbot.state import lock as db_lock
from btcbot.state.faults import damaged
from btcbot.state.guards import preflight
from btcbot.state.meta import DbMeta, write_meta
from btcbot.state.migrate import latest_version, migrate
from btcbot.state.registry import (
    check_not_shared,
    other_role,
    read_registration,
    register,
    registry_path,
)
from btcbot.state.sqlite import connect, connect_readonly


def _operator() -> str:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some service accounts
        user = "unknown"
    return f"btcbot {__version__} db init by {user}@{socket.gethostname()}"


def init_database(settings: Settings, *, instance_id: str, now: datetime) -> DbMeta:
    """Create and tag ``STATE_DB_PATH`` for ``APP_ROLE``; refuse to overwrite or to share."""
    db_path, role = settings.state_db_path, settings.app_role
    if db_path.exists() or db_path.is_symlink():
        raise DatabaseExistsError(
            f"STATE_DB_PATH={db_path} already exists: `btcbot db init` never overwrites a "
            "database; use `btcbot db check` to inspect it, or choose a new path"
        )
    check_not_shared(settings.control_dir, role, db_path)
    _check_not_replacing(settings.control_dir, role, db_path)
    try:
        settings.control_dir.mkdir(parents=True, exist_ok=True)
        db_path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(f"cannot create the directories for {db_path}: {exc}") from exc
    audit = AuditContext(role, instance_id, settings.config_hash)
    tmp = db_path.with_name(f".{db_path.name}.init-{os.getpid()}.tmp")
    try:
        meta = _build(tmp, settings, audit, now)
        _publish(tmp, db_path)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
            leftover.unlink(missing_ok=True)
    register(settings.control_dir, role, db_path, db_uuid=meta.db_uuid, now=now)
    return meta


def _check_not_replacing(control_dir: Path, role: Role, db_path: Path) -> None:
    """One CONTROL_DIR serves one database per role: never re-register over a live one."""
    registered = read_registration(control_dir, role)
    if registered is None:
        return
    current = Path(registered.db_path)
    if current.exists() and current.absolute() != db_path.absolute():
        raise DatabaseExistsError(
            f"CONTROL_DIR={control_dir} already serves the {role.value} database {current}, "
            f"which still exists: `btcbot db init` will not register {db_path} over it; check "
            "STATE_DB_PATH, or give the new database its own CONTROL_DIR"
        )


def _build(tmp: Path, settings: Settings, audit: AuditContext, now: datetime) -> DbMeta:
    conn = connect(tmp, create=True)
    try:
        migrate(conn, tmp, now=now)
        conn.execute("BEGIN IMMEDIATE")
        meta = write_meta(conn, role=settings.app_role, created_by=_operator(), at=now, audit=audit)
        conn.execute("COMMIT")
        # Fold the WAL into the main file so publishing one file publishes everything.
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    except sqlite3.Error as exc:
        raise StateError(f"cannot create {settings.state_db_path}: {exc}") from exc
    finally:
        conn.close()
    return meta


def _publish(tmp: Path, target: Path) -> None:
    try:
        if os.name == "nt":
            tmp.rename(target)  # Windows rename refuses an existing target
        else:
            os.link(tmp, target)  # link(2) refuses an existing target; rename(2) would replace
    except FileExistsError:
        raise DatabaseExistsError(
            f"STATE_DB_PATH={target} appeared while it was being created: not overwritten"
        ) from None
    except OSError as exc:
        raise StateError(f"cannot create {target}: {exc}") from exc


@dataclass(slots=True)
class CheckReport:
    """What ``db check`` found: one line per aspect, and whether any of them failed."""

    lines: list[tuple[str, str]] = field(default_factory=list)
    failed: bool = False
    problem: str | None = None  # the first failed finding, for the one stderr line

    def add(self, name: str, value: str, *, ok: bool = True) -> None:
        """Record one finding."""
        self.lines.append((name, value))
        if not ok and self.problem is None:
            self.problem = f"{name}: {value}"
        self.failed = self.failed or not ok


def check_database(settings: Settings) -> CheckReport:
    """Inspect ``STATE_DB_PATH`` for ``APP_ROLE`` without changing it.

    The guards' refusals (missing, shared, foreign, too new, wrong role) are raised; integrity
    and writability problems are reported as failures; the lock is only described, since the
    running process of this role is supposed to hold it.
    """
    found = preflight(settings)
    db_path, meta = settings.state_db_path, found.meta
    report = CheckReport()
    report.add("path", str(db_path))
    created = meta.created_at.isoformat(timespec="seconds")
    report.add("role tag", f"{meta.db_role.value} (uuid {meta.db_uuid}, created {created})")
    latest = latest_version()
    schema = f"v{found.schema_version} (this btcbot: v{latest})"
    if found.schema_version < latest:
        schema += "; migrated forward, with a backup, at the next start"
    report.add("schema", schema)
    for name, value, ok in (_integrity(db_path), _writable(db_path)):
        report.add(name, value, ok=ok)
    report.add("lock", db_lock.probe(db_path).describe())
    other = other_role(settings.app_role)
    registered = read_registration(settings.control_dir, other)
    where = registry_path(settings.control_dir, other)
    report.add(
        f"{other.value} db",
        f"{registered.db_path} (a different file)" if registered else f"not registered ({where})",
    )
    return report


def _integrity(db_path: Path) -> tuple[str, str, bool]:
    conn = connect_readonly(db_path)
    try:
        rows = [str(r[0]) for r in conn.execute("PRAGMA integrity_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        return ("integrity", f"FAILED: {damaged(db_path, str(exc))}", False)
    finally:
        conn.close()
    if rows == ["ok"]:
        return ("integrity", "ok", True)
    return ("integrity", f"FAILED: {damaged(db_path, '; '.join(rows[:3]))}", False)


def _writable(db_path: Path) -> tuple[str, str, bool]:
    if not os.access(db_path, os.W_OK) or not os.access(db_path.parent, os.W_OK):
        return ("writable", "NO: the file or its directory is not writable by this user", False)
    try:
        conn = connect(db_path)
    except StateError as exc:
        return ("writable", f"NO: {exc}", False)
    try:
        conn.execute("PRAGMA busy_timeout = 0")
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return ("writable", "yes (another process is writing right now)", True)
        return ("writable", f"NO: {exc}", False)
    finally:
        with contextlib.suppress(sqlite3.Error):
            conn.close()
    return ("writable", "yes", True)
