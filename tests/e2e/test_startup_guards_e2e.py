"""Every startup guard, by the real command: wrong tag, shared file, a second LIVE, a stale lock."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from h5_support import Sandbox, run, waiting_arm


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    """Fresh LIVE and MONITOR databases and a shared CONTROL_DIR."""
    return Sandbox(tmp_path).init()


def _rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])  # noqa: S608 - test-chosen name


def _other_control(sandbox: Sandbox) -> str:
    # A CONTROL_DIR where the other role never registered, so the tag guard itself must refuse.
    other = sandbox.root / "other-control"
    other.mkdir()
    return str(other)


def test_monitor_on_a_live_tagged_db_is_refused(sandbox: Sandbox) -> None:
    """MONITOR pointed at the LIVE database: health answers UNKNOWN (3) naming the tag."""
    env = sandbox.monitor_env(
        STATE_DB_PATH=str(sandbox.live_db), CONTROL_DIR=_other_control(sandbox)
    )
    done = run(["health"], env)
    assert done.returncode == 3
    assert "tagged db_role=live" in done.stdout
    assert done.stdout.count("\n") == 1
    assert _rows(sandbox.live_db, "health_snapshots") == 0


def test_live_on_a_monitor_tagged_db_is_refused(sandbox: Sandbox) -> None:
    """LIVE pointed at the MONITOR database: arm is refused with exit 4 naming the tag."""
    env = sandbox.live_env(
        STATE_DB_PATH=str(sandbox.monitor_db), CONTROL_DIR=_other_control(sandbox)
    )
    done = run(["arm", "--yes"], env)
    assert done.returncode == 4
    assert "tagged db_role=monitor" in done.stderr
    assert _rows(sandbox.monitor_db, "arming_changes") == 0


def _spellings(sandbox: Sandbox) -> dict[str, Path]:
    live = sandbox.live_db
    symlink = sandbox.root / "alias-symlink.db"
    symlink.symlink_to(live)
    hardlink = sandbox.root / "alias-hardlink.db"
    os.link(live, hardlink)
    return {
        "same path": live,
        "dot-dot path": live.parent / ".." / live.parent.name / live.name,
        "symlink": symlink,
        "hard link": hardlink,
    }


def test_both_roles_on_one_file_by_four_spellings_are_refused(sandbox: Sandbox) -> None:
    """MONITOR reaching the LIVE file by path, ../ path, symlink or hard link is refused (3)."""
    for spelling, path in _spellings(sandbox).items():
        done = run(["health"], sandbox.monitor_env(STATE_DB_PATH=str(path)))
        assert done.returncode == 3, spelling
        assert done.stdout.startswith("BTCBOT UNKNOWN - "), spelling
        assert "STATE_DB_PATH" in done.stdout, spelling
        assert "each role needs its own database" in done.stdout, spelling
    assert _rows(sandbox.live_db, "health_snapshots") == 0


def test_a_second_live_process_is_refused_while_the_first_holds_the_lock(
    sandbox: Sandbox,
) -> None:
    """While one LIVE process holds the lock, another LIVE command exits 4 naming the holder."""
    with waiting_arm(sandbox.live_env()) as first:
        done = run(["arm", "--yes"], sandbox.live_env())
        assert first.poll() is None
    assert done.returncode == 4
    assert f"pid {first.pid}" in done.stderr
    assert "stop the LIVE loop" in done.stderr


def test_a_stale_lock_from_a_killed_process_is_taken_over_and_audited(sandbox: Sandbox) -> None:
    """After the holder is SIGKILLed, the next LIVE command takes the lock over and audits it."""
    with waiting_arm(sandbox.live_env()) as first:
        first.kill()
        first.wait(timeout=30)
    done = run(["arm", "--yes"], sandbox.live_env())
    assert done.returncode == 0, done.stderr
    assert "lock_taken_over" in done.stderr
    with sqlite3.connect(sandbox.live_db) as conn:
        events = [r[0] for r in conn.execute("SELECT event FROM audit_events ORDER BY id")]
    assert "lock_taken_over" in events
    assert events[-1] == "armed"
