"""Benchmark one LIVE cycle's own cost on the in-process emulator, and memory over many cycles.

Usage: ``python tools/bench_cycle.py [--timed 300] [--memory 10000] [--skip-memory]``.

* Timing: the real cycle (market data, decision, execution, reconciliation, the one commit) of
  ``btcbot demo``'s stack, driven directly so only the cycle is timed - no sleeping, no status
  file, no metrics. p50 and p99 over ``--timed`` cycles, for 1 symbol and for 10 symbols (the
  extra nine are the bundled BTCTRY candles rescaled, written to a temp dir).
* Memory: RSS of this process after the stack is built and after every 10 % of ``--memory``
  cycles (1 symbol), plus the tracemalloc peak of the last 1 000 cycles.

Not a test: figures depend on the machine; docs/PERFORMANCE.md records them with the machine.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import psutil

from btcbot.adapters.clock import Clock
from btcbot.exchange.transport import EmulatorTransport
from btcbot.settings import Settings
from btcbot.sim.datasets import bundled_paths
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DemoOptions, InProcessLive, in_process_live
from btcbot.wiring.live_cycle import build_cycle

MiB = 1024 * 1024


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    return build_live(settings, clock=clock, transport=transport)


def _symbol_files(directory: Path, count: int) -> tuple[Path, ...]:
    """``count`` candle files: BTCTRY as bundled, then rescaled copies named S01TRY, S02TRY..."""
    source = bundled_paths()[0]
    lines = source.read_text(encoding="utf-8").splitlines()
    paths = [source]
    for n in range(1, count):
        scale = 1 + n / 10
        out = [lines[0]]
        for line in lines[1:]:
            ts, *values, volume = line.split(",")
            out.append(",".join([ts, *(f"{float(v) * scale:.0f}" for v in values), volume]))
        path = directory / f"S{n:02d}TRY.csv"
        path.write_text("\n".join(out) + "\n", encoding="utf-8")
        paths.append(path)
    return tuple(paths)


def _drive(live: InProcessLive, cycles: int, each: Callable[[int, float], None]) -> None:
    """Run ``cycles`` cycles back to back, advancing the shared clock one period after each."""
    cycle = build_cycle(live.options, live.deps, live.client)
    if not cycle.startup():
        raise SystemExit("startup reconciliation failed on the emulator")
    for n in range(1, cycles + 1):
        started = time.perf_counter()
        outcome = cycle(n)
        each(n, time.perf_counter() - started)
        if outcome.error is not None:
            raise SystemExit(f"cycle {n} failed: {outcome.error}")
        live.clock.advance(live.options.cycle_seconds)


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def timing(symbols: int, cycles: int) -> str:
    """p50/p99 of one cycle with ``symbols`` symbols."""
    with tempfile.TemporaryDirectory() as tmp:
        data = _symbol_files(Path(tmp), symbols)
        opts = DemoOptions(workspace=Path(tmp) / "ws", data=data)
        durations: list[float] = []
        with in_process_live(opts, _build) as live:
            _drive(live, cycles, lambda _n, seconds: durations.append(seconds))
    ms = [d * 1000 for d in durations[10:]]  # the first cycles fill caches and candle windows
    return (
        f"{symbols:>2} symbol(s), {len(ms)} cycles: p50 {_percentile(ms, 50):.1f} ms, "
        f"p99 {_percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms"
    )


def memory(cycles: int) -> list[str]:
    """RSS every 10 % of ``cycles`` (1 symbol) and the tracemalloc peak of the last 1 000."""
    proc = psutil.Process(os.getpid())
    lines: list[str] = []
    step = max(cycles // 10, 1)
    traced_from = max(cycles - 1000, 1)

    def each(n: int, _seconds: float) -> None:
        if n == traced_from:
            tracemalloc.start()
        if n % step == 0:
            lines.append(f"after {n:>6} cycles: RSS {proc.memory_info().rss / MiB:.1f} MiB")

    with tempfile.TemporaryDirectory() as tmp:
        opts = DemoOptions(workspace=Path(tmp) / "ws")
        with in_process_live(opts, _build) as live:
            lines.append(f"stack built:        RSS {proc.memory_info().rss / MiB:.1f} MiB")
            _drive(live, cycles, each)
            db = live.settings.state_db_path
            wal = Path(f"{db}-wal")
            size = db.stat().st_size + (wal.stat().st_size if wal.exists() else 0)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    traced = cycles - traced_from + 1
    lines.append(f"tracemalloc peak over the last {traced} cycles: {peak / MiB:.1f} MiB")
    lines.append(f"live DB + WAL after {cycles} cycles: {size / MiB:.1f} MiB")
    return lines


def main(argv: list[str]) -> int:
    """Print the machine, the timings and the memory figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timed", type=int, default=300, help="cycles timed per symbol count")
    parser.add_argument("--memory", type=int, default=10_000, help="cycles of the memory run")
    parser.add_argument("--skip-memory", action="store_true", help="timings only")
    args = parser.parse_args(argv)
    ram = psutil.virtual_memory().total / MiB / 1024
    print(
        f"machine: {platform.platform()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, {ram:.1f} GiB RAM"
    )
    for symbols in (1, 10):
        print(timing(symbols, args.timed), flush=True)
    if not args.skip_memory:
        for line in memory(args.memory):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
