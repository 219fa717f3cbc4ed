"""Operator mistakes and broken storage, met through the real ``btcbot`` command.

Each case asserts the exit code, one stderr line, no traceback, and that the database, WAL,
kill, status and backup files are byte-for-byte unchanged where nothing should change. A full
disk and a read-only directory are real: a size-limited tmpfs and a read-only remount (this
needs root, as CI has; elsewhere those cases skip and the injected-fault unit tests in
tests/unit/state/test_storage_faults.py still run).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import pytest
from h5_support import BTCBOT, default_dry_run_env, default_monitor_env, process_env, run
from live_support import query, wait_for
from small_disk import fill, small_disk

from btcbot.observability.status_file import status_path


def _env(root: Path, **over: str) -> dict[str, str]:
    return default_dry_run_env(root, METRICS_PORT="0", **over)


_monitor = default_monitor_env


def _ready(root: Path) -> dict[str, str]:
    """A LIVE database that has run a few sim cycles, and its MONITOR database."""
    env = _env(root)
    assert run(["db", "init"], env).returncode == 0
    assert run(["db", "init"], _monitor(root)).returncode == 0
    done = run(["run", "--cycles", "3", "--cycle-seconds", "0.05"], env)
    assert done.returncode == 0, done.stderr
    return env


def _files(root: Path) -> dict[str, bytes]:
    """Every stored file under ``root``, by relative path.

    Not the lock's files, nor SQLite's shared-memory index (``-shm``, rebuilt on every open),
    nor an empty WAL SQLite creates when it opens a database that had none, nor the role
    registry (each start re-registers its database, by design: docs/STATE.md).
    """
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
        and ".lock" not in p.name
        and "registry" not in p.parts
        and not p.name.endswith("-shm")
        and not (p.name.endswith("-wal") and p.stat().st_size == 0)
    }


def _one_line(done: subprocess.CompletedProcess[str], code: int, *words: str) -> str:
    assert done.returncode == code, (done.returncode, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr + done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


# ------------------------------------------------------------------ the emergency disarm
def test_disarm_refuses_a_mistyped_control_dir(tmp_path: Path) -> None:
    """A typo'd CONTROL_DIR is refused (exit 2), not created, and nothing else changes."""
    env = _ready(tmp_path)
    before = _files(tmp_path)
    typo = tmp_path / "contro1"
    done = run(["disarm", "--reason", "x"], env | {"CONTROL_DIR": str(typo)})
    _one_line(done, 2, str(typo), "nothing was disarmed")
    assert not typo.exists()
    done = run(["disarm", "--reason", "x", "--control-dir", str(tmp_path / "nonexistent")], {})
    _one_line(done, 2, "nonexistent", "nothing was disarmed")
    assert not (tmp_path / "nonexistent").exists()
    assert _files(tmp_path) == before


def test_disarm_refuses_a_directory_no_live_database_uses(tmp_path: Path) -> None:
    """An existing directory without the LIVE registration, or another LIVE's, is refused."""
    env = _ready(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run(["disarm", "--control-dir", str(empty)], {})
    _one_line(done, 2, "not the control directory of any LIVE database")
    other = _ready(tmp_path / "other")
    done = run(["disarm"], env | {"CONTROL_DIR": other["CONTROL_DIR"]})
    _one_line(done, 2, "belongs to the LIVE database", "nothing was disarmed")
    assert not (Path(other["CONTROL_DIR"]) / "KILL").exists()


def test_a_kill_file_that_cannot_be_written_is_never_reported_as_a_disarm(tmp_path: Path) -> None:
    """The kill file's name taken by a directory: one line saying NOT DISARMED, exit 1."""
    env = _ready(tmp_path)
    (Path(env["CONTROL_DIR"]) / "KILL").mkdir()
    done = run(["disarm", "--reason", "x"], env)
    _one_line(done, 1, "NOT DISARMED")
    assert "DISARMED, kill file" not in done.stdout


def test_a_disarm_in_a_dry_run_is_lifted_by_arm_and_audited(tmp_path: Path) -> None:
    """``arm`` lifts a dry run's disarm (kill file gone, audited) without arming the database."""
    env = _ready(tmp_path)
    assert run(["disarm", "--reason", "drill"], env).returncode == 0
    assert (Path(env["CONTROL_DIR"]) / "KILL").exists()
    done = run(["arm", "--yes", "--reason", "drill over"], env)
    assert done.returncode == 0, done.stderr
    assert "removed kill file (drill)" in done.stdout
    assert not (Path(env["CONTROL_DIR"]) / "KILL").exists()
    db = Path(env["STATE_DB_PATH"])
    kinds = [str(r[0]) for r in query(db, "SELECT event FROM audit_events ORDER BY id")]
    assert "kill_file_removed" in kinds
    assert "armed" not in kinds, "a dry run's arm must never arm the database for real trading"


# ------------------------------------------------------------------ undecodable control files
UTF16_KILL = "stop now, prices are wrong".encode("utf-16")


def _start_loop(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BTCBOT), "run", "--loop", "--cycle-seconds", "0.2"],
            env=process_env(env),
            stdout=out,
            stderr=out,
        )


