"""Benchmark ``btcbot sweep``: points per second with 1 and 2 workers, and the engine's overhead.

Usage: ``python tools/bench_sweep.py [--points 12] [--days 3]``.

* Candles: ``tools/make_candles.py`` (fixed seed), one symbol, ``--days`` days; every point is a
  backtest of them at 5-minute cycles (a grid over the trend's two windows).
* Sweeps with local processes (1 and 2 workers) and a Dask ``LocalCluster`` (2 workers): wall
  time and points per second, each including the engine's start-up.
* Overhead: the same tasks run in a bare loop in this process (``run_task`` one after the
  other, no engine); per-task overhead = (sweep time x workers - bare time) / points.

Not a test: figures depend on the machine; docs/PERFORMANCE.md records them with the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from pathlib import Path

import make_candles  # the candle generator beside this script
from btcbot.backtest.candles import at, candle_paths, load
from btcbot.sweep.space import grid, windows
from btcbot.sweep.study import Study, run_study, task_for
from btcbot.sweep.tasks import run_task

FAST = (3, 5, 8, 10)
SLOW = (12, 20, 30, 40, 50, 60)


def _study(data: Path, out: Path, points: int, workers: int, scheduler: str | None) -> Study:
    combos = [f"{f},{s}" for f in FAST for s in SLOW][:points]
    fast = sorted({c.split(",")[0] for c in combos}, key=int)
    slow = sorted({c.split(",")[1] for c in combos}, key=int)
    chosen = grid([f"STRATEGY_TREND_FAST_WINDOW={','.join(fast)}",
                   f"STRATEGY_TREND_SLOW_WINDOW={','.join(slow)}"])[:points]  # fmt: skip
    candles = load(candle_paths(data, ("BTCTRY",)))
    first, last = at(candles.first).date(), at(candles.last).date()
    return Study(
        data=str(data),
        symbols="BTCTRY",
        settings=None,
        base_sets=("CYCLE_SECONDS=300",),
        points=tuple(chosen),
        windows=tuple(windows(None, first, last)),
        objective="sharpe",
        out=out,
        workers=workers,
        scheduler=scheduler,
    )


def main() -> int:
    """Generate, sweep three ways, time a bare loop, print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=12)
    parser.add_argument("--days", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="btcbot-bench-sweep-") as tmp:
        root = Path(tmp)
        make_candles.write(root / "data", minutes=args.days * 1440, symbols=1)
        data = root / "data"
        runs = [("local processes", 1, None), ("local processes", 2, None),
                ("dask LocalCluster", 2, "local")]  # fmt: skip
        timings = {}
        for n, (name, workers, scheduler) in enumerate(runs):
            study = _study(data, root / f"out{n}", args.points, workers, scheduler)
            started = time.perf_counter()
            outcome = run_study(study)
            took = time.perf_counter() - started
            timings[(name, workers)] = took
            print(f"{name:<18} {workers} worker(s): {len(outcome.rows)} points in {took:.1f} s, "
                  f"{len(outcome.rows) / took:.2f} points/s")  # fmt: skip
        study = _study(data, root / "bare", args.points, 1, None)
        tasks = [task_for(study, p, study.windows[0], "full") for p in study.points]
        started = time.perf_counter()
        for task in tasks:
            run_task(task)
        bare = time.perf_counter() - started
        print(f"bare loop (no engine): {len(tasks)} points in {bare:.1f} s, "
              f"{bare / len(tasks):.3f} s/point")  # fmt: skip
        for (name, workers), took in timings.items():
            overhead = (took * workers - bare) / len(tasks)
            print(f"overhead per task, {name}, {workers} worker(s): {overhead * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
