"""The environment of a LIVE dry run (sim mode) under one directory, for every test tier."""

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
