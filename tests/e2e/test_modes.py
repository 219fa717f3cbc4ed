"""The three modes as an operator meets them: what leaves the process, what trades, what survives.

Judged at the source of truth: the sockets the ``btcbot`` subprocess tried to open and the
requests httpx really sent (``netwatch/sitecustomize.py``, loaded into the subprocess), the
emulator's own saved state (sim mode) and ``btcbot sim serve``'s own request log (paper mode).
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from h5_support import (
    BTCBOT,
    CANARY_KEY,
    CANARY_SECRET,
    default_dry_run_env,
    default_monitor_env,
    process_env,
    run,
)
from h5_support import sim_serve as h5_sim_serve
from live_support import cycle_number, falling_candles, query, wait_for

from btcbot.adapters.clock import ManualClock
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.balances import balance_differences
from btcbot.domain.ledger.codec import snapshot_from_dict
from btcbot.exchange.client import BtcturkClient
from btcbot.exchange.transport import EmulatorTransport
from btcbot.observability.status_file import read_status, status_path
from btcbot.sim.app import SimApp
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET
from btcbot.sim.datasets import load_feeds
from btcbot.sim.exchange import SimExchange

NETWATCH = Path(__file__).parent / "netwatch"
EXAMPLE = Path(__file__).parents[2] / "scripts" / "live.example.psd1"
# Mean reversion on steadily falling candles: an entry nearly every minute, quick exits.
TRADING_KNOBS = {
    "STRATEGIES": "mean_reversion",
    "STRATEGY_MEANREV_WINDOW": "5",
    "STRATEGY_MEANREV_ENTRY_Z": "0.5",
    "STRATEGY_MEANREV_TAKE_PROFIT_PCT": "0.02",
    "STRATEGY_MEANREV_STOP_LOSS_PCT": "0.02",
    "RISK_COOLDOWN_AFTER_FILL_SECONDS": "0",
    "RISK_MAX_SUBMITS_PER_WINDOW": "1000",
}


def _example_settings() -> dict[str, str]:
    """The ``KEY = 'value'`` lines of the shipped LIVE example, as the launcher exports them."""
    pairs = re.findall(r"^\s*([A-Z_]+)\s*=\s*'([^']*)'", EXAMPLE.read_text("utf-8"), re.MULTILINE)
    return dict(pairs)


def _watched(env: dict[str, str], log: Path) -> dict[str, str]:
    """``env`` plus the in-process watcher of sockets and requests, logging to ``log``."""
    # An outer PYTHONPATH is kept behind it (that is how the test was run on older code).
    path = os.pathsep.join(p for p in (str(NETWATCH), os.environ.get("PYTHONPATH", "")) if p)
    return env | {"PYTHONPATH": path, "SOCKET_AUDIT_LOG": str(log)}


def _events(log: Path) -> list[dict[str, object]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text("utf-8").splitlines()]


_base = default_dry_run_env
_monitor = default_monitor_env


def _init(env: dict[str, str]) -> None:
    done = run(["db", "init"], env)
    assert done.returncode == 0, done.stderr


def test_the_watcher_sees_a_connection_attempt(tmp_path: Path) -> None:
    """Negative control: a process that reaches for BtcTurk under the watcher is caught."""
    log = tmp_path / "watch.log"
    code = "import socket\ntry: socket.create_connection(('api.btcturk.com', 443), 1)\n"
    code += "except OSError: pass"
    subprocess.run(
        [sys.executable, "-c", code], env=process_env(_watched({}, log)), check=True, timeout=60
    )
    assert {"event": "getaddrinfo", "host": "api.btcturk.com"} in _events(log)


def test_example_settings_with_api_keys_never_leave_loopback(tmp_path: Path) -> None:
    """The shipped example plus real-looking keys: no socket outside loopback, nothing signed.

    The scenario of the review: ``live.example.psd1`` as shipped (EXCHANGE=sim, LIVE_TRADING=
    false, no BTCTURK_BASE_URL) in a session that also holds API keys.
    """
    example = _example_settings()
    assert example["EXCHANGE"] == "sim"
    assert "BTCTURK_BASE_URL" not in example
    env = _base(tmp_path, **example) | {
        "STATE_DB_PATH": str(tmp_path / "live" / "state.db"),
        "CONTROL_DIR": str(tmp_path / "control"),
        "METRICS_PORT": "0",
        "BTCTURK_API_KEY": CANARY_KEY,
        "BTCTURK_API_SECRET": CANARY_SECRET,
    }
    _init(env)
    log = tmp_path / "net.log"
    done = run(["run", "--cycles", "5", "--cycle-seconds", "0.2"], _watched(env, log))
    assert done.returncode == 0, done.stderr[-2000:]
    events = _events(log)
    sockets = [e for e in events if e["event"] in ("getaddrinfo", "connect")]
    assert sockets == [], f"the dry run reached for {sockets}"
    requests = [e for e in events if e["event"] == "request"]
    assert requests, "the watcher saw no request at all: it would see no leak either"
    assert [e for e in requests if e["key"] == CANARY_KEY] == [], "signed with the operator's key"
    hosts = {re.sub(r"^https?://([^/:]+).*$", r"\1", str(e["url"])) for e in requests}
    assert hosts == {"127.0.0.1"}
    assert '"credentials_ignored"' in done.stderr


def _emulator_view(state: Path) -> BtcturkClient:
    """A client on the emulator exactly as the LIVE process saved it (the exchange's truth)."""
    sim = SimExchange.load(state, load_feeds(), now=ManualClock(datetime.now(UTC)).now)
    sim.now = lambda: datetime.fromtimestamp(sim.saved_at, UTC)
    return BtcturkClient(
        base_url="http://127.0.0.1",
        graph_url="http://127.0.0.1/graph",
        api_key=DEFAULT_API_KEY,
        api_secret=DEFAULT_API_SECRET,
        clock=ManualClock(datetime.fromtimestamp(sim.saved_at, UTC)),
        transport=EmulatorTransport(SimApp(sim, rate_limits=False)),
        auto_sync_clock=False,
    )


def _status_cycles(control: Path, pid: int) -> int:
    try:
        status = read_status(status_path(control))
    except (FileNotFoundError, ValueError):
        return 0
    return cycle_number(status.cycle_id) if status.pid == pid else 0


def _count(db: Path, table: str) -> int:
    try:
        return int(str(query(db, f"SELECT count(*) FROM {table}")[0][0]))  # noqa: S608 - tests
    except Exception:  # noqa: BLE001 - not created yet, or busy: poll again
        return 0


def _start(env: dict[str, str], log: Path, cycle_seconds: str = "0.2") -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(BTCBOT), "run", "--loop", "--cycle-seconds", cycle_seconds],
            env=process_env(_watched(env, log.with_suffix(".net"))),
            stdout=out,
            stderr=out,
        )


