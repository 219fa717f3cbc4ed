"""Benchmark `btcbot health` cold start against the floor `python -c "import pydantic_settings"`.

Usage: ``python tools/bench_startup.py [--runs N]``. Builds a throw-away MONITOR sandbox (its
own database via ``btcbot db init``, a fresh LIVE status file is not needed) and a loopback
stand-in for ``GET /api/v2/server/time``, so the figure is process start-up plus the checks,
not internet latency. Each command runs ``--runs`` times as a whole new process, interleaved
(one of each per round, so a busy moment of the machine costs every command alike); the
median wall time and the two ratios the goals are set in (health against the pydantic_settings
floor, at most 1.5; ``--help`` against a bare interpreter, at most 3) are reported with the
machine, as Markdown for docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

BIN = Path(sys.executable).parent
BTCBOT = BIN / ("btcbot.exe" if os.name == "nt" else "btcbot")


class _Clock(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = json.dumps({"serverTime": int(time.time() * 1000)}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        """Stay quiet."""


def _interleaved(
    rows: list[tuple[str, list[str]]], env: dict[str, str], runs: int
) -> list[tuple[str, float, int]]:
    """Each command once per round, ``runs`` rounds; (name, median seconds, last exit code)."""
    times: dict[str, list[float]] = {name: [] for name, _ in rows}
    codes: dict[str, int] = {}
    for _ in range(runs):
        for name, cmd in rows:
            t0 = time.perf_counter()
            codes[name] = subprocess.run(cmd, env=env, capture_output=True, check=False).returncode
            times[name].append(time.perf_counter() - t0)
    return [(name, statistics.median(times[name]), codes[name]) for name, _ in rows]


def main() -> int:
    """Run the benchmark and print a Markdown report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Clock)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "control").mkdir()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "APP_ROLE": "monitor",
            "STATE_DB_PATH": str(root / "monitor.db"),
            "CONTROL_DIR": str(root / "control"),
            "LIVE_TRADING": "false",
            "SAFE_MODE": "true",
            "KILL_SWITCH": "true",
            "EXCHANGE": "btcturk",
            "BTCTURK_BASE_URL": url,
            "BTCTURK_GRAPH_URL": url,
        }
        if os.name == "nt":
            env["SYSTEMROOT"] = os.environ.get("SYSTEMROOT", "")
        subprocess.run([str(BTCBOT), "db", "init"], env=env, capture_output=True, check=True)
        rows = [
            ("python -c 'import pydantic_settings' (floor)",
             [sys.executable, "-c", "import pydantic_settings"]),
            ("python -c 'pass' (interpreter)", [sys.executable, "-c", "pass"]),
            ("btcbot --help", [str(BTCBOT), "--help"]),
            ("btcbot health (all checks, loopback probe)", [str(BTCBOT), "health"]),
        ]  # fmt: skip
        results = _interleaved(rows, env, args.runs)
    server.shutdown()
    print(
        f"Machine: {platform.platform()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; median of {args.runs} runs."
    )
    print()
    print("| command | median wall time | exit |")
    print("|---|---|---|")
    for name, seconds, code in results:
        print(f"| {name} | {seconds * 1000:.0f} ms | {code} |")
    floor, bare, helped, health = (seconds for _, seconds, _ in results)
    print()
    print(f"health / pydantic_settings floor: {health / floor:.2f} (goal at most 1.5)")
    print(f"--help / bare interpreter: {helped / bare:.2f} (goal at most 3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
