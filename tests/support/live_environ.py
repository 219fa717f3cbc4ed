"""The environments of a LIVE dry run and of its MONITOR under one directory, for every tier.

Both share ``root / "control"``; each has its own database (``live`` and ``monitor``).
"""

from __future__ import annotations

from pathlib import Path


def _environ(root: Path, role: str, *, guarded: bool) -> dict[str, str]:
    """The six variables every role needs: its own database, the shared control directory."""
    guard = "true" if guarded else "false"
    return {
        "APP_ROLE": role,
        "STATE_DB_PATH": str(root / role / "state.db"),
        "CONTROL_DIR": str(root / "control"),
        "LIVE_TRADING": "false",
        "SAFE_MODE": guard,
        "KILL_SWITCH": guard,
    }


def dry_run_environ(root: Path, **over: str) -> dict[str, str]:
    """A LIVE dry run: the database and CONTROL_DIR under ``root``, safe mode and kill off."""
    return _environ(root, "live", guarded=False) | over


def monitor_environ(root: Path, **over: str) -> dict[str, str]:
    """The MONITOR beside ``dry_run_environ(root)``: its own database, both guards on."""
    return _environ(root, "monitor", guarded=True) | over
