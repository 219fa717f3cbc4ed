"""``<db>.lock``: one btcbot process per database, held for the life of the process.

The lock itself is an OS lock (``flock`` on POSIX, ``LockFileEx`` on Windows, via filelock), so
the kernel releases it the moment its holder dies, however it dies. Who holds it is written
beside it in ``<db>.lock.json`` (pid, process start time, role, hostname, instance id, start
time): on Windows the locked byte of the lock file cannot be read by others, and filelock
truncates the lock file when it opens it, so the facts cannot live inside it.

Acquiring when the OS lock is free but a holder file is still there means the previous holder
died without cleaning up: the lock is taken over and the caller is told so (to log and audit).
Acquiring while the OS lock is held raises ``LockHeldError`` naming the holder.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

import psutil
from filelock import FileLock, Timeout

from btcbot.domain.enums import Role
from btcbot.domain.errors import LockHeldError, StateError

_CREATE_TIME_TOLERANCE_S = 1.0


def lock_path_for(db_path: Path) -> Path:
    """``<db>.lock``."""
    return db_path.with_name(f"{db_path.name}.lock")


def holder_path_for(db_path: Path) -> Path:
    """``<db>.lock.json``: who holds (or last held) the lock."""
    return db_path.with_name(f"{db_path.name}.lock.json")


@dataclass(frozen=True, slots=True)
class LockHolder:
    """The facts a lock holder leaves beside the lock."""

    pid: int
    role: str
    hostname: str
    instance_id: str
    started_at: str
    process_created: float | None = None

    def describe(self) -> str:
        """``pid N (role R) on host H since T`` for messages and logs."""
        return f"pid {self.pid} (role {self.role}) on host {self.hostname} since {self.started_at}"

    def is_running(self) -> bool:
        """Whether this holder still runs; a holder on another host is assumed to."""
        if self.hostname != socket.gethostname():
            return True
        try:
            created = psutil.Process(self.pid).create_time()
        except (psutil.NoSuchProcess, psutil.ZombieProcess):
            return False
        except psutil.AccessDenied:
            return True
        # A recycled pid belongs to a process started at another time.
        return self.process_created is None or (
            abs(created - self.process_created) <= _CREATE_TIME_TOLERANCE_S
        )


def read_holder(db_path: Path) -> LockHolder | None:
    """The recorded holder, or None when there is none (or the record is unreadable)."""
    try:
        raw = json.loads(holder_path_for(db_path).read_text(encoding="utf-8"))
        return LockHolder(
            pid=int(raw["pid"]),
            role=str(raw["role"]),
            hostname=str(raw["hostname"]),
            instance_id=str(raw["instance_id"]),
            started_at=str(raw["started_at"]),
            process_created=None
            if raw.get("process_created") is None
            else float(raw["process_created"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _native_lock(db_path: Path) -> FileLock:
    # preserve_lock_file: unlinking on release lets a waiter lock an orphaned inode while a third
    # process locks a fresh file. fallback_to_soft=False: never silently degrade to a marker file.
    return FileLock(
        lock_path_for(db_path),
        timeout=0,
        thread_local=False,
        fallback_to_soft=False,
        preserve_lock_file=True,
    )


class DbLock:
    """A held ``<db>.lock``; release it (or leave the ``with``) when the process stops.

    Keep a reference for as long as the lock must be held: filelock lets go of the OS lock
    when its object is garbage-collected.
    """

    def __init__(self, db_path: Path, native: FileLock, holder: LockHolder) -> None:
        self.db_path = db_path
        self.holder = holder
        self.taken_over: LockHolder | None = None
        self._native = native

    @property
    def takeover_fact(self) -> str | None:
        """``took over stale lock from pid N ...`` when the previous holder died, else None."""
        if self.taken_over is None:
            return None
        return f"took over stale lock from {self.taken_over.describe()}"

    def release(self) -> None:
        """Remove the holder record and release the OS lock (idempotent)."""
        if self._native.is_locked:
            if read_holder(self.db_path) == self.holder:
                holder_path_for(self.db_path).unlink(missing_ok=True)
            self._native.release(force=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def acquire(db_path: Path, *, role: Role, instance_id: str, now: datetime) -> DbLock:
    """Take ``<db>.lock`` without waiting, or raise ``LockHeldError`` naming who holds it."""
    native = _native_lock(db_path)
    try:
        native.acquire(timeout=0)
    except Timeout:
        raise LockHeldError(_held_message(db_path)) from None
    except OSError as exc:
        raise StateError(f"cannot lock {lock_path_for(db_path)}: {exc}") from exc
    previous = read_holder(db_path)
    me = LockHolder(
        pid=os.getpid(),
        role=role.value,
        hostname=socket.gethostname(),
        instance_id=instance_id,
        started_at=now.isoformat(),
        process_created=psutil.Process().create_time(),
    )
    try:
        _write_holder(db_path, me)
    except OSError as exc:
        native.release(force=True)
        raise StateError(f"cannot write {holder_path_for(db_path)}: {exc}") from exc
    lock = DbLock(db_path, native, me)
    lock.taken_over = previous
    return lock


def _held_message(db_path: Path) -> str:
    holder = read_holder(db_path)
    if holder is None:
        who = "another process (it has not recorded itself yet)"
    elif holder.is_running():
        who = holder.describe()
    else:
        who = f"{holder.describe()}, which is gone, yet the OS lock is held (by a child it left?)"
    return (
        f"{db_path} is locked by {who}: only one btcbot may use a database; "
        "stop the other process first"
    )


def _write_holder(db_path: Path, holder: LockHolder) -> None:
    target = holder_path_for(db_path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(holder), sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(target)


@dataclass(frozen=True, slots=True)
class LockStatus:
    """What ``db check`` reports about the lock, without keeping it."""

    held: bool
    holder: LockHolder | None

    def describe(self) -> str:
        """One phrase for the check's report."""
        if self.held:
            return f"held by {self.holder.describe()}" if self.holder else "held (holder unknown)"
        if self.holder is not None:
            return f"free (stale record of {self.holder.describe()})"
        return "free"


def probe(db_path: Path) -> LockStatus:
    """Is the lock held right now? Tries it and lets go at once; never leaves a holder record."""
    native = _native_lock(db_path)
    try:
        native.acquire(timeout=0)
    except Timeout:
        return LockStatus(held=True, holder=read_holder(db_path))
    except OSError as exc:
        raise StateError(f"cannot probe {lock_path_for(db_path)}: {exc}") from exc
    with contextlib.suppress(OSError):
        native.release(force=True)
    return LockStatus(held=False, holder=read_holder(db_path))
