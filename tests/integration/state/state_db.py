"""Shared fixtures for the state integration tests: settings per role and initialised DBs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from btcbot.domain.enums import Role
from btcbot.settings import Settings, load_settings
from btcbot.state.admin import init_database

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
MakeSettings = Callable[..., Settings]


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


@pytest.fixture
def make_settings(tmp_path: Path) -> MakeSettings:
    """Settings for a role; the DB defaults to ``<tmp>/<role>/state.db``."""

    def make(role: Role, db_path: Path | None = None) -> Settings:
        path = db_path if db_path is not None else tmp_path / role.value / "state.db"
        return load_settings(role_environ(role, path, tmp_path / "control"))

    return make


@pytest.fixture
def live_settings(make_settings: MakeSettings) -> Settings:
    """LIVE settings whose database has been created by ``db init``."""
    settings = make_settings(Role.LIVE)
    init_database(settings, instance_id="init-live", now=NOW)
    return settings


@pytest.fixture
def monitor_settings(make_settings: MakeSettings) -> Settings:
    """MONITOR settings whose database has been created by ``db init``."""
    settings = make_settings(Role.MONITOR)
    init_database(settings, instance_id="init-monitor", now=NOW)
    return settings
