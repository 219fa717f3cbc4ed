"""The environments of a LIVE dry run and of its MONITOR under one directory, for every tier.

Both share ``root / "control"``; each has its own database (``live`` and ``monitor``).
"""

from __future__ import annotations

from pathlib import Path


def dry_run_environ(root: Path, **over: str) -> dict[str, str]:
    """The six variables a LIVE dry run needs, the database and CONTROL_DIR under ``root``."""
    env = {
        "APP_ROLE": "live",
        "STATE_DB_PATH": str(root / "live" / "state.db"),
        "CONTROL_DIR": str(root / "control"),
        "LIVE_TRADING": "false",
        "SAFE_MODE": "false",
        "KILL_SWITCH": "false",
    }
    return env | over


def monitor_environ(root: Path, **over: str) -> dict[str, str]:
    """The six variables of the MONITOR beside ``dry_run_environ(root)``: its own database."""
    env = {
        "APP_ROLE": "monitor",
        "STATE_DB_PATH": str(root / "monitor" / "state.db"),
        "CONTROL_DIR": str(root / "control"),
        "LIVE_TRADING": "false",
        "SAFE_MODE": "true",
        "KILL_SWITCH": "true",
    }
    return env | over