def _status(control: Path) -> dict[str, object]:
    try:
        return dict(json.loads(status_path(control).read_text("utf-8")))
    except (OSError, ValueError):
        return {}


def test_a_utf16_kill_file_stops_a_running_loop_and_cancels(tmp_path: Path) -> None:
    """Notepad's "Unicode" kill file: the loop keeps running, trading stops, no traceback."""
    env = _ready(tmp_path)
    log = tmp_path / "live.log"
    proc = _start_loop(env, log)
    try:
        control = Path(env["CONTROL_DIR"])
        wait_for(lambda: _status(control).get("state") == "running", timeout=60, what="running")
        (control / "KILL").write_bytes(UTF16_KILL)
        wait_for(
            lambda: _status(control).get("kill_switch") is True, timeout=60, what="the kill seen"
        )
        time.sleep(1.0)
        assert proc.poll() is None, "the loop died on an undecodable kill file"
        inspect = run(["inspect"], env)
        assert inspect.returncode == 0, inspect.stderr
        assert "kill file present but malformed" in inspect.stdout
        health = run(["health"], _monitor(tmp_path))
        assert health.returncode == 1, health.stdout  # WARNING: kill file present
        assert "the check itself failed" not in health.stdout
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    assert "Traceback" not in log.read_text("utf-8")
    assert _status(Path(env["CONTROL_DIR"]))["open_orders"] == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{}", "no schema_version"),
        (b"\x00\x01\x02binary\xff", "not UTF-8"),
        ('{"pid": 1}'.encode("utf-16"), "not UTF-8"),
    ],
)
def test_a_foreign_status_file_is_reported_for_what_it_is(
    tmp_path: Path, content: bytes, words: str
) -> None:
    """``{}``, binary or UTF-16: CRITICAL with what is wrong, never "different versions"."""
    _ready(tmp_path)
    status_path(tmp_path / "control").write_bytes(content)
    done = run(["health"], _monitor(tmp_path))
    assert done.returncode == 2, done.stdout
    assert words in done.stdout
    assert "different btcbot versions" not in done.stdout
    assert "the check itself failed" not in done.stdout


def test_an_unwritable_prom_file_still_answers_with_a_summary(tmp_path: Path) -> None:
    """``--prom-file`` in a place that cannot be written: the summary line, WARNING or worse."""
    _ready(tmp_path)
    done = run(["health", "--prom-file", "/proc/nope.prom"], _monitor(tmp_path))
    assert done.returncode in (1, 2), done.stdout + done.stderr
    assert done.stdout.startswith("BTCBOT ")
    assert "cannot write --prom-file /proc/nope.prom" in done.stdout
    assert "Traceback" not in done.stderr


def test_files_a_collector_reads_are_world_readable_and_state_is_private(tmp_path: Path) -> None:
    """Status, kill and .prom files are 0644; the database and the sim state stay private."""
    env = _ready(tmp_path)
    prom = tmp_path / "h.prom"
    assert run(["health", "--prom-file", str(prom)], _monitor(tmp_path)).returncode in (0, 1, 2)
    assert run(["disarm", "--reason", "modes"], env).returncode == 0
    control = Path(env["CONTROL_DIR"])
    for shared in (status_path(control), control / "KILL", prom):
        assert shared.stat().st_mode & 0o777 == 0o644, shared
    sim_state = Path(env["STATE_DB_PATH"]).with_name("state.db.sim.json")
    assert sim_state.stat().st_mode & 0o077 == 0, "the emulator state is private"


# ------------------------------------------------------------------ unknown settings
def test_a_misspelt_setting_is_refused_with_the_closest_name(tmp_path: Path) -> None:
    """RISK_MAX_DAILY_LOS_TRY is not silently ignored: exit 2 and the name it meant."""
    env = _ready(tmp_path)
    before = _files(tmp_path)
    done = run(["run", "--once"], env | {"RISK_MAX_DAILY_LOS_TRY": "1"})
    _one_line(done, 2, "RISK_MAX_DAILY_LOS_TRY", "did you mean RISK_MAX_DAILY_LOSS_TRY?")
    health = run(["health"], _monitor(tmp_path) | {"LOG_LEVLE": "DEBUG"})
    assert health.returncode == 3
    assert "did you mean LOG_LEVEL?" in health.stdout
    assert _files(tmp_path) == before


# ------------------------------------------------------------------ damaged and full storage
def _damage_pages(db: Path) -> None:
    with db.open("r+b") as fh:
        fh.seek(4096 * 3)
        fh.write(b"\xa5" * 4096 * 4)


