"""Helpers for the state integration tests: settings per role, and databases made by db init.

A plain module rather than a conftest.py: test directories are not packages, so a second
``conftest`` module name would collide with the others in a whole-tree mypy run.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from btcbot.domain.enums import Role
from btcbot.settings import Settings, load_settings
from btcbot.state.admin import init_database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


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
