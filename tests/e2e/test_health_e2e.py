"""``btcbot health`` as the scheduler runs it: exit 0/1/2/3 in real scenarios, never hanging."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from clock_standin import exchange_clock
from h5_support import (
    BTCBOT,
    CANARY_KEY,
    CANARY_SECRET,
    Sandbox,
    closed_port_url,
    dead_pid,
    process_env,
    run,
    sim_serve,
    waiting_arm,
    write_status,
)

TIMEOUT = 8.0


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """Both databases created once for the module (health only reads the LIVE side's files)."""
    return Sandbox(tmp_path_factory.mktemp("health")).init()


@pytest.fixture(scope="module")
def live_pid(sandbox: Sandbox) -> Iterator[int]:
    """The pid of a real, long-lived LIVE btcbot process (arm waiting at its prompt)."""
    with waiting_arm(sandbox.live_env()) as proc:
        yield proc.pid


@pytest.fixture(autouse=True)
def _clean_control(sandbox: Sandbox) -> None:
    for name in ("KILL", "live_status.json"):
        (sandbox.control / name).unlink(missing_ok=True)


def _health(sandbox: Sandbox, url: str, *args: str) -> tuple[int, dict[str, object]]:
    started = time.monotonic()
    done = run(["health", "--json", "--timeout", str(TIMEOUT), *args], sandbox.monitor_env(url))
    # The hard timeout is a promise to the scheduler; allow process start-up on a busy machine.
    assert time.monotonic() - started < TIMEOUT + 10
    assert done.stderr.count("Traceback") == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["code"] == done.returncode
    return done.returncode, doc


def _check(doc: dict[str, object], name: str) -> dict[str, object]:
    checks = doc["checks"]
    assert isinstance(checks, list)
    return next(c for c in checks if c["name"] == name)


def test_all_good_is_ok_0(sandbox: Sandbox, live_pid: int) -> None:
    """A fresh status file of a running btcbot, an in-sync exchange and no kill file: exit 0."""
    write_status(sandbox.control, pid=live_pid)
    with exchange_clock(0) as url:
        code, doc = _health(sandbox, url)
    assert code == 0, doc["summary"]
    assert str(doc["summary"]).startswith("BTCBOT OK - all 6 checks OK")


def test_text_mode_prints_exactly_one_summary_line(sandbox: Sandbox, live_pid: int) -> None:
    """Without --json, health prints one Nagios summary line on stdout."""
    write_status(sandbox.control, pid=live_pid)
    with exchange_clock(0) as url:
        done = run(["health"], sandbox.monitor_env(url))
    assert done.returncode == 0
    assert done.stdout.count("\n") == 1
    assert done.stdout.startswith("BTCBOT OK - ")


def test_all_good_against_the_real_emulator_is_ok_0(sandbox: Sandbox, live_pid: int) -> None:
    """Against 'btcbot sim serve' with no faults, a healthy setup answers OK (0)."""
    write_status(sandbox.control, pid=live_pid)
    with sim_serve() as url:
        code, doc = _health(sandbox, url)
    assert code == 0, doc["summary"]


def test_clock_skew_of_3_s_is_warning_1(sandbox: Sandbox, live_pid: int) -> None:
    """The emulator's clock skewed 3 s ahead: WARNING, exit 1, naming the offset."""
    write_status(sandbox.control, pid=live_pid)
    with sim_serve("--faults", "skew=3") as url:
        code, doc = _health(sandbox, url)
    assert code == 1
    assert _check(doc, "exchange")["status"] == "warning"


def test_clock_skew_of_10_s_is_warning_1(sandbox: Sandbox, live_pid: int) -> None:
    """The emulator's clock skewed 10 s: WARNING, exit 1 (LIVE corrects it; fix the host's NTP)."""
    write_status(sandbox.control, pid=live_pid)
    with sim_serve("--faults", "skew=10") as url:
        code, doc = _health(sandbox, url)
    assert code == 1
    assert "LIVE corrects it" in str(_check(doc, "exchange")["reason"])


def test_kill_file_is_warning_1(sandbox: Sandbox, live_pid: int) -> None:
    """After 'btcbot disarm' from the MONITOR session, health warns with the reason: exit 1."""
    write_status(sandbox.control, pid=live_pid)
    with exchange_clock(0) as url:
        disarm = run(["disarm", "--reason", "e2e drill"], sandbox.monitor_env(url))
        assert disarm.returncode == 0, disarm.stderr
        code, doc = _health(sandbox, url)
    assert code == 1
    assert "e2e drill" in str(_check(doc, "kill_file")["reason"])


def test_slightly_stale_status_is_warning_1(sandbox: Sandbox, live_pid: int) -> None:
    """A status file 3 cycles old (cycle 60 s): WARNING, exit 1."""
    write_status(sandbox.control, pid=live_pid, age_seconds=180)
    with exchange_clock(0) as url:
        code, doc = _health(sandbox, url)
    assert code == 1
    assert "old" in str(_check(doc, "live_status")["reason"])


def test_very_stale_status_is_critical_2(sandbox: Sandbox, live_pid: int) -> None:
    """A status file an hour old: CRITICAL, exit 2."""
    write_status(sandbox.control, pid=live_pid, age_seconds=3600)
    with exchange_clock(0) as url:
        code, doc = _health(sandbox, url)
    assert code == 2
    assert _check(doc, "live_status")["status"] == "critical"


def test_dead_live_pid_is_critical_2(sandbox: Sandbox) -> None:
    """A fresh status file whose pid has exited means LIVE crashed: CRITICAL, exit 2."""
    write_status(sandbox.control, pid=dead_pid())
    with exchange_clock(0) as url:
        code, doc = _health(sandbox, url)
    assert code == 2
    assert "not running" in str(_check(doc, "live_status")["reason"])


def test_missing_status_file_is_critical_2(sandbox: Sandbox) -> None:
    """No status file at all (LIVE never started): CRITICAL, exit 2."""
    with exchange_clock(0) as url:
        code, _doc = _health(sandbox, url)
    assert code == 2


def test_exchange_unreachable_is_critical_2(sandbox: Sandbox, live_pid: int) -> None:
    """Connection refused by the exchange host: CRITICAL, exit 2."""
    write_status(sandbox.control, pid=live_pid)
    code, doc = _health(sandbox, closed_port_url())
    assert code == 2
    assert "unreachable" in str(_check(doc, "exchange")["reason"])


def test_a_stalled_exchange_never_exceeds_the_timeout(sandbox: Sandbox, live_pid: int) -> None:
    """An exchange that accepts but never answers: health still ends within --timeout."""
    write_status(sandbox.control, pid=live_pid)
    with exchange_clock(stall=True) as url:
        started = time.monotonic()
        done = run(["health", "--timeout", "3"], sandbox.monitor_env(url), timeout=30)
        elapsed = time.monotonic() - started
    assert done.returncode in {2, 3}
    assert elapsed < 3 + 5  # the limit plus process start-up on a loaded machine


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"APP_ROLE": ""}, "APP_ROLE"),
        ({"SAFE_MODE": "false"}, "SAFE_MODE"),
        ({"STATE_DB_PATH": "relative/state.db"}, "STATE_DB_PATH"),
    ],
)
def test_bad_configuration_is_unknown_3(
    sandbox: Sandbox, change: dict[str, str], needle: str
) -> None:
    """A configuration error answers UNKNOWN (3) with one line naming the variable."""
    done = run(["health"], {**sandbox.monitor_env(), **change})
    assert done.returncode == 3
    assert done.stdout.startswith("BTCBOT UNKNOWN - ")
    assert needle in done.stdout
    assert done.stdout.count("\n") == 1


