"""A canary API key and secret planted in the environment never leave the process.

Every H5 command runs with the canary (LIVE and MONITOR sessions, success and error paths,
DEBUG logging); then every byte of stdout, stderr and every file under the sandbox - databases,
WAL, lock records, kill file, status file, .prom file - is scanned for the canary, for its
base64 body and for its decoded bytes.
"""

from __future__ import annotations

import base64
import json
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from clock_standin import exchange_clock
from h5_support import (
    BTCBOT,
    CANARY_KEY,
    CANARY_SECRET,
    Sandbox,
    process_env,
    run,
    sim_serve,
    waiting_arm,
)

NEEDLES = (
    CANARY_KEY.encode(),
    CANARY_SECRET.encode(),
    base64.b64decode(CANARY_SECRET),
)


def _scan(blob: bytes, where: str) -> None:
    for needle in NEEDLES:
        assert needle not in blob, f"canary found in {where}"


def test_the_canary_never_appears_in_any_output_or_file(tmp_path: Path) -> None:
    """Across arm/disarm/inspect/health/db runs, no output or file contains the canary."""
    sandbox = Sandbox(tmp_path).init()
    debug = {"LOG_LEVEL": "DEBUG"}
    secrets = {"BTCTURK_API_KEY": CANARY_KEY, "BTCTURK_API_SECRET": CANARY_SECRET}
    live = sandbox.live_env(**debug)
    outputs = []
    with exchange_clock(0) as url:
        monitor = sandbox.monitor_env(url, **debug, **secrets)
        runs = [
            (["arm", "--yes"], live, None),
            (["arm"], live, "ARM\n"),
            (["arm"], live, "nope\n"),
            (["inspect"], live, None),
            (["inspect", "--json"], live, None),
            (["disarm", "--reason", "leak test"], live, None),
            (["health", "--json", "--prom-file", str(tmp_path / "h.prom")], monitor, None),
            (["health"], live, None),  # refused: wrong role
            (["inspect", "--json"], monitor, None),
            (["disarm"], monitor, None),
            (["db", "check"], live, None),
            (["arm", "--yes"], {**live, "BTCTURK_API_SECRET": CANARY_KEY + "!not-base64"}, None),
            (["health"], {**monitor, "BTCTURK_API_SECRET": CANARY_KEY + "!"}, None),
            (["arm", "--yes"], {**live, "STATE_DB_PATH": str(sandbox.monitor_db)}, None),
        ]
        for args, env, stdin in runs:
            done = run(args, env, stdin=stdin)
            outputs.append((args, done))
        with waiting_arm(live):
            outputs.append((["arm", "busy"], run(["arm", "--yes"], live)))
    for args, done in outputs:
        _scan(done.stdout.encode(), f"stdout of {args}")
        _scan(done.stderr.encode(), f"stderr of {args}")
    scanned = 0
    for path in tmp_path.rglob("*"):
        if path.is_file():
            _scan(path.read_bytes(), str(path))
            scanned += 1
    # The scan must have had something to look at: DBs, lock records, kill file, .prom.
    assert scanned >= 6
    assert any("Traceback" in d.stderr for _a, d in outputs) is False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for_cycles(status: Path, proc: subprocess.Popen[str], cycles: int) -> None:
    """Poll the status file until ``cycles`` distinct completed cycles were reported."""
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            doc = json.loads(status.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            doc = {}
        if doc.get("last_cycle_at") and doc.get("cycle_id"):
            seen.add(str(doc["cycle_id"]))
            if len(seen) >= cycles:
                return
        time.sleep(0.2)
    raise AssertionError(f"LIVE did not complete {cycles} cycles (exit {proc.poll()})")


def test_a_live_dry_run_leaks_nothing_into_status_metrics_or_db(tmp_path: Path) -> None:
    """A LIVE dry run on the emulator, signed with the canary: no status/metric/DB/log leak."""
    sandbox = Sandbox(tmp_path).init()
    port = _free_port()
    with sim_serve("--api-key", CANARY_KEY, "--api-secret", CANARY_SECRET) as url:
        env = sandbox.live_env(
            LIVE_TRADING="false",
            LIVE_TRADING_ACK="",
            EXCHANGE="sim",
            BTCTURK_BASE_URL=url,
            BTCTURK_GRAPH_URL=f"{url}/graph",
            METRICS_PORT=str(port),
            LOG_LEVEL="DEBUG",
        )
        env = {k: v for k, v in env.items() if v}
        # Files, not pipes: DEBUG logs of every request would fill a pipe nobody reads until
        # the end, and LIVE would block writing to it.
        log = tmp_path / "live-stderr.log"
        with log.open("w", encoding="utf-8") as err_file:
            proc = subprocess.Popen(
                [str(BTCBOT), "run", "--loop", "--cycle-seconds", "0.5"],
                env=process_env(env),
                stdout=subprocess.PIPE,
                stderr=err_file,
                text=True,
            )
            try:
                _wait_for_cycles(sandbox.control / "live_status.json", proc, 2)
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as resp:
                    metrics = resp.read()
            finally:
                proc.send_signal(signal.SIGINT)
                out, _ = proc.communicate(timeout=60)
        err = log.read_text(encoding="utf-8")
    _scan(metrics, "metrics endpoint")
    assert b"btcbot_cycles_total" in metrics
    _scan(out.encode(), "run stdout")
    _scan(err.encode(), "run stderr")
    assert "Traceback" not in err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            _scan(path.read_bytes(), str(path))
    # SIGINT stopped the loop gracefully at a cycle boundary: exit 0, status "stopped".
    assert proc.returncode == 0, err[-2000:]
    final = json.loads((sandbox.control / "live_status.json").read_text(encoding="utf-8"))
    assert final["state"] == "stopped"


def test_the_scan_would_catch_a_leak() -> None:
    """Negative control: a blob holding any form of the canary fails the scan."""
    for needle in NEEDLES:
        try:
            _scan(b"prefix " + needle + b" suffix", "control")
        except AssertionError:
            continue
        raise AssertionError(f"scan missed {needle!r}")