def _assert_books_match_the_emulator(db: Path, fills_before_kill: int) -> None:
    """Judged at the emulator's saved state: no duplicate, nothing unknown, ledger = balances."""
    state = db.with_name("state.db.sim.json")
    client = _emulator_view(state)
    try:
        until = datetime.fromtimestamp(json.loads(state.read_text("utf-8"))["saved_at"], UTC)
        since = until - timedelta(days=1)
        orders = client.all_orders("BTCTRY", start=since, end=until, limit=1000)
        trades = client.own_trades("BTCTRY", start=since, end=until)
        balances = client.balances()
    finally:
        client.close()
    ids = Counter(o.client_order_id for o in orders)
    assert [cid for cid, n in ids.items() if n > 1] == [], "an order was placed twice"
    known = {str(r[0]) for r in query(db, "SELECT exchange_order_id FROM orders")}
    assert [o.order_id for o in orders if str(o.order_id) not in known] == []
    stored = query(db, "SELECT count(*), sum(ledger_applied) FROM fills")[0]
    assert stored[0] == len(trades) > fills_before_kill, "every emulator trade stored, each once"
    assert stored[0] == stored[1]
    raw = query(db, "SELECT snapshot FROM ledger_snapshots ORDER BY id DESC LIMIT 1")[0][0]
    ledger = Ledger.from_snapshot(snapshot_from_dict(json.loads(str(raw))))
    assert balance_differences(ledger, balances) == ()