def test_health_under_the_live_role_is_unknown_3(sandbox: Sandbox) -> None:
    """Running health from the LIVE session is refused as UNKNOWN (3), naming APP_ROLE."""
    done = run(["health"], sandbox.live_env())
    assert done.returncode == 3
    assert "APP_ROLE=monitor" in done.stdout


def test_prom_file_carries_each_check(sandbox: Sandbox, live_pid: int, tmp_path: Path) -> None:
    """--prom-file writes the overall and per-check status for a textfile collector."""
    write_status(sandbox.control, pid=live_pid)
    prom = tmp_path / "btcbot.prom"
    with exchange_clock(3.0) as url:
        code, _doc = _health(sandbox, url, "--prom-file", str(prom))
    text = prom.read_text(encoding="utf-8")
    assert code == 1
    assert "btcbot_health_status 1.0" in text
    assert 'btcbot_health_check_status{check="exchange"} 1.0' in text
    offset = next(
        float(line.split()[1])
        for line in text.splitlines()
        if line.startswith("btcbot_health_clock_offset_seconds ")
    )
    assert offset == pytest.approx(3.0, abs=0.5)


def test_each_run_stores_a_snapshot_in_the_monitor_db_only(sandbox: Sandbox, live_pid: int) -> None:
    """Health writes its snapshot into the MONITOR database, never the LIVE one."""
    import sqlite3  # noqa: PLC0415 - the test reads the files directly

    write_status(sandbox.control, pid=live_pid)
    with exchange_clock(0) as url:
        _health(sandbox, url)
    with sqlite3.connect(sandbox.monitor_db) as mon, sqlite3.connect(sandbox.live_db) as live:
        assert mon.execute("SELECT COUNT(*) FROM health_snapshots").fetchone()[0] >= 1
        assert live.execute("SELECT COUNT(*) FROM health_snapshots").fetchone()[0] == 0


