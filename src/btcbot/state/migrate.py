"""Numbered SQL migrations tracked by ``PRAGMA user_version``, with a backup before each run.

Migrations are the files ``btcbot/state/migrations/NNNN_name.sql``, numbered from 0001 without
gaps; a database at ``user_version = N`` has had migrations 1..N applied. Each migration runs
in one ``BEGIN IMMEDIATE`` transaction together with the ``user_version`` bump, so a failure
leaves the database exactly as it was. Before migrating a database that already holds data
(``user_version > 0``), a consistent copy is taken with SQLite's online backup API beside it as
``<db>.bak-v<N>-<UTC timestamp>``. A database newer than the code is refused, never downgraded.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from btcbot.domain.errors import SchemaTooNewError, StateError

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One numbered schema step."""

    version: int
    name: str
    sql: str


def load_migrations() -> tuple[Migration, ...]:
    """Every bundled migration in order; refuses gaps, duplicates and misnamed files."""
    folder = resources.files("btcbot.state").joinpath("migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = _NAME.fullmatch(entry.name)
        if match is None:
            raise StateError(f"migration file {entry.name!r} is not named NNNN_name.sql")
        found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    expected = list(range(1, len(found) + 1))
    if [m.version for m in found] != expected:
        raise StateError(
            f"migrations must be numbered 1..N without gaps: {[m.version for m in found]}"
        )
    return tuple(found)


def latest_version() -> int:
    """The schema version this code writes."""
    return len(load_migrations())


def schema_version(conn: sqlite3.Connection) -> int:
    """The database's ``PRAGMA user_version``."""
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def check_not_newer(version: int, db_path: Path | str) -> None:
    """Refuse a schema this code does not know (it would misread or corrupt it)."""
    latest = latest_version()
    if version > latest:
        raise _too_new(version, latest, db_path)


def _too_new(version: int, latest: int, db_path: Path | str) -> SchemaTooNewError:
    return SchemaTooNewError(
        f"{db_path} has schema version {version} but this btcbot knows only up to "
        f"{latest}: upgrade btcbot; never point an older version at a newer database"
    )


def backup_path_for(db_path: Path, version: int, at: datetime) -> Path:
    """Where the pre-migration copy goes: beside the DB, named by version and UTC time."""
    stamp = at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    candidate = db_path.with_name(f"{db_path.name}.bak-v{version}-{stamp}")
    n = 1
    while candidate.exists():
        n += 1
        candidate = db_path.with_name(f"{db_path.name}.bak-v{version}-{stamp}-{n}")
    return candidate


def backup(conn: sqlite3.Connection, target: Path) -> None:
    """A consistent copy of the open database at ``target`` (SQLite online backup API)."""
    dest = sqlite3.connect(target)
    try:
        conn.backup(dest)
    finally:
        dest.close()


@dataclass(frozen=True, slots=True)
class MigrationResult:
    """What ``migrate`` did: versions before and after, and the backup it left (if any)."""

    from_version: int
    to_version: int
    backup: Path | None


def migrate(
    conn: sqlite3.Connection,
    db_path: Path,
    *,
    now: datetime,
    target: int | None = None,
    migrations: Sequence[Migration] | None = None,
) -> MigrationResult:
    """Bring the database up to ``target`` (default: the latest schema); no-op when there.

    ``migrations`` defaults to the bundled files; tests pass their own to exercise failures.
    """
    steps = tuple(load_migrations() if migrations is None else migrations)
    latest = steps[-1].version if steps else 0
    goal = latest if target is None else min(target, latest)
    current = schema_version(conn)
    if current > latest:
        raise _too_new(current, latest, db_path)
    pending = [m for m in steps if current < m.version <= goal]
    if not pending:
        return MigrationResult(current, current, None)
    copy: Path | None = None
    if current > 0:  # a brand-new database has nothing worth copying
        copy = backup_path_for(db_path, current, now)
        try:
            backup(conn, copy)
        except (sqlite3.Error, OSError) as exc:
            raise StateError(f"cannot back up {db_path} to {copy} before migrating: {exc}") from exc
    for migration in pending:
        _apply(conn, migration)
    return MigrationResult(current, pending[-1].version, copy)


def _apply(conn: sqlite3.Connection, migration: Migration) -> None:
    # executescript() would COMMIT any open transaction first, so the BEGIN goes inside the
    # script; the version bump shares the transaction, making each step all-or-nothing.
    script = (
        f"BEGIN IMMEDIATE;\n{migration.sql}\nPRAGMA user_version = {migration.version};\nCOMMIT;"
    )
    try:
        conn.executescript(script)
    except sqlite3.Error as exc:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise StateError(
            f"migration {migration.version:04d}_{migration.name} failed: {exc}"
        ) from exc
