"""Benchmark one LIVE cycle's own cost on the in-process emulator, and memory over many cycles.

Usage: ``python tools/bench_cycle.py [--timed 300] [--memory 10000] [--skip-memory]``.

* Timing: the real cycle (market data, decision, execution, reconciliation, the one commit) of
  ``btcbot demo``'s stack, driven directly so only the cycle is timed - no sleeping, no status
  file, no metrics. p50 and p99 over ``--timed`` cycles, for 1 symbol and for 10 symbols (the
  extra nine are the bundled BTCTRY candles rescaled, written to a temp dir). "bot" is the
  cycle minus the time spent inside the emulator's transport (its WSGI app and matching
  engine): what the cycle costs btcbot itself, httpx request building and parsing included.
* Requests: every request the cycle sends, by endpoint, per cycle and per cycle and symbol.
* Connections: SQLite connections the LIVE process opened per 100 cycles.
* Memory: RSS of this process after the stack is built and after every 10 % of ``--memory``
  cycles (1 symbol), plus the tracemalloc peak of the last 1 000 cycles.

Not a test: figures depend on the machine; docs/PERFORMANCE.md records them with the machine.
"""

from __future__ import annotations

import argparse
import collections
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any, Self

import httpx
import psutil

from btcbot.adapters.clock import Clock
from btcbot.exchange.transport import EmulatorTransport
from btcbot.settings import Settings
from btcbot.sim.datasets import bundled_paths
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DemoOptions, InProcessLive, in_process_live
from btcbot.wiring.live_cycle import build_cycle

MiB = 1024 * 1024


class _Meter(httpx.BaseTransport):
    """Counts the cycle's requests by endpoint and the seconds spent inside the emulator."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.requests: collections.Counter[str] = collections.Counter()
        self.emulator_seconds = 0.0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve through the emulator, counting and timing it."""
        path = "/".join("{id}" if part.isdigit() else part for part in request.url.path.split("/"))
        self.requests[f"{request.method} {path}"] += 1
        started = time.perf_counter()
        try:
            return self.inner.handle_request(request)
        finally:
            self.emulator_seconds += time.perf_counter() - started

    def reset(self) -> None:
        """Forget what was counted (after start-up)."""
        self.requests.clear()
        self.emulator_seconds = 0.0


_METERS: list[_Meter] = []


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    meter = _Meter(transport)
    _METERS.append(meter)
    return build_live(settings, clock=clock, transport=meter)


class _Connections:
    """Counts ``sqlite3.connect`` calls made through btcbot's one connection factory."""

    def __init__(self) -> None:
        self.opened = 0
        self._real = sqlite3.connect

    def __enter__(self) -> Self:
        def counting(*args: Any, **kwargs: Any) -> sqlite3.Connection:
            self.opened += 1
            conn: sqlite3.Connection = self._real(*args, **kwargs)
            return conn

        sqlite3.connect = counting  # type: ignore[assignment]
        return self

    def __exit__(self, *_exc: object) -> None:
        sqlite3.connect = self._real


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


def _drive(
    live: InProcessLive,
    cycles: int,
    each: Callable[[int, float], None],
    after_startup: Callable[[], None] = lambda: None,
) -> None:
    """Run ``cycles`` cycles back to back, advancing the shared clock one period after each."""
    cycle = build_cycle(live.options, live.deps, live.client)
    if not cycle.startup():
        raise SystemExit("startup reconciliation failed on the emulator")
    after_startup()
    for n in range(1, cycles + 1):
        started = time.perf_counter()
        outcome = cycle(n)
        each(n, time.perf_counter() - started)
        if outcome.error is not None:
            raise SystemExit(f"cycle {n} failed: {outcome.error}")
        live.clock.advance(live.options.cycle_seconds)


def _percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def timing(symbols: int, cycles: int) -> list[str]:
    """p50/p99 of one cycle with ``symbols`` symbols, its requests and its connections."""
    with tempfile.TemporaryDirectory() as tmp, _Connections() as connections:
        data = _symbol_files(Path(tmp), symbols)
        opts = DemoOptions(workspace=Path(tmp) / "ws", data=data)
        durations: list[float] = []
        own: list[float] = []
        with in_process_live(opts, _build) as live:
            meter = _METERS[-1]
            opened_at_start = 0

            def started() -> None:
                nonlocal opened_at_start
                meter.reset()
                opened_at_start = connections.opened

            def each(_n: int, seconds: float) -> None:
                durations.append(seconds)
                own.append(seconds - meter.emulator_seconds)
                meter.emulator_seconds = 0.0

            _drive(live, cycles, each, after_startup=started)
            requests = dict(meter.requests)
            opened = connections.opened - opened_at_start
    ms = [d * 1000 for d in durations[10:]]  # the first cycles fill caches and candle windows
    bot = [d * 1000 for d in own[10:]]
    total = sum(requests.values()) / cycles
    lines = [
        (
            f"{symbols:>2} symbol(s), {len(ms)} cycles: p50 {_percentile(ms, 50):.1f} ms, "
            f"p99 {_percentile(ms, 99):.1f} ms, max {max(ms):.1f} ms; bot's own share p50 "
            f"{_percentile(bot, 50):.1f} ms, p99 {_percentile(bot, 99):.1f} ms"
        ),
        (
            f"   requests per cycle: {total:.2f} ({total / symbols:.2f} per symbol); "
            f"SQLite connections opened per 100 cycles: {opened * 100 / cycles:.0f}"
        ),
    ]
    for endpoint, count in sorted(requests.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(
            f"     {endpoint:<40} {count / cycles:6.2f} per cycle, "
            f"{count / cycles / symbols:5.2f} per cycle and symbol"
        )
    return lines


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
            db_size = db.stat().st_size
            wal_size = wal.stat().st_size if wal.exists() else 0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    traced = cycles - traced_from + 1
    lines.append(f"tracemalloc peak over the last {traced} cycles: {peak / MiB:.1f} MiB")
    # The process keeps its connection open, so the WAL file stays (reused after each
    # checkpoint, about 4 MiB at SQLite's default 1,000 pages) instead of going with the last
    # connection: the database file is the figure that grows with the history.
    lines.append(
        f"live DB after {cycles} cycles: {db_size / MiB:.1f} MiB (+ WAL {wal_size / MiB:.1f} MiB)"
    )
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
        for line in timing(symbols, args.timed):
            print(line, flush=True)
    if not args.skip_memory:
        for line in memory(args.memory):
            print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
