"""A strategy of your own by import path: a sim-mode ``btcbot run``, ``btcbot backtest``, the demo.

The example breakout trades in a real LIVE process; a strategy that raises is named in the log
while the loop goes on (its symbol observing), and stops a backtest with one line.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

import psutil
import pytest
from h5_support import Sandbox, run
from live_support import init_sandbox, query

from btcbot.domain.errors import ConfigError
from btcbot.sim.datasets import bundled_paths
from btcbot.strategy.plugins import load_strategy

ROOT = Path(__file__).resolve().parents[2]
PATHS = os.pathsep.join([str(ROOT / "examples"), str(ROOT / "tests" / "support")])


def _sim_run_env(box: Sandbox, **over: str) -> dict[str, str]:
    env = box.live_env(
        LIVE_TRADING="false",
        LIVE_TRADING_ACK="",
        EXCHANGE="sim",
        SYMBOLS="BTCTRY",
        METRICS_PORT="0",
        PYTHONPATH=PATHS,
        RISK_COOLDOWN_AFTER_FILL_SECONDS="0",
    )
    env.update(over)
    # The in-process emulator (one market minute per cycle): no URL, no credentials.
    for name in ("BTCTURK_BASE_URL", "BTCTURK_GRAPH_URL", "BTCTURK_API_KEY", "BTCTURK_API_SECRET"):
        env.pop(name, None)
    return env


def test_the_example_strategy_trades_in_a_sim_mode_run(tmp_path: Path) -> None:
    """The example by import path with a JSON params file: its signals and orders are booked.

    The in-process emulator replays a market minute per cycle, so 30 cycles are half an hour.
    """
    box = init_sandbox(tmp_path)
    params = tmp_path / "params.json"
    params.write_text(json.dumps({"btcbot_examples.breakout:Breakout": {"window": 3}}), "utf-8")
    env = _sim_run_env(
        box,
        STRATEGIES="btcbot_examples.breakout:Breakout",
        STRATEGY_PARAMS_FILE=str(params),
    )
    done = run(["run", "--cycles", "30", "--cycle-seconds", "0.5"], env, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "strategy_failed" not in done.stderr
    rows = query(box.live_db, "SELECT strategy, side FROM signals")
    assert rows, "the breakout never signalled in 30 minutes of market"
    assert {r[0] for r in rows} == {"breakout3"}
    orders = query(box.live_db, "SELECT count(*) FROM orders")[0][0]
    assert isinstance(orders, int)
    assert orders > 0


@pytest.mark.parametrize(
    ("strategy", "problem"),
    [
        ("Raises", "raised ZeroDivisionError"),
        # sys.exit(7) in a strategy ended the LIVE loop, exit 7, without a line of log.
        ("Exits", "raised SystemExit: 7"),
        # An endless loop hung the LIVE cycle for good: no reconcile, no cancel, no status.
        ("Hangs", "did not answer within 5 s, so its process was stopped"),
        # os._exit() in a strategy ended the LIVE process itself.
        ("Dies", "its process ended (exit code 9)"),
    ],
)
def test_a_raising_strategy_is_named_and_the_loop_goes_on(
    tmp_path: Path, strategy: str, problem: str
) -> None:
    """Trend keeps running beside it; every cycle logs strategy_failed naming it.

    In LIVE a strategy of your own runs in its own process (``btcbot.isolation``): one that
    hangs is stopped after 5 s, and neither it nor one that ends its process takes LIVE along.
    """
    box = init_sandbox(tmp_path)
    env = _sim_run_env(box, STRATEGIES=f"trend,faulty_strategies:{strategy}")
    done = run(["run", "--cycles", "5", "--cycle-seconds", "0.5"], env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert not _orphans(), "a strategy's process outlived its LIVE process"
    # The MONITOR warns on the status file's last error: the failing strategy is named there.
    status = json.loads((box.control / "live_status.json").read_text("utf-8"))
    assert f"strategy {strategy.lower()} failed on BTCTRY" in status["last_error"]
    failures = [
        json.loads(line)
        for line in done.stderr.splitlines()
        if line.startswith("{") and '"strategy_failed"' in line
    ]
    assert len(failures) >= 4
    assert {f["strategy"] for f in failures} == {strategy.lower()}
    assert problem in failures[0]["problem"]
    ok = query(box.live_db, "SELECT count(*) FROM cycles WHERE outcome = 'ok'")[0][0]
    assert isinstance(ok, int)
    assert ok >= 5


@pytest.mark.parametrize(
    "entry", ["no_such_pkg.mod:Strategy", "exits_on_import:S", "faulty_strategies:ExitsWhenBuilt"]
)
def test_a_strategy_that_cannot_load_refuses_the_run_before_any_cycle(
    tmp_path: Path, entry: str
) -> None:
    """Loaded in its own process, it is refused word for word as in process: exit 2, no cycle."""
    with pytest.raises(ConfigError) as in_process:
        load_strategy(entry, {})
    box = init_sandbox(tmp_path)
    done = run(["run", "--once"], _sim_run_env(box, STRATEGIES=f"trend,{entry}"), timeout=120)
    assert done.returncode == 2, done.stderr[-2000:]
    assert f"btcbot: error: {in_process.value}\n" in done.stderr
    assert query(box.live_db, "SELECT count(*) FROM cycles") == [(0,)]
    assert not _orphans()


def test_what_a_strategy_prints_does_not_reach_its_answers(tmp_path: Path) -> None:
    """A strategy that prints on every call: its process answers all the same, no fault."""
    box = init_sandbox(tmp_path)
    env = _sim_run_env(box, STRATEGIES="trend,faulty_strategies:Prints")
    done = run(["run", "--cycles", "3", "--cycle-seconds", "0.5"], env, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "strategy_failed" not in done.stderr, done.stderr[-2000:]
    assert "looking at BTCTRY" in done.stderr  # on standard error, where a print belongs
    assert "looking at" not in done.stdout


def _orphans() -> list[int]:
    """Strategy processes whose LIVE process has ended (they end within a second or two)."""
    deadline = time.monotonic() + 10
    while True:
        left = []
        for proc in psutil.process_iter(["pid", "cmdline"]):
            argv = proc.info["cmdline"] or []
            if "btcbot.isolation" in argv and not psutil.pid_exists(int(argv[-1])):
                left.append(proc.info["pid"])
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def test_a_failing_strategy_stops_a_backtest_with_one_line(tmp_path: Path) -> None:
    """Garbage from a strategy: exit 2, one line naming it and the symbol; nothing written."""
    data = bundled_paths()[0]
    env = {"PYTHONPATH": PATHS}
    done = run(
        [
            *("backtest", "--data", str(data), "--symbols", "BTCTRY", "--out", str(tmp_path / "o")),
            *("--set", "STRATEGIES=faulty_strategies:Garbage"),
        ],
        env,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "strategy garbage failed on BTCTRY" in lines[0]
    assert "not a Signal" in lines[0]
    assert not (tmp_path / "o").exists()


def test_a_strategy_that_never_returns_stops_a_backtest_with_one_line(tmp_path: Path) -> None:
    """It hung ``btcbot backtest`` until Ctrl-C; now its 10 s of CPU end the run, exit 2."""
    done = run(
        [
            *("backtest", "--data", str(bundled_paths()[0]), "--symbols", "BTCTRY"),
            *("--out", str(tmp_path / "o"), "--set", "STRATEGIES=faulty_strategies:Hangs"),
        ],
        {"PYTHONPATH": PATHS},
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "strategy hangs failed on BTCTRY: took over 10 s of CPU without returning" in lines[0]
    assert not (tmp_path / "o").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no staging directory left behind


def test_the_example_strategy_in_a_backtest(tmp_path: Path) -> None:
    """The same entry through ``btcbot backtest``: it trades, the summary records it."""
    done = run(
        [
            *("backtest", "--data", str(bundled_paths()[0]), "--symbols", "BTCTRY", "--json"),
            *("--set", "STRATEGIES=btcbot_examples.breakout:Breakout"),
            *("--set", f"STRATEGY_PARAMS_FILE={ROOT / 'examples' / 'breakout.toml'}"),
        ],
        {"PYTHONPATH": PATHS},
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["counts"]["fills"] > 0
    assert summary["settings"]["strategy"]["enabled"] == ["btcbot_examples.breakout:Breakout"]


def _report_field(report: str, name: str) -> str:
    """A line of the demo's report: its name, two spaces or more, the value."""
    found = re.search(rf"^\s*{re.escape(name)}\s{{2,}}(.+)$", report, re.MULTILINE)
    assert found, f"{name!r} missing from the report:\n{report}"
    return found.group(1).strip()