@pytest.mark.timeout(300)
def test_default_sim_mode_trades_and_survives_sigkill(tmp_path: Path) -> None:
    """Six variables, no network: it trades, health says OK, a SIGKILL loses nothing."""
    env = _base(tmp_path)  # the bundled candles, the default strategies, CYCLE_SECONDS=60 ...
    _init(env)
    mon = _monitor(tmp_path)
    _init(mon)
    log = tmp_path / "live.log"
    proc = _start(env, log)
    try:
        # ... but --cycle-seconds 0.2: one bundled candle every 0.2 s (SIM_SPEED unset).
        wait_for(lambda: _count(Path(env["STATE_DB_PATH"]), "fills") >= 3, timeout=150,
                 what="three fills in the default dry run")  # fmt: skip
        health = run(["health"], mon)
        assert health.returncode == 0, health.stdout + health.stderr
        assert "[mode sim]" in health.stdout
        checks = json.loads(run(["health", "--json"], mon).stdout)["checks"]
        probe = next(c for c in checks if c["name"] == "exchange")
        assert probe["reason"].startswith("sim mode"), probe
        status = read_status(status_path(tmp_path / "control"))
        assert status.mode == "sim"
        inspect = run(["inspect"], env)
        assert "DRY RUN (sim mode)" in inspect.stdout
        before = _count(Path(env["STATE_DB_PATH"]), "fills")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    proc = _start(env, log)
    try:
        wait_for(lambda: _count(Path(env["STATE_DB_PATH"]), "fills") > before, timeout=150,
                 what="a fill after the restart")  # fmt: skip
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)

    _assert_books_match_the_emulator(Path(env["STATE_DB_PATH"]), before)
    text = log.read_text("utf-8")
    assert "Traceback" not in text
    assert _events(log.with_suffix(".net")) == [] or all(
        e["event"] == "request" for e in _events(log.with_suffix(".net"))
    )


def _served_requests(path: Path) -> list[str]:
    return path.read_text("utf-8").splitlines() if path.exists() else []


