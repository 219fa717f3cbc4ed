"""``<db>.lock``: a live holder is named and refused; a dead holder's lock is taken over."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from btcbot.domain.enums import Role
from btcbot.domain.errors import LockHeldError
from btcbot.state.lock import LockHolder, acquire, holder_path_for, probe, read_holder

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CHILD = """
import sys, time
from datetime import UTC, datetime
from pathlib import Path
from btcbot.domain.enums import Role
from btcbot.state.lock import acquire
held = acquire(Path(sys.argv[1]), role=Role.LIVE, instance_id="child", now=datetime.now(UTC))
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A database path (the lock does not look inside the file)."""
    path = tmp_path / "state.db"
    path.touch()
    return path


@pytest.fixture
def child_holding(db: Path) -> Iterator[subprocess.Popen[str]]:
    """A real child process that holds the lock until it is killed."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(db)], stdout=subprocess.PIPE, text=True
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


def test_a_live_holder_is_refused_by_pid_and_host(
    db: Path, child_holding: subprocess.Popen[str]
) -> None:
    """A second process gets LockHeldError naming the holder's pid, role and host."""
    with pytest.raises(LockHeldError) as info:
        acquire(db, role=Role.LIVE, instance_id="second", now=NOW)
    message = str(info.value)
    assert f"pid {child_holding.pid}" in message
    assert socket.gethostname() in message
    assert "role live" in message
    assert probe(db).held


def test_a_killed_holders_lock_is_taken_over_and_reported(
    db: Path, child_holding: subprocess.Popen[str]
) -> None:
    """After the holder is killed (no cleanup), the lock is taken and the takeover is reported."""
    child_holding.kill()
    child_holding.wait()
    stale = read_holder(db)
    assert stale is not None
    assert stale.pid == child_holding.pid
    assert not stale.is_running()

    lock = acquire(db, role=Role.LIVE, instance_id="successor", now=NOW)
    try:
        assert lock.taken_over == stale
        assert lock.takeover_fact is not None
        assert lock.takeover_fact.startswith(f"took over stale lock from pid {child_holding.pid}")
        current = read_holder(db)
        assert current is not None
        assert (current.pid, current.instance_id) == (os.getpid(), "successor")
    finally:
        lock.release()


def test_release_clears_the_record_and_frees_the_lock(db: Path) -> None:
    """A clean release leaves no holder record, so the next start reports no takeover."""
    first = acquire(db, role=Role.MONITOR, instance_id="a", now=NOW)
    assert first.takeover_fact is None
    with pytest.raises(LockHeldError):
        acquire(db, role=Role.MONITOR, instance_id="b", now=NOW)
    first.release()
    assert not holder_path_for(db).exists()
    assert not probe(db).held
    with acquire(db, role=Role.MONITOR, instance_id="c", now=NOW) as second:
        assert second.taken_over is None


def test_a_recycled_pid_does_not_count_as_the_holder() -> None:
    """A record whose pid now belongs to a process started at another time is not running."""
    me = LockHolder(
        pid=os.getpid(),
        role="live",
        hostname=socket.gethostname(),
        instance_id="x",
        started_at=NOW.isoformat(),
        process_created=1.0,  # 1970: certainly not when this process started
    )
    assert not me.is_running()
