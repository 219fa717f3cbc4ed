"""``btcbot sweep`` as the operator runs it: engines agree, workers die, sweeps resume.

Every sweep here is the real command as a subprocess. The Dask cluster is a real
``dask scheduler`` and two ``dask worker`` processes on 127.0.0.1, and a ``LocalCluster``.
"""

from __future__ import annotations

import csv
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from candle_files import write_candles
from small_disk import fill, small_disk

BIN = Path(sys.executable).parent
BTCBOT = BIN / ("btcbot.exe" if os.name == "nt" else "btcbot")
DASK = BIN / ("dask.exe" if os.name == "nt" else "dask")
GRID = [
    "--grid", "STRATEGY_TREND_FAST_WINDOW=3,5,8",
    "--grid", "STRATEGY_TREND_SLOW_WINDOW=12,20,30,40",
    "--set", "CYCLE_SECONDS=300", "--symbols", "BTCTRY",
]  # fmt: skip


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("APP_", "RISK_", "STRATEGY"))}


def _sweep(
    *args: str | Path, timeout: float = 300, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BTCBOT), "sweep", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=_env() | (env or {}),
    )


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three days of seeded candles."""
    out = tmp_path_factory.mktemp("sweep-data")
    write_candles(out, minutes=3 * 1440, seed=17, symbols=1)
    return out


@contextmanager
def _ctrl_c_reaches_the_child() -> Iterator[None]:
    """Start a child that Ctrl-C (SIGINT) interrupts, whatever this process inherited.

    A command started as a background job of a non-interactive shell (``cmd &``) ignores SIGINT,
    its children inherit that, and Python then never raises KeyboardInterrupt: a test run so
    saw the sweep ignore the Ctrl-C and finish (exit 0). A signal with a handler is reset to
    the default at ``exec``, so this process handles SIGINT while the child starts.
    """
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[tuple[str, list[subprocess.Popen[bytes]]]]:
    """A dask scheduler and two single-threaded workers, all on 127.0.0.1."""
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    logs = (tmp_path / "dask.log").open("wb")
    procs = [
        subprocess.Popen(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", str(port),
             "--no-dashboard"], stdout=logs, stderr=logs, env=_env(),
        )
    ]  # fmt: skip
    workers = [
        subprocess.Popen(
            [str(DASK), "worker", address, "--nthreads", "1", "--nworkers", "1",
             "--no-dashboard", "--no-nanny"], stdout=logs, stderr=logs, env=_env(),
        )
        for _ in range(2)
    ]  # fmt: skip
    procs += workers
    from distributed import Client  # noqa: PLC0415 - only the cluster tests need it

    deadline = time.monotonic() + 60
    try:
        while True:
            try:
                with Client(address, timeout="5s") as client:  # type: ignore[no-untyped-call]
                    client.wait_for_workers(2, timeout=60)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        yield address, workers
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in procs:
            try:
                # A dask worker under load sometimes sat out the whole 20 s this used to allow.
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=20)  # reaped either way: no zombie, no ResourceWarning
        logs.close()


def _rows(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_local_processes_a_local_cluster_and_a_real_scheduler_write_the_same_results(
    data: Path, tmp_path: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]]
) -> None:
    """12 points three ways: byte-identical results.csv, every point once."""
    address, _ = cluster
    local = _sweep("--data", data, *GRID, "--workers", "2", "--out", tmp_path / "local")
    assert local.returncode == 0, local.stderr
    dask_local = _sweep("--data", data, *GRID, "--scheduler", "local", "--workers", "2",
                        "--out", tmp_path / "localcluster")  # fmt: skip
    assert dask_local.returncode == 0, dask_local.stderr
    remote = _sweep("--data", data, *GRID, "--scheduler", address, "--out", tmp_path / "remote")
    assert remote.returncode == 0, remote.stderr
    reference = (tmp_path / "local" / "results.csv").read_bytes()
    assert (tmp_path / "localcluster" / "results.csv").read_bytes() == reference
    assert (tmp_path / "remote" / "results.csv").read_bytes() == reference
    rows = _rows(tmp_path / "local")
    assert len(rows) == 12
    assert len({r["point"] for r in rows}) == 12
    assert "computed 12, reused 0" in local.stdout


def test_a_killed_worker_does_not_lose_or_double_a_point(
    data: Path, tmp_path: Path, cluster: tuple[str, list[subprocess.Popen[bytes]]]
) -> None:
    """One of two workers is killed mid-sweep; the scheduler reruns its task elsewhere."""
    address, workers = cluster
    out = tmp_path / "killed"
    sweep = subprocess.Popen(
        [str(BTCBOT), "sweep", "--data", str(data), *GRID, "--scheduler", address,
         "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
    )  # fmt: skip
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.read_text("utf-8").count("\n") >= 2):
        assert sweep.poll() is None, sweep.communicate()
        assert time.monotonic() < deadline, "the sweep never started"
        time.sleep(0.05)
    workers[0].kill()
    at_kill = journal.read_text("utf-8").count("\n")
    assert at_kill < 12, "the sweep ended before the worker was killed: nothing was tested"
    stdout, stderr = sweep.communicate(timeout=300)
    assert sweep.returncode == 0, stderr
    rows = _rows(out)
    assert len(rows) == 12
    assert len({r["point"] for r in rows}) == 12
    assert journal.read_text("utf-8").count("\n") == 12  # each point recorded exactly once
    assert "computed 12" in stdout


def test_interrupt_and_resume_computes_no_point_twice(data: Path, tmp_path: Path) -> None:
    """Ctrl-C after a few points, then the same command: the rest only, the same file."""
    reference = _sweep("--data", data, *GRID, "--workers", "1", "--out", tmp_path / "whole")
    assert reference.returncode == 0, reference.stderr
    out = tmp_path / "resumed"
    with _ctrl_c_reaches_the_child():
        sweep = subprocess.Popen(
            [str(BTCBOT), "sweep", "--data", str(data), *GRID, "--workers", "1", "--out",
             str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_env(),
        )  # fmt: skip
    journal = out / "journal.jsonl"
    deadline = time.monotonic() + 120
    while not (journal.exists() and journal.read_text("utf-8").count("\n") >= 3):
        assert sweep.poll() is None, sweep.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.05)
    sweep.send_signal(signal.SIGINT)
    _, stderr = sweep.communicate(timeout=120)
    assert sweep.returncode != 0, "the sweep ended before the Ctrl-C: nothing was tested"
    assert sweep.returncode == 130, stderr
    first = journal.read_text("utf-8").count("\n")
    assert 3 <= first < 12
    again = _sweep("--data", data, *GRID, "--workers", "1", "--out", out)
    assert again.returncode == 0, again.stderr
    assert f"computed {12 - first}, reused {first}" in again.stdout
    assert journal.read_text("utf-8").count("\n") == 12
    assert (out / "results.csv").read_bytes() == (tmp_path / "whole" / "results.csv").read_bytes()


def test_a_random_row_is_reproduced_by_btcbot_backtest(data: Path, tmp_path: Path) -> None:
    """Random search; one row, picked at random, re-run by its own command: same fingerprint."""
    ranges = ["--range", "STRATEGY_MEANREV_WINDOW=5..40"]
    ranges += ["--range", "STRATEGY_MEANREV_ENTRY_Z=0.5..2.5"]
    done = _sweep("--data", data, "--random", "6", "--seed", "4", "--symbols", "BTCTRY",
                  *ranges, "--set", "CYCLE_SECONDS=300", "--workers", "2",
                  "--objective", "return_pct", "--out", tmp_path / "r")  # fmt: skip
    assert done.returncode == 0, done.stderr
    rows = _rows(tmp_path / "r")
    assert len(rows) == 6
    row = random.Random(9).choice(rows)
    command = row["reproduce"].split()
    assert command[:2] == ["btcbot", "backtest"]
    again = subprocess.run(
        [str(BTCBOT), "backtest", *command[2:], "--json"], capture_output=True, text=True,
        timeout=120,
        check=False, env=_env(),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["fingerprint"] == row["fingerprint"]


def _regime_change(out: Path, days: int = 8) -> Path:
    """A random walk that trends up for the first half and down for the second."""
    rng = random.Random(5)
    lines = ["ts,open,high,low,close,volume"]
    price = 3_850_000.0
    half = days * 1440 // 2
    for n in range(days * 1440):
        drift = 0.0004 if n < half else -0.0004
        close = price * math.exp(drift + rng.gauss(0, 0.0009))
        high, low = max(price, close) * 1.0004, min(price, close) * 0.9996
        lines.append(f"{1_790_121_600 + 60 * n},{price:.0f},{high:.0f},{low:.0f},{close:.0f},0.3")
        price = close
    out.mkdir(parents=True, exist_ok=True)
    (out / "BTCTRY.csv").write_text("\n".join(lines) + "\n", "utf-8")
    return out


def test_walk_forward_on_a_regime_change_reports_in_and_out_of_sample(tmp_path: Path) -> None:
    """Rolling 2-day train / 1-day test windows: per window the chosen point, both figures."""
    data = _regime_change(tmp_path / "regime")
    done = _sweep("--data", data, "--symbols", "BTCTRY", "--grid",
                  "STRATEGY_TREND_SLOW_WINDOW=12,30", "--grid", "STRATEGY_TREND_FAST_WINDOW=3,8",
                  "--set", "CYCLE_SECONDS=300", "--walk-forward", "2d/1d", "--objective",
                  "return_pct", "--workers", "2", "--out", tmp_path / "wf")  # fmt: skip
    assert done.returncode == 0, done.stderr
    best = json.loads((tmp_path / "wf" / "best.json").read_text("utf-8"))
    assert len(best["windows"]) == 6
    for window in best["windows"]:
        assert window["in_sample"]["return_pct"] is not None
        assert window["out_of_sample"]["return_pct"] is not None
    assert "out_of_sample_return_pct" in best
    assert set(best["parameter_stability"]) == {
        "STRATEGY_TREND_SLOW_WINDOW", "STRATEGY_TREND_FAST_WINDOW"
    }  # fmt: skip
    page = (tmp_path / "wf" / "report.html").read_text("utf-8")
    assert page.count("<tr><td>") >= 6
    assert "out-of-sample" in page
    rows = _rows(tmp_path / "wf")
    assert sum(1 for r in rows if r["phase"] == "test") == 6
    assert sum(1 for r in rows if r["phase"] == "train") == 24


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--grid", "STRATEGY_TREND_FAST_WINDW=3,5"], "STRATEGY_TREND_FAST_WINDW is not a btcbot"),
        (["--grid", "TREND_FAST_WINDOW=3,5"], "did you mean STRATEGY_TREND_FAST_WINDOW?"),
        (["--random", "0", "--range", "STRATEGY_TREND_FAST_WINDOW=3..9"], "needs N >= 1"),
        # Drawn to four decimals, 10^30 overflowed Decimal's 28 digits: an internal error.
        (["--random", "2", "--range", "STRATEGY_MEANREV_ENTRY_Z=1.5..1e30"], "within +-10^20"),
        (["--grid", "STRATEGY_TREND_FAST_WINDOW="], "at least one value"),
        (["--grid", "STRATEGY_TREND_FAST_WINDOW=30,40"], "must be below STRATEGY_TREND_SLOW"),
        (["--grid", "STRATEGY_TREND_FAST_WINDOW=3", "--walk-forward", "30d/10d"], "fewer than"),
        (["--grid", "STRATEGY_TREND_FAST_WINDOW=3", "--objective", "luck"], "--objective"),
        (["--grid", "STRATEGY_TREND_FAST_WINDOW=3", "--scheduler", "tcp://127.0.0.1:9"],
         "cannot connect"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_before_any_work(
    data: Path, tmp_path: Path, args: list[str], expected: str
) -> None:
    """Refused up front: one line, exit 2, nothing written in --out."""
    done = _sweep("--data", data, "--symbols", "BTCTRY", *args, "--out", tmp_path / "o")
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert expected in done.stderr
    assert not (tmp_path / "o").exists()


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("strategy", "engine", "code", "problem"),
    [
        # "internal error StrategyFailedError ... (a btcbot bug: report it with the log)", exit 1
        ("Raises", "--workers", 2, "strategy raises failed on BTCTRY: raised ZeroDivisionError"),
        ("Raises", "--scheduler", 2, "strategy raises failed on BTCTRY: raised ZeroDivisionError"),
        # hung the sweep: its workers, and the pool's shutdown waiting on them, for good
        ("Hangs", "--workers", 2, "strategy hangs failed on BTCTRY: took over 10 s of CPU"),
        # "internal error BrokenProcessPool: ... (a btcbot bug ...)" and "internal error
        # KilledWorker: ..." under the scheduler's ERROR line
        ("Dies", "--workers", 1, "a worker process ended while running a backtest"),
        ("Dies", "--scheduler", 1, "ended every worker process that ran it (4 tries)"),
    ],
)
def test_a_failing_strategy_stops_the_sweep_with_one_line(
    data: Path, tmp_path: Path, *, strategy: str, engine: str, code: int, problem: str
) -> None:
    """As in ``btcbot backtest``: one line naming the backtest and the strategy.

    Exit 2 for a strategy that fails; exit 1 for a worker process that ends, which a strategy
    calling ``os._exit`` and a machine out of memory both do. On local processes and on a Dask
    ``LocalCluster`` (whose workers run tasks off their main thread: a hang there is
    interrupted too, ``tests/integration/test_backtest_watchdog.py``).
    """
    support = Path(__file__).parents[1] / "support"
    where = ("--workers", "2") if engine == "--workers" else ("--scheduler", "local")
    done = _sweep(
        *("--data", data, "--symbols", "BTCTRY", *where, "--out", tmp_path / "o"),
        *("--set", f"STRATEGIES=trend,faulty_strategies:{strategy}"),
        *("--grid", "STRATEGY_TREND_FAST_WINDOW=3,5"),
        env={"PYTHONPATH": str(support)},
    )
    assert done.returncode == code, done.stderr
    (line,) = done.stderr.strip().splitlines()
    assert problem in line
    if strategy != "Dies" or engine == "--scheduler":  # which of them died is not known locally
        assert f"the backtest of STRATEGIES=trend,faulty_strategies:{strategy} STRATEGY_TR" in line


def test_a_stopped_sweep_does_not_wait_for_the_backtests_still_running(
    data: Path, tmp_path: Path
) -> None:
    """The other worker's backtest is ended, not run to its end (10 s and more) and dropped."""
    mark = tmp_path / "the slow backtest finished"
    done = _sweep(
        *("--data", data, "--symbols", "BTCTRY", "--workers", "2", "--out", tmp_path / "o"),
        *("--grid", "STRATEGIES=faulty_strategies:Slow,faulty_strategies:Raises"),
        env={
            "PYTHONPATH": str(Path(__file__).parents[1] / "support"),
            "BTCBOT_TEST_MARK": str(mark),
        },
    )
    assert done.returncode == 2, done.stderr
    assert "STRATEGIES=faulty_strategies:Raises" in done.stderr
    assert not mark.exists()