@pytest.mark.parametrize("damage", ["pages", "truncated", "empty"])
def test_a_damaged_live_database_is_named_damaged_everywhere(tmp_path: Path, damage: str) -> None:
    """run, inspect and db check: one line saying damaged and pointing at the backup."""
    env = _ready(tmp_path)
    db = Path(env["STATE_DB_PATH"])
    for extra in (db.with_name("state.db-wal"), db.with_name("state.db-shm")):
        extra.unlink(missing_ok=True)
    if damage == "pages":
        _damage_pages(db)
    else:
        os.truncate(db, 8192 if damage == "truncated" else 0)
    before = _files(tmp_path)
    for command in (["run", "--once"], ["inspect"], ["db", "check"]):
        line = _one_line(run(command, env), 1, "is damaged", "RUNBOOK")
        assert "not a btcbot state database" not in line
    assert _files(tmp_path) == before


@pytest.mark.timeout(180)
def test_a_full_disk_under_a_running_loop_is_disk_full_and_health_critical(
    tmp_path: Path,
) -> None:
    """The LIVE loop on a disk that fills up: it names the full disk; health says CRITICAL."""
    with small_disk(tmp_path / "disk", "4m") as disk:
        env = _ready(disk)
        log = tmp_path / "live.log"
        proc = _start_loop(env, log)
        try:
            control = Path(env["CONTROL_DIR"])
            wait_for(lambda: _status(control).get("state") == "running", timeout=60, what="up")
            fill(disk)
            proc.wait(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
        text = log.read_text("utf-8")
        assert "Traceback" not in text
        assert "disk full" in text
        assert "is not a SQLite database" not in text
        health = run(["health"], _monitor(disk))
        assert health.returncode == 2, health.stdout
        assert health.stdout.startswith("BTCBOT CRITICAL")
        assert "disk" in health.stdout
        (disk / "filler").unlink()
        assert query(Path(env["STATE_DB_PATH"]), "PRAGMA integrity_check") == [("ok",)]


@pytest.mark.timeout(180)
def test_a_control_dir_remounted_read_only_does_not_kill_the_loop(tmp_path: Path) -> None:
    """The status file cannot be written: the loop logs it once a cycle and keeps going."""
    with small_disk(tmp_path / "ctl", "2m") as ctl:
        env = _env(tmp_path, CONTROL_DIR=str(ctl))
        assert run(["db", "init"], env).returncode == 0
        log = tmp_path / "live.log"
        proc = _start_loop(env, log)
        try:
            wait_for(lambda: _status(ctl).get("state") == "running", timeout=60, what="up")
            subprocess.run(["mount", "-o", "remount,ro", str(ctl)], check=True)
            time.sleep(2.0)
            assert proc.poll() is None, "the loop died when CONTROL_DIR went read-only"
            done = run(["disarm", "--reason", "x"], env)
            _one_line(done, 1, "NOT DISARMED")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
            subprocess.run(["mount", "-o", "remount,rw", str(ctl)], check=False)
        text = log.read_text("utf-8")
        assert "status_file_unwritable" in text
        assert "Traceback" not in text


def test_db_init_never_quietly_replaces_the_registered_live_database(tmp_path: Path) -> None:
    """A mistyped STATE_DB_PATH (say, in a directory that does not exist) is refused, exit 4."""
    env = _ready(tmp_path)
    before = _files(tmp_path)
    other = tmp_path / "lvie"
    other.mkdir()
    done = run(["db", "init"], env | {"STATE_DB_PATH": str(other / "state.db")})
    _one_line(done, 4, "already serves the live database")
    assert not (other / "state.db").exists()
    assert _files(tmp_path) == before


def test_inspect_reads_like_a_report_not_a_dump(tmp_path: Path) -> None:
    """Plain decimals, the status as lines, no empty blockers; --limit bounds the tables."""
    env = _ready(tmp_path)
    done = run(["inspect", "--limit", "2"], env)
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "E-" not in text
    assert "blockers:              []" not in text
    assert '{"pid"' not in text, "the status file is shown as lines, not a JSON blob"
    assert "live_status:\n  pid:" in text
    assert all(len(m) <= 8 for m in re.findall(r"\.(\d+)\b", text)), "at most 8 places"
    recent = text.split("recent_cycles:")[1].split("\n\n")[0].strip().splitlines()
    assert len(recent) == 1 + 2, "a header and --limit rows"
    _one_line(run(["inspect", "--limit", "0"], env), 2, "--limit")


def test_the_disarm_names_the_windows_user(tmp_path: Path) -> None:
    """Windows sets USERNAME, not USER: the audit trail names that user, not unknown@host."""
    env = _ready(tmp_path)
    assert run(["disarm", "--reason", "who"], env | {"USERNAME": "ayse"}).returncode == 0
    kill = json.loads((Path(env["CONTROL_DIR"]) / "KILL").read_text("utf-8"))
    assert kill["by"].startswith("ayse@")