def test_the_watchdog_answers_unknown_3_when_the_run_overruns(
    sandbox: Sandbox, live_pid: int
) -> None:
    """With the MONITOR DB write-locked by another connection, the watchdog ends the run: 3."""
    import sqlite3  # noqa: PLC0415 - the test holds a write lock on the file directly

    write_status(sandbox.control, pid=live_pid)
    blocker = sqlite3.connect(sandbox.monitor_db, isolation_level=None)
    try:
        blocker.execute("BEGIN IMMEDIATE")
        with exchange_clock(0) as url:
            started = time.monotonic()
            done = run(["health", "--timeout", "2"], sandbox.monitor_env(url), timeout=30)
            elapsed = time.monotonic() - started
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    assert done.returncode == 3
    assert done.stdout == "BTCBOT UNKNOWN - health check timed out after 2 s\n"
    assert elapsed < 2 + 5


def _start_dry_run(sandbox: Sandbox, url: str) -> subprocess.Popen[str]:
    env = sandbox.live_env(
        LIVE_TRADING="false",
        LIVE_TRADING_ACK="",
        EXCHANGE="sim",
        BTCTURK_BASE_URL=url,
        BTCTURK_GRAPH_URL=f"{url}/graph",
        METRICS_PORT="0",
    )
    return subprocess.Popen(
        [str(BTCBOT), "run", "--loop", "--cycle-seconds", "1"],
        env=process_env({k: v for k, v in env.items() if v}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def _wait_for_a_cycle(sandbox: Sandbox, proc: subprocess.Popen[str]) -> None:
    path = sandbox.control / "live_status.json"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if path.exists() and json.loads(path.read_text(encoding="utf-8")).get("last_cycle_at"):
            return
        time.sleep(0.2)
    raise AssertionError(f"LIVE completed no cycle (exit {proc.poll()})")


def test_a_real_live_loop_is_ok_then_stopped_then_crashed(tmp_path: Path) -> None:
    """Real 'btcbot run --loop' on the emulator: OK (0); stopped cleanly: 2; SIGKILLed: 2."""
    sandbox = Sandbox(tmp_path).init()
    # The emulator's account uses the LIVE session's (canary) credentials, so LIVE really
    # reconciles and trades; with a key the exchange refuses, LIVE is observe-only (WARNING).
    with sim_serve("--api-key", CANARY_KEY, "--api-secret", CANARY_SECRET) as url:
        live = _start_dry_run(sandbox, url)
        try:
            _wait_for_a_cycle(sandbox, live)
            running, doc = _health(sandbox, url)
        finally:
            live.send_signal(signal.SIGTERM)
            live.wait(timeout=60)
        stopped, stopped_doc = _health(sandbox, url)
        (sandbox.control / "live_status.json").unlink()
        crashed_live = _start_dry_run(sandbox, url)
        try:
            _wait_for_a_cycle(sandbox, crashed_live)
        finally:
            crashed_live.kill()
            crashed_live.wait(timeout=60)
        crashed, crashed_doc = _health(sandbox, url)
    assert running == 0, doc["summary"]
    assert stopped == 2
    assert "LIVE stopped" in str(_check(stopped_doc, "live_status")["reason"])
    assert crashed == 2
    assert "not running" in str(_check(crashed_doc, "live_status")["reason"])
