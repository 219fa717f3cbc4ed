"""The MONITOR database check: tag, schema version and SQLite's own integrity check.

Writability is proven by the health run itself: storing its snapshot is a real write, and a
failure there turns this check CRITICAL (see ``cli``'s health handler).
"""

from __future__ import annotations

from pathlib import Path

from btcbot.domain.enums import Role
from btcbot.domain.errors import BtcbotError
from btcbot.domain.records import HealthLevel
from btcbot.services.health import CheckResult
from btcbot.state.meta import read_meta
from btcbot.state.migrate import latest_version, schema_version
from btcbot.state.sqlite import connect

NAME = "database"


def check_database(db_path: Path, role: Role) -> CheckResult:
    """Open the role's own database and check tag, schema and integrity."""
    try:
        conn = connect(db_path)
    except BtcbotError as exc:
        return CheckResult(NAME, HealthLevel.CRITICAL, str(exc), "run 'btcbot db check'")
    try:
        meta = read_meta(conn, db_path)
        version = schema_version(conn)
        # integrity_check reads every page; the MONITOR database is small (snapshots only).
        problems = [str(row[0]) for row in conn.execute("PRAGMA integrity_check").fetchall()]
    except BtcbotError as exc:
        return CheckResult(NAME, HealthLevel.CRITICAL, str(exc), "run 'btcbot db check'")
    finally:
        conn.close()
    details = {"db_role": meta.db_role.value, "db_uuid": meta.db_uuid, "schema": version}
    if meta.db_role is not role:
        return CheckResult(
            NAME,
            HealthLevel.CRITICAL,
            f"{db_path} is tagged {meta.db_role.value}, not {role.value}",
            "point STATE_DB_PATH at this role's own database",
            details,
        )
    if problems != ["ok"]:
        return CheckResult(
            NAME,
            HealthLevel.CRITICAL,
            f"integrity_check failed: {'; '.join(problems[:3])}",
            "restore the MONITOR database from its backup or re-create it with 'btcbot db init'",
            details,
        )
    if version != latest_version():
        return CheckResult(
            NAME,
            HealthLevel.WARNING,
            f"schema {version}, this btcbot writes {latest_version()}",
            "run 'btcbot db init' (it migrates, with a backup beside the file)",
            details,
        )
    return CheckResult(
        NAME,
        HealthLevel.OK,
        f"{meta.db_role.value} db, schema {version}, integrity ok",
        details=details,
    )
