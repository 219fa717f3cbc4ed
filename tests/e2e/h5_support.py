"""Helpers for the health, guard, arming and secret-leak e2e tests: envs, a fake exchange clock.

Every ``btcbot`` run gets an explicit, minimal environment (PATH plus btcbot's variables), as
the PowerShell launchers do, so nothing from the developer's shell leaks in.
"""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from live_environ import dry_run_environ, monitor_environ

from btcbot.observability.status_file import LiveStatus, status_path
from btcbot.observability.status_file import write_status as write

BTCBOT = Path(sys.executable).with_name("btcbot.exe" if os.name == "nt" else "btcbot")
CANARY_KEY = "CANARY-KEY-5e1f0d9c8b7a"
CANARY_SECRET = base64.b64encode(b"CANARY-SECRET-a41c9e77-never-log-me").decode()


@dataclass(frozen=True)
class Sandbox:
    """One LIVE and one MONITOR database plus the shared CONTROL_DIR, under ``root``."""

    root: Path

    @property
    def control(self) -> Path:
        """The shared CONTROL_DIR."""
        return self.root / "control"

    @property
    def live_db(self) -> Path:
        """The LIVE state database path."""
        return self.root / "live" / "state.db"

    @property
    def monitor_db(self) -> Path:
        """The MONITOR state database path."""
        return self.root / "monitor" / "state.db"

    def monitor_env(self, base_url: str = "http://127.0.0.1:9", **over: str) -> dict[str, str]:
        """A valid MONITOR session environment."""
        urls = {"BTCTURK_BASE_URL": base_url, "BTCTURK_GRAPH_URL": base_url}
        return monitor_environ(self.root, EXCHANGE="btcturk", **urls) | over

    def live_env(self, **over: str) -> dict[str, str]:
        """A valid LIVE session environment for real trading (fake credentials, loopback URL)."""
        env = {
            "APP_ROLE": "live",
            "STATE_DB_PATH": str(self.live_db),
            "CONTROL_DIR": str(self.control),
            "LIVE_TRADING": "true",
            "LIVE_TRADING_ACK": "I_UNDERSTAND",
            "SAFE_MODE": "false",
            "KILL_SWITCH": "false",
            "EXCHANGE": "btcturk",
            "BTCTURK_API_KEY": CANARY_KEY,
            "BTCTURK_API_SECRET": CANARY_SECRET,
            "BTCTURK_BASE_URL": "http://127.0.0.1:9",
            "BTCTURK_GRAPH_URL": "http://127.0.0.1:9",
            # The per-user account locks, kept inside the sandbox: tests running side by side
            # with the canary key are separate operators, not one account traded twice.
            "XDG_STATE_HOME": str(self.root / "user-state"),
            "LOCALAPPDATA": str(self.root / "user-state"),
        }
        env.update(over)
        return env

    def init(self) -> Sandbox:
        """Create both databases with ``btcbot db init``."""
        for path in (self.live_db.parent, self.monitor_db.parent, self.control):
            path.mkdir(parents=True, exist_ok=True)
        for env in (self.live_env(), self.monitor_env()):
            done = run(["db", "init"], env)
            assert done.returncode == 0, done.stderr
        return self


def default_dry_run_env(root: Path, **over: str) -> dict[str, str]:
    """The six variables a default dry run (sim mode, in-process emulator) needs, under ``root``."""
    (root / "live").mkdir(parents=True, exist_ok=True)
    (root / "control").mkdir(exist_ok=True)
    return dry_run_environ(root, **over)


def default_monitor_env(root: Path, **over: str) -> dict[str, str]:
    """The MONITOR beside ``default_dry_run_env(root)``: its own database, the same CONTROL_DIR."""
    (root / "monitor").mkdir(parents=True, exist_ok=True)
    return monitor_environ(root, **over)


def process_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` plus only what any process needs to start (PATH; SYSTEMROOT on Windows)."""
    full = {"PATH": os.environ.get("PATH", ""), "PYTHONDONTWRITEBYTECODE": "1"}
    if os.environ.get("PYTHONPATH"):
        # Lets a test be run against another checkout's code (PYTHONPATH=<it>/src pytest ...).
        full["PYTHONPATH"] = os.environ["PYTHONPATH"]
    if os.name == "nt":
        full["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", "")
    full.update(env)
    return full


def run(
    args: list[str], env: dict[str, str], *, stdin: str | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``btcbot args`` to completion with exactly ``env``.

    Every run doubles as a leak check: whatever API secret the environment carries (the canary,
    or the emulator's key in dry runs) must not appear in what the command printed.
    """
    done = subprocess.run(
        [str(BTCBOT), *args],
        env=process_env(env),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    secret = env.get("BTCTURK_API_SECRET", "")
    if len(secret) >= 8:
        assert secret not in done.stdout, f"btcbot {args[:2]} printed the API secret"
        assert secret not in done.stderr, f"btcbot {args[:2]} logged the API secret"
    return done


@contextmanager
def waiting_arm(env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    """A real LIVE process: ``btcbot arm`` holding the lock at its confirmation prompt."""
    proc = subprocess.Popen(
        [str(BTCBOT), "arm"],
        env=process_env(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        prompt = ""
        while "Type ARM" not in prompt:
            char = proc.stdout.read(1)
            assert char, (
                f"arm exited early: {proc.wait()} {proc.stderr.read() if proc.stderr else ''}"
            )
            prompt += char
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(timeout=30)
    return child.pid


def write_status(control: Path, *, pid: int, age_seconds: float = 0, **over: object) -> None:
    """Write a LIVE status file as the LIVE loop would (wall-clock times)."""
    now = datetime.now(UTC)
    # LIVE records its own start; the health check compares it with the process table.
    try:
        started = datetime.fromtimestamp(psutil.Process(pid).create_time(), UTC)
    except psutil.NoSuchProcess:
        started = now - timedelta(seconds=age_seconds + 1)
    fields: dict[str, object] = {
        "pid": pid,
        "hostname": socket.gethostname(),
        "instance_id": "e2e",
        "started_at": started,
        "written_at": now - timedelta(seconds=age_seconds),
        "state": "running",
        "mode": "live",
        "cycle_seconds": 60.0,
        "armed": True,
        "kill_switch": False,
        "cycle_id": "c-1",
        "last_cycle_at": now - timedelta(seconds=age_seconds),
    }
    fields.update(over)
    write(status_path(control), LiveStatus(**fields))  # type: ignore[arg-type]


def closed_port_url() -> str:
    """A loopback URL nothing listens on (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@contextmanager
def sim_serve(*args: str) -> Iterator[str]:
    """``btcbot sim serve`` (the real emulator) on a free loopback port; yields its base URL."""
    proc = subprocess.Popen(
        [str(BTCBOT), "sim", "serve", "--port", "0", *args],
        env=process_env({}),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("btcbot sim serving on "), f"sim serve said {line!r}"
        yield line.rsplit(" ", 1)[1].strip()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