def test_an_out_that_is_a_file_is_refused_and_left_alone(data: Path, tmp_path: Path) -> None:
    """Exit 2 and one line, not exit 1 with the operating system's 'File exists'."""
    taken = tmp_path / "notes.txt"
    taken.write_text("the operator's notes", "utf-8")
    grid = "STRATEGY_TREND_FAST_WINDOW=3"
    done = _sweep("--data", data, "--symbols", "BTCTRY", "--grid", grid, "--out", taken)
    assert done.returncode == 2, done.stderr
    assert f"--out {taken} is a file" in done.stderr
    assert taken.read_text("utf-8") == "the operator's notes"


@pytest.mark.timeout(300)
def test_a_full_disk_under_out_is_one_line_and_the_sweep_resumes(
    data: Path, tmp_path: Path
) -> None:
    """Exit 1 naming ``--out`` and its journal; once there is room, the same command finishes.

    The operating system's bare 'No space left on device' is what it said.
    """
    grid = "STRATEGY_TREND_FAST_WINDOW=3,4"
    with small_disk(tmp_path / "disk", "1m") as disk:
        filler = fill(disk)
        os.truncate(filler, filler.stat().st_size - 8192)  # room to start, not to finish
        out = disk / "sw"
        done = _sweep("--data", data, "--symbols", "BTCTRY", "--grid", grid, "--out", out)
        assert done.returncode == 1, done.stderr
        expected = (
            f"btcbot: error: --out {out}: cannot be written (No space left on device); the "
            "finished backtests are kept in its journal: free space there and run the same "
            "command to resume"
        )
        assert done.stderr.strip().splitlines() == [expected]
        filler.unlink()
        again = _sweep("--data", data, "--symbols", "BTCTRY", "--grid", grid, "--out", out)
        assert again.returncode == 0, again.stderr
        assert len(_rows(out)) == 2