def test_the_example_strategy_in_the_demo_trades_and_its_backtest_agrees(tmp_path: Path) -> None:
    """The demo's loop asks it in a process of its own, its backtest in process: the same fills."""
    done = run(
        ["demo", "--cycles", "150", "--workspace", str(tmp_path / "ws")],
        {
            "PYTHONPATH": PATHS,
            "STRATEGIES": "trend,btcbot_examples.breakout:Breakout",
            "STRATEGY_PARAMS_FILE": str(ROOT / "examples" / "breakout.toml"),
        },
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert int(_report_field(done.stdout, "fills")) > 0
    assert _report_field(done.stdout, "parity") == "same fills"


@pytest.mark.timeout(180)
@pytest.mark.parametrize(
    ("strategy", "in_the_loop", "in_the_backtest"),
    [
        # "internal error StrategyFailedError: ... (a btcbot bug: report it with the log)" and
        # no report at all
        ("Raises", "raised ZeroDivisionError", "raised ZeroDivisionError"),
        # the demo hung in its first cycle, for good
        ("Hangs", "did not answer within 5 s", "took over 10 s of CPU without returning"),
    ],
)
def test_a_failing_strategy_in_the_demo_is_reported_not_a_crash(
    tmp_path: Path, strategy: str, in_the_loop: str, in_the_backtest: str
) -> None:
    """The loop observes only and health warns; the report says the backtest stopped, and why."""
    done = run(
        ["demo", "--cycles", "20", "--workspace", str(tmp_path / "ws")],
        {"PYTHONPATH": PATHS, "STRATEGIES": f"trend,faulty_strategies:{strategy}"},
        timeout=150,
    )
    assert done.returncode == 1, done.stdout + done.stderr  # health said WARNING
    name = strategy.lower()
    health = _report_field(done.stdout, "health (MONITOR)")
    assert health.startswith(f"exit 1: BTCBOT WARNING - live_status: LIVE last error: strategy "
                             f"{name} failed on BTCTRY"), health  # fmt: skip
    assert in_the_loop in health
    assert _report_field(done.stdout, "fills") == "0"
    parity = _report_field(done.stdout, "parity")
    assert parity.startswith(f"not compared: the backtest stopped: strategy {name} failed on "), (
        parity
    )
    assert in_the_backtest in parity
    assert "internal error" not in done.stderr
