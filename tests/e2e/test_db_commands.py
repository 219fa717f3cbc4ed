"""``btcbot db init`` / ``btcbot db check`` as the operator runs them (real subprocesses)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from btcbot.settings import env_names

BTCBOT = Path(sys.executable).with_name("btcbot.exe" if os.name == "nt" else "btcbot")
SCRIPTS = Path(__file__).resolve().parents[2] / "scripts" / "db"
HOLD_LOCK = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from btcbot.domain.enums import Role
from btcbot.state.lock import acquire
held = acquire(Path(sys.argv[1]), role=Role.LIVE, instance_id="holder", now=datetime.now(UTC))
print("locked", flush=True)
time.sleep(120)
"""


def _environ(role: str, db: Path, control: Path) -> dict[str, str]:
    monitor = role == "monitor"
    inherited = {k: v for k, v in os.environ.items() if k not in set(env_names())}
    return inherited | {
        "APP_ROLE": role,
        "STATE_DB_PATH": str(db),
        "CONTROL_DIR": str(control),
        "LIVE_TRADING": "false",
        "SAFE_MODE": "true" if monitor else "false",
        "KILL_SWITCH": "true" if monitor else "false",
    }


def _run(
    args: list[str], env: Mapping[str, str], *, command: list[str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*(command or [str(BTCBOT)]), *args],
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def live_env(tmp_path: Path) -> dict[str, str]:
    """Environment of a LIVE session whose DB is ``<tmp>/live/state.db``."""
    return _environ("live", tmp_path / "live" / "state.db", tmp_path / "control")


@pytest.fixture
def monitor_env(tmp_path: Path) -> dict[str, str]:
    """Environment of a MONITOR session whose DB is ``<tmp>/monitor/state.db``."""
    return _environ("monitor", tmp_path / "monitor" / "state.db", tmp_path / "control")


def _one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return lines[0]


def test_init_creates_a_tagged_database_then_check_passes(live_env: dict[str, str]) -> None:
    """The db init command makes and registers a live-tagged DB; db check then passes."""
    done = _run(["db", "init"], live_env)
    assert done.returncode == 0, done.stderr
    assert "db_role=live" in done.stdout
    db = Path(live_env["STATE_DB_PATH"])
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT db_role FROM db_meta").fetchone() == ("live",)
    conn.close()
    assert (Path(live_env["CONTROL_DIR"]) / "registry" / "live.json").is_file()

    check = _run(["db", "check"], live_env)
    assert check.returncode == 0, check.stderr
    for expected in ("role tag:    live", "integrity:   ok", "writable:    yes", "lock:"):
        assert expected in check.stdout
    assert check.stdout.strip().endswith("btcbot db check: OK")


def test_init_never_overwrites(live_env: dict[str, str]) -> None:
    """A second db init on the same path is refused with exit 4 and the file is unchanged."""
    assert _run(["db", "init"], live_env).returncode == 0
    db = Path(live_env["STATE_DB_PATH"])
    before = db.read_bytes()
    again = _run(["db", "init"], live_env)
    assert again.returncode == 4
    assert "already exists" in _one_error_line(again)
    assert db.read_bytes() == before


def test_init_refuses_the_other_roles_registered_path(
    live_env: dict[str, str], monitor_env: dict[str, str]
) -> None:
    """MONITOR may not create its DB where LIVE registered its own, even once that file is gone."""
    assert _run(["db", "init"], live_env).returncode == 0
    live_db = Path(live_env["STATE_DB_PATH"])
    live_db.unlink()
    monitor_env["STATE_DB_PATH"] = str(live_db.parent / ".." / "live" / live_db.name)
    done = _run(["db", "init"], monitor_env)
    assert done.returncode == 4
    assert "same file as the LIVE database" in _one_error_line(done)
    assert not live_db.exists()


def test_check_refuses_a_missing_database_without_creating_it(live_env: dict[str, str]) -> None:
    """A db check of a path with no database says to run db init (exit 4) and creates nothing."""
    Path(live_env["CONTROL_DIR"]).mkdir()
    done = _run(["db", "check"], live_env)
    assert done.returncode == 4
    assert "btcbot db init" in _one_error_line(done)
    assert not Path(live_env["STATE_DB_PATH"]).parent.exists()


def test_check_refuses_the_wrong_role(
    live_env: dict[str, str], monitor_env: dict[str, str], tmp_path: Path
) -> None:
    """A MONITOR session pointed at the LIVE database is refused with exit 4."""
    assert _run(["db", "init"], live_env).returncode == 0
    monitor_env["STATE_DB_PATH"] = live_env["STATE_DB_PATH"]
    done = _run(["db", "check"], monitor_env)
    assert done.returncode == 4
    assert "LIVE" in _one_error_line(done)
    # Without the registration the tag itself refuses it.
    (tmp_path / "control" / "registry" / "live.json").unlink()
    done = _run(["db", "check"], monitor_env)
    assert done.returncode == 4
    assert "tagged db_role=live but APP_ROLE=monitor" in _one_error_line(done)


def test_check_refuses_a_newer_schema(live_env: dict[str, str]) -> None:
    """A database from a newer btcbot is refused with exit 4 and left as it was."""
    assert _run(["db", "init"], live_env).returncode == 0
    conn = sqlite3.connect(live_env["STATE_DB_PATH"])
    conn.execute("PRAGMA user_version = 999")
    conn.close()
    done = _run(["db", "check"], live_env)
    assert done.returncode == 4
    assert "upgrade btcbot" in _one_error_line(done)


@pytest.fixture
def lock_holder(live_env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A real process holding the LIVE database's lock."""
    assert _run(["db", "init"], live_env).returncode == 0
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, live_env["STATE_DB_PATH"]],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "locked"
        yield child
    finally:
        child.kill()
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_check_names_the_lock_holder(
    live_env: dict[str, str], lock_holder: subprocess.Popen[str]
) -> None:
    """The db check command names the lock holder (expected while LIVE runs) and still passes."""
    done = _run(["db", "check"], live_env)
    assert done.returncode == 0, done.stderr
    assert f"held by pid {lock_holder.pid} (role live)" in done.stdout


def test_check_fails_on_a_damaged_index(live_env: dict[str, str]) -> None:
    """An index that no longer matches its table fails integrity_check: exit 1, named."""
    assert _run(["db", "init"], live_env).returncode == 0
    conn = sqlite3.connect(live_env["STATE_DB_PATH"])
    conn.execute(
        "INSERT INTO audit_events (event, occurred_at, actor, detail, process_role,"
        " process_instance_id, config_hash) VALUES ('armed', 't', 'op', '{}', 'live', 'i', 'h')"
    )
    conn.commit()
    # Re-point the index at another column behind SQLite's back: the classic silent corruption.
    conn.execute("PRAGMA writable_schema = ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX audit_events_by_event ON audit_events"
        " (actor, id)' WHERE name = 'audit_events_by_event'"
    )
    conn.commit()
    conn.close()
    done = _run(["db", "check"], live_env)
    assert done.returncode == 1
    assert "integrity:   FAILED" in done.stdout
    assert "audit_events_by_event" in done.stdout


@pytest.mark.skipif(
    os.name == "nt" or os.geteuid() == 0, reason="file modes do not stop root (or Windows ACLs)"
)
def test_check_fails_on_a_read_only_database(live_env: dict[str, str]) -> None:
    """A database this user cannot write is reported as a failure (exit 1)."""
    assert _run(["db", "init"], live_env).returncode == 0
    db = Path(live_env["STATE_DB_PATH"])
    db.chmod(0o444)
    try:
        done = _run(["db", "check"], live_env)
    finally:
        db.chmod(0o644)
    assert done.returncode == 1
    assert "writable:    NO" in done.stdout


def test_the_scripts_and_python_m_are_the_same_command(live_env: dict[str, str]) -> None:
    """scripts/db/*.py and ``python -m btcbot`` behave exactly like the console script."""
    init = _run([], live_env, command=[sys.executable, str(SCRIPTS / "init_state_db.py")])
    assert init.returncode == 0, init.stderr
    check = _run([], live_env, command=[sys.executable, str(SCRIPTS / "check_state_db.py")])
    assert check.returncode == 0, check.stderr
    again = _run(["db", "init"], live_env, command=[sys.executable, "-m", "btcbot"])
    assert again.returncode == 4
