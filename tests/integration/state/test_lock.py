"""``<db>.lock``: a live holder is named and refused; a dead holder's lock is taken over."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil
import pytest

from btcbot.domain.enums import Role
from btcbot.domain.errors import LockHeldError, StateError
from btcbot.state.lock import (
    LockHolder,
    acquire,
    holder_path_for,
    lock_path_for,
    probe,
    read_holder,
)

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


def _me(**changes: Any) -> LockHolder:
    """This process as a lock holder, with ``changes``."""
    holder = LockHolder(
        pid=os.getpid(),
        role="live",
        hostname=socket.gethostname(),
        instance_id="x",
        started_at=NOW.isoformat(),
        process_created=psutil.Process().create_time(),
    )
    return replace(holder, **changes)


def test_a_recycled_pid_does_not_count_as_the_holder() -> None:
    """A record whose pid now belongs to a process started at another time is not running."""
    me = _me(process_created=1.0)  # 1970: certainly not when this process started
    assert not me.is_running()


def test_whether_a_holder_runs_is_judged_by_host_pid_and_start_time() -> None:
    """Another host's holder is assumed alive; here, the pid must run and have started then."""
    assert _me().is_running()
    assert _me(process_created=None).is_running()  # a record from before start times were kept
    started = psutil.Process().create_time()
    assert _me(process_created=started + 0.9).is_running()  # clocks round create times
    assert not _me(process_created=started + 1.5).is_running()
    assert _me(hostname="another-host", pid=2**22 + 1).is_running()
    assert not _me(pid=_gone_pid()).is_running()


def _gone_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.mark.parametrize(
    "record",
    [
        "not json",
        '{"pid": 1}',
        '{"pid": "x", "role": "live", "hostname": "h", "instance_id": "i", "started_at": "t"}',
        "[]",
    ],
)
def test_an_unreadable_holder_record_is_no_holder(db: Path, record: str) -> None:
    """A damaged record must not stop the lock from being taken or described."""
    holder_path_for(db).write_text(record, encoding="utf-8")
    assert read_holder(db) is None
    with acquire(db, role=Role.LIVE, instance_id="after", now=NOW) as lock:
        assert lock.taken_over is None


def test_a_record_without_a_start_time_reads_back_as_none(db: Path) -> None:
    """Older records have no ``process_created``: it reads as None, not as an error."""
    holder_path_for(db).write_text(
        '{"pid": 7, "role": "live", "hostname": "h", "instance_id": "i", "started_at": "t"}',
        encoding="utf-8",
    )
    assert read_holder(db) == LockHolder(7, "live", "h", "i", "t", None)


def test_the_refusal_says_who_holds_the_lock_and_what_to_do(db: Path) -> None:
    """Named holder; a holder not yet recorded; a recorded holder that is gone."""
    with acquire(db, role=Role.LIVE, instance_id="first", now=NOW) as held:
        with pytest.raises(LockHeldError) as refused:
            acquire(db, role=Role.LIVE, instance_id="second", now=NOW)
        assert str(refused.value) == (
            f"{db} is locked by {held.holder.describe()}: only one btcbot may use a database; "
            "stop the other process first"
        )
        assert held.holder.describe() == (
            f"pid {os.getpid()} (role live) on host {socket.gethostname()} since {NOW.isoformat()}"
        )
        holder_path_for(db).unlink()
        with pytest.raises(LockHeldError, match=r"another process \(it has not recorded itself"):
            acquire(db, role=Role.LIVE, instance_id="third", now=NOW)
        gone = _me(pid=_gone_pid())
        holder_path_for(db).write_text(json.dumps(asdict(gone)), encoding="utf-8")
        with pytest.raises(LockHeldError) as refused:
            acquire(db, role=Role.LIVE, instance_id="fourth", now=NOW)
        assert f"{gone.describe()}, which is gone, yet the OS lock is held" in str(refused.value)


def test_release_leaves_another_holders_record_alone(db: Path) -> None:
    """Only our own record is removed; releasing twice is harmless."""
    lock = acquire(db, role=Role.LIVE, instance_id="mine", now=NOW)
    other = _me(instance_id="someone else")
    holder_path_for(db).write_text(json.dumps(asdict(other)), encoding="utf-8")
    lock.release()
    assert read_holder(db) == other
    lock.release()
    assert not probe(db).held


def test_the_lock_status_reads_as_db_check_prints_it(db: Path) -> None:
    """Held by a named holder, held by nobody recorded, free with a stale record, free."""
    assert probe(db).describe() == "free"
    with acquire(db, role=Role.MONITOR, instance_id="m", now=NOW) as lock:
        assert probe(db).describe() == f"held by {lock.holder.describe()}"
        assert probe(db).holder == lock.holder
        holder_path_for(db).unlink()
        assert probe(db).describe() == "held (holder unknown)"
    stale = _me(pid=_gone_pid())
    holder_path_for(db).write_text(json.dumps(asdict(stale)), encoding="utf-8")
    assert probe(db).describe() == f"free (stale record of {stale.describe()})"
    assert not holder_path_for(db).with_name(f"state.db.lock.json.{os.getpid()}.tmp").exists()


def test_a_lock_that_cannot_be_made_is_a_state_error_naming_it(db: Path) -> None:
    """A directory where the lock file belongs: one line naming it, not an OSError traceback."""
    lock_path_for(db).mkdir()
    with pytest.raises(StateError, match=r"^cannot lock .*state\.db\.lock: "):
        acquire(db, role=Role.LIVE, instance_id="x", now=NOW)
    with pytest.raises(StateError, match=r"^cannot probe .*state\.db\.lock: "):
        probe(db)


def test_the_holder_record_carries_this_process_and_its_start_time(db: Path) -> None:
    """The start time is what tells a recycled pid from the holder itself."""
    with acquire(db, role=Role.LIVE, instance_id="me", now=NOW):
        holder = read_holder(db)
    assert holder is not None
    assert (holder.pid, holder.role, holder.instance_id) == (os.getpid(), "live", "me")
    assert holder.process_created == psutil.Process().create_time()


def test_a_holder_record_that_cannot_be_written_lets_the_lock_go(db: Path) -> None:
    """Locked but unrecorded would make every later refusal anonymous: refuse, and release."""
    holder_path_for(db).mkdir()
    with pytest.raises(StateError, match=r"^cannot write .*state\.db\.lock\.json: "):
        acquire(db, role=Role.LIVE, instance_id="x", now=NOW)
    assert not probe(db).held
