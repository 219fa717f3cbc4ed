"""A canary API key and secret planted in the environment never leave the process.

Every H5 command runs with the canary (LIVE and MONITOR sessions, success and error paths,
DEBUG logging); then every byte of stdout, stderr and every file under the sandbox - databases,
WAL, lock records, kill file, status file, .prom file - is scanned for the canary, for its
base64 body and for its decoded bytes.
"""

from __future__ import annotations

import base64
from pathlib import Path

from h5_support import CANARY_KEY, CANARY_SECRET, Sandbox, exchange_clock, run, waiting_arm

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


def test_the_scan_would_catch_a_leak() -> None:
    """Negative control: a blob holding any form of the canary fails the scan."""
    for needle in NEEDLES:
        try:
            _scan(b"prefix " + needle + b" suffix", "control")
        except AssertionError:
            continue
        raise AssertionError(f"scan missed {needle!r}")