@pytest.mark.timeout(300)
def test_paper_mode_trades_locally_on_served_market_data(tmp_path: Path) -> None:
    """Paper mode against ``sim serve`` standing in for BtcTurk: no private call ever reaches it.

    Orders are placed and filled by the local paper engine as the served market moves; the
    paper book survives a restart.
    """
    candles = falling_candles(tmp_path / "BTCTRY.csv")
    served = tmp_path / "served.log"
    with h5_sim_serve(
        "--data", str(candles), "--no-rate-limits", "--request-log", str(served)
    ) as url:
        env = (
            _base(
                tmp_path,
                EXCHANGE="btcturk",
                BTCTURK_BASE_URL=url,
                BTCTURK_GRAPH_URL=f"{url}/graph",
                BTCTURK_API_KEY=CANARY_KEY,
                BTCTURK_API_SECRET=CANARY_SECRET,
                SYMBOLS="BTCTRY",
                METRICS_PORT="0",
            )
            | TRADING_KNOBS
        )
        _init(env)
        db = Path(env["STATE_DB_PATH"])
        log = tmp_path / "paper.log"
        proc = _start(env, log, cycle_seconds="2")
        try:
            # A resting paper order fills on the first served candle that opens after it and
            # trades through its price: one to two real minutes.
            wait_for(lambda: _count(db, "fills") > 0, timeout=240, what="a paper fill")
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
        text = log.read_text("utf-8")
        assert '"mode": "paper"' in text
        assert '"credentials_ignored"' in text
        assert "Traceback" not in text
        fills = _count(db, "fills")
        paper = json.loads(db.with_name("state.db.paper.json").read_text("utf-8"))
        assert len(paper["trades"]) == fills
        assert fills == _count(db, "fills WHERE ledger_applied = 1"), "every paper fill booked"

        second = run(["run", "--cycles", "2", "--cycle-seconds", "1"], env, timeout=100)
        assert second.returncode == 0, second.stderr[-3000:]
        assert _count(db, "fills") >= fills
        again = json.loads(db.with_name("state.db.paper.json").read_text("utf-8"))
        assert len(again["trades"]) >= len(paper["trades"]), "the paper book was lost"
        inspect = run(["inspect"], env)
        assert "DRY RUN (paper mode)" in inspect.stdout
    lines = _served_requests(served)
    assert lines, "the stand-in exchange saw no request: the test proves nothing"
    assert [line for line in lines if " /api/v1/" in line] == []
    assert any("/graph/v1/klines/history" in line for line in lines)


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` but the lock's own files, by relative path."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".lock" not in p.name
    }


def _refused(env: dict[str, str], root: Path, *words: str) -> None:
    """``btcbot run --once`` exits 2 with one stderr line naming ``words``; nothing changed."""
    before = _files(root)
    done = run(["run", "--once"], env)
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "Traceback" not in done.stderr
    for word in words:
        assert word in lines[0]
    assert _files(root) == before


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("BTCTURK_BASE_URL", "https://api.btcturk.com", ("BTCTURK_BASE_URL", "loopback")),
        ("BTCTURK_GRAPH_URL", "https://graph-api.btcturk.com", ("BTCTURK_GRAPH_URL",)),
        ("EXCHANGE", "paper", ("EXCHANGE", "LIVE_TRADING=false")),
        ("SIM_DATA", "relative/dir", ("SIM_DATA", "absolute")),
        ("SIM_SPEED", "0", ("SIM_SPEED",)),
        ("PAPER_BALANCE_TRY", "-5", ("PAPER_BALANCE_TRY",)),
    ],
)
def test_a_mode_setting_that_cannot_work_is_one_line(
    tmp_path: Path, variable: str, value: str, words: tuple[str, ...]
) -> None:
    """Exit 2, one line naming the variable, no database or state file touched."""
    env = _base(tmp_path)
    _init(env)
    _refused(env | {variable: value}, tmp_path, *words)


def test_unreadable_sim_data_is_refused(tmp_path: Path) -> None:
    """A missing file, a directory without CSVs, a malformed CSV: one line naming SIM_DATA."""
    env = _base(tmp_path)
    _init(env)
    bad = tmp_path / "data"
    bad.mkdir()
    _refused(env | {"SIM_DATA": str(tmp_path / "nope.csv")}, tmp_path, "SIM_DATA", "nope.csv")
    _refused(env | {"SIM_DATA": str(bad)}, tmp_path, "SIM_DATA", "no .csv")
    (bad / "BTCTRY.csv").write_text("ts,open,high,low,close,volume\n1,a,b,c,d,e\n", "utf-8")
    _refused(env | {"SIM_DATA": str(bad)}, tmp_path, "SIM_DATA", "BTCTRY.csv:2")
    (bad / "BTCTRY.csv").write_bytes(b"\xff\xfe\x00garbage")
    _refused(env | {"SIM_DATA": str(bad)}, tmp_path, "SIM_DATA")
    (bad / "BTCTRY.csv").unlink()
    falling_candles(bad / "ETHTRY.csv")
    _refused(env | {"SIM_DATA": str(bad)}, tmp_path, "SYMBOLS", "BTCTRY")


@pytest.mark.parametrize("mode", ["sim", "paper"])
@pytest.mark.parametrize("content", [b"", b"{not json", b"\xff\xfe{\x00", b'{"format": 1}'])
def test_a_corrupt_state_file_is_refused_and_kept(
    tmp_path: Path, mode: str, content: bytes
) -> None:
    """The emulator's or paper engine's state file, damaged: one line naming it, left as is."""
    env = _base(tmp_path)
    if mode == "paper":
        env |= {"EXCHANGE": "btcturk", "BTCTURK_BASE_URL": "http://127.0.0.1:9"}
    _init(env)
    state = Path(env["STATE_DB_PATH"]).with_name(f"state.db.{mode}.json")
    state.write_bytes(content)
    _refused(env, tmp_path, str(state))


def test_the_shipped_monitor_example_beside_a_sim_run_is_ok_offline(tmp_path: Path) -> None:
    """monitor.example.psd1 says EXCHANGE=btcturk; beside a sim-mode LIVE it probes nothing."""
    env = _base(tmp_path)
    _init(env)
    assert run(["run", "--cycles", "2", "--cycle-seconds", "0.05"], env).returncode == 0
    mon = _monitor(tmp_path, EXCHANGE="btcturk")
    _init(mon)
    log = tmp_path / "net.log"
    done = run(["health"], _watched(mon, log))
    # The LIVE stopped cleanly, so live_status is CRITICAL; the exchange check must not be.
    checks = json.loads(run(["health", "--json"], _watched(mon, log)).stdout)["checks"]
    probe = next(c for c in checks if c["name"] == "exchange")
    assert probe["status"] == "ok", probe
    assert probe["reason"].startswith("sim mode")
    assert [e for e in _events(log) if e["event"] != "request"] == [], "health reached out"
    assert done.stdout.startswith("BTCBOT ")
