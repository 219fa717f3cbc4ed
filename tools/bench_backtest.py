"""Benchmark ``btcbot backtest`` on generated 1-minute candles, next to backtesting.py.

Usage: ``python tools/bench_backtest.py [--minutes 525600] [--symbols 1,10] [--fast] [--floor]
[--trading] [--report] [--peer]``.

* Candles: ``tools/make_candles.py`` with its fixed seed (one symbol-year is 525,600 minutes);
  with ``--symbols 10`` the extra pairs are the generator's further profiles.
* btcbot: the real replay (``btcbot.backtest``: plan, engine, the LIVE decision core, the
  emulator's matching in process) with the default strategies and limits; load time, run time,
  candles per second and the peak RSS of this process (so run one symbol count at a time to
  compare memory: ``--symbols 10``); and the cash identity (start + realized -
  fees - tax = cash + cost of holdings) checked at every row of the equity series.
* Fast (``--fast``): each replay again as ``btcbot backtest --fast`` runs it (minutes in which
  nothing can trade valued, not decided); its time, and whether its fills and rows are the
  step run's.
* Report (``--report``, needs the ``report`` extra): ``btcbot report``'s page of the 1-symbol run
  (its outputs written as ``btcbot backtest --out`` does): render time and HTML size.
* Floor (``--floor``): what every minute of a replay costs before anything is decided or
  written, through the code the replay runs - reading and checking the candle line, the mark
  (replayed price, the synthetic book's top, the mid) and the default strategies' screens - in
  microseconds a minute and seconds a symbol-year: the part no skipping of work can remove.
* Trading (``--trading``): the one-symbol replay again, fast, with the drawdown and daily-loss
  limits out of reach, so the default strategies trade the whole span instead of halting
  after 26 days (as they do on these candles with the default limits): what a strategy that
  keeps trading costs, where fast mode leaves nothing undecided.
* Peer (``--peer``, needs the ``bench`` extra): backtesting.py running an SMA(5)/SMA(20)
  crossover - the default trend strategy's rule - over the first symbol's same candles, with its
  own fills (next bar's open); its time and the ratio.

Not a test: figures depend on the machine; docs/PERFORMANCE.md records them with the machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from decimal import Decimal
from itertools import islice
from pathlib import Path

import psutil

import make_candles  # the candle generator beside this script
from btcbot.backtest.candles import candle_paths, load, scan_series
from btcbot.backtest.engine import EquityRow, ReplaySetup
from btcbot.backtest.plan import plan
from btcbot.backtest.screens import Holding, screens_for
from btcbot.decision import DecisionCore
from btcbot.domain.fingerprint import fill_fingerprint
from btcbot.domain.market import mid_of
from btcbot.domain.trading import RiskLimits
from btcbot.sim.book import top_of_book
from btcbot.sim.feed import ReplayFeed
from btcbot.sim.pairs import spec_for
from btcbot.strategy.params import StrategyParams

MiB = 1024 * 1024
YEAR = 525_600
FLOOR_MINUTES = 100_000  # held in memory for the mark and the screens (a year would be ~300 MB)


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (run one symbol count per process to compare)."""
    try:
        import resource  # noqa: PLC0415 - POSIX only

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    except ImportError:
        return psutil.Process().memory_info().peak_wset / MiB  # type: ignore[attr-defined,no-any-return]


def bench_report(data: Path, symbols: tuple[str, ...], out: Path) -> dict[str, float]:
    """Write the replay's outputs, then time the report page over them."""
    from btcbot.backtest import outputs  # noqa: PLC0415 - only with --report
    from btcbot.report import page  # noqa: PLC0415 - same
    from btcbot.report.data import from_backtest  # noqa: PLC0415 - same

    the_plan = plan(load(candle_paths(data, symbols)), ReplaySetup(symbols=symbols),
                    start=None, end=None, settings={})  # fmt: skip
    result = the_plan.replay().run()
    record = {"symbols": list(symbols)}
    outputs.write_all(
        out,
        {
            "summary.json": outputs.render(outputs.summary(the_plan, result, record)),
            "trades.csv": outputs.trades_csv(result),
            "equity.csv": outputs.equity_csv(result),
        },
    )
    started = time.perf_counter()
    html = page.render(from_backtest(out))
    took = time.perf_counter() - started
    return {"render_s": took, "html_mib": len(html.encode("utf-8")) / MiB}


# Limits no replay of the benchmark reaches: the drawdown at its 100 % ceiling, the daily loss a
# billion TRY. Only the drawdown and daily-loss limits differ from the defaults.
UNREACHED = RiskLimits(
    reduce_at_drawdown_pct=Decimal(100), max_drawdown_pct=Decimal(100),
    max_daily_loss_try=Decimal(10**9),
)  # fmt: skip


def bench_btcbot(
    data: Path, symbols: tuple[str, ...], *, fast: bool, limits: RiskLimits | None = None
) -> dict[str, float | str]:
    """One replay over ``data``; seconds, candles/s, RSS, the fingerprint and a row digest.

    The digest folds each row's instant, cash, equity, holdings and marks (Python's ``hash``:
    comparable within this process only), so the fast run's series can be held to the step's.
    """
    started = time.perf_counter()
    the_plan = plan(
        load(candle_paths(data, symbols)),
        ReplaySetup(symbols=symbols, limits=limits or RiskLimits()),
        start=None,
        end=None,
        settings={},
    )
    loaded = time.perf_counter()
    start = the_plan.setup.sim.start_balance
    counted = {"rows": 0, "broken": 0, "digest": 0}

    def check(row: EquityRow) -> None:
        # As ``btcbot backtest --out`` does, the rows are streamed, not kept; each is checked.
        v = row.valuation
        counted["rows"] += 1
        cost = sum((c for _, _, c in row.holdings), start * 0)
        counted["broken"] += start + v.realized_pnl - v.fees - v.tax != v.cash + cost
        counted["digest"] = hash(
            (counted["digest"], v.at, v.cash, v.equity, row.holdings, row.marks)
        )

    result = the_plan.replay(fast=fast).run(on_row=check)
    done = time.perf_counter()
    candles = result.cycles * len(symbols)
    broken = counted["broken"]
    return {
        "load_s": loaded - started,
        "run_s": done - loaded,
        "candles": candles,
        "candles_per_s": candles / (done - loaded),
        "fills": len(result.fills),
        "rss_mib": peak_rss_mib(),
        "fingerprint": fill_fingerprint(result.fills)[:16],
        "identity": f"cash identity broken at {broken} of {counted['rows']} rows",
        "rows": f"{counted['digest'] & 0xFFFFFFFF:08x}",
        "undecided": result.undecided,
    }


def bench_floor(csv: Path) -> dict[str, float]:
    """Microseconds a minute for the three parts every replayed minute runs, quiet or not."""
    started = time.perf_counter()
    series = scan_series(csv)  # every line read, parsed into Decimals and checked
    read = (time.perf_counter() - started) / len(series.bars)
    bars = list(islice(iter(series.bars), FLOOR_MINUTES))
    spec = spec_for(series.symbol, reference_price=bars[0].open, pair_id=100)
    feed = ReplayFeed(bars, anchor=float(series.first), history_minutes=0)
    started = time.perf_counter()
    for k in range(len(bars)):
        mid_of(*top_of_book(spec, feed.price_at(series.first + 60 * k)))
    mark = (time.perf_counter() - started) / len(bars)
    core = DecisionCore.from_params(StrategyParams(), RiskLimits(), replay=True)
    screens = screens_for(core.strategies.strategies)
    assert screens is not None  # noqa: S101 - the default strategies have screens
    quantum, flat = spec.price_quantum, Holding(Decimal(0), Decimal(0), bars[0].open, Decimal(10))
    started = time.perf_counter()
    for bar in bars:
        close = bar.close.quantize(quantum)
        for screen in screens:
            screen.push(close)
        any(screen.may_signal(flat) for screen in screens)
    screened = (time.perf_counter() - started) / len(bars)
    return {"read_us": read * 1e6, "mark_us": mark * 1e6, "screens_us": screened * 1e6}


def bench_peer(csv: Path) -> dict[str, float]:
    """backtesting.py's SMA(5)/SMA(20) crossover over the same candles."""
    # Its progress bar (tqdm, when installed) would be drawn through btcbot's table: off.
    os.environ.setdefault("TQDM_DISABLE", "1")
    import pandas as pd  # noqa: PLC0415 - benchmark-only dependency
    from backtesting import Backtest, Strategy  # noqa: PLC0415 - same
    from backtesting.lib import crossover  # noqa: PLC0415 - same
    from backtesting.test import SMA  # noqa: PLC0415 - same

    frame = pd.read_csv(csv)
    frame.index = pd.to_datetime(frame.pop("ts"), unit="s")
    frame.columns = ["Open", "High", "Low", "Close", "Volume"]

    class SmaCross(Strategy):  # type: ignore[misc]
        def init(self) -> None:
            self.fast = self.I(SMA, self.data.Close, 5)
            self.slow = self.I(SMA, self.data.Close, 20)

        def next(self) -> None:
            if crossover(self.fast, self.slow):
                self.buy(size=0.5)  # half the equity: no margin refusals after a loss
            elif crossover(self.slow, self.fast):
                self.position.close()

    started = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stats = Backtest(frame, SmaCross, cash=10_000_000, commission=0.0015).run()
    took = time.perf_counter() - started
    return {"run_s": took, "candles_per_s": len(frame) / took, "trades": float(stats["# Trades"])}


def _missing_extra(*, peer: bool, report: bool) -> str:
    """The one-line error for an extra the asked-for runs need and lack (checked before them)."""
    for wanted, module, extra in ((peer, "backtesting", "bench"), (report, "matplotlib", "report")):
        if wanted and importlib.util.find_spec(module) is None:
            return f"{module} is not installed: pip install -e '.[{extra}]'"
    return ""


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=int, default=525_600, help="candles per symbol")
    parser.add_argument("--symbols", default="1,10", help="symbol counts to run (default 1,10)")
    parser.add_argument("--peer", action="store_true", help="also run backtesting.py")
    parser.add_argument("--fast", action="store_true", help="also run each replay in fast mode")
    parser.add_argument("--floor", action="store_true", help="also time every minute's floor")
    parser.add_argument("--report", action="store_true", help="also time the report's page")
    parser.add_argument(
        "--trading", action="store_true", help="also run one symbol with limits never reached"
    )
    args = parser.parse_args()
    missing = _missing_extra(peer=args.peer, report=args.report)
    if missing:
        parser.error(missing)  # before the long runs, not after them; exit 2
    return args


def main() -> int:
    """Generate, run, print a table."""
    args = _arguments()
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )
    with tempfile.TemporaryDirectory(prefix="btcbot-bench-") as tmp:
        counts = [int(n) for n in args.symbols.split(",")]
        # Generated in a child process, so this process's peak RSS is the backtest's alone.
        subprocess.run(
            [sys.executable, make_candles.__file__, "--minutes", str(args.minutes),
             "--symbols", str(max(counts)), "--out", tmp],
            check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        # In the generator's order of its profiles (BTCTRY first), for the --symbols counts.
        paths = [Path(tmp) / f"{p.symbol}.csv" for p in make_candles.profiles(max(counts))]
        names = tuple(p.stem for p in paths)
        ones: dict[str, float] = {}  # the one-symbol run times, step and fast
        for n in counts:
            row = bench_btcbot(Path(tmp), names[:n], fast=False)
            print(
                f"btcbot   {n:>2} symbol(s) x {args.minutes} min: load {row['load_s']:.1f} s, "
                f"run {row['run_s']:.1f} s, {row['candles_per_s']:,.0f} candles/s, "
                f"{row['fills']} fills, RSS {row['rss_mib']:.0f} MiB, fills {row['fingerprint']}, "
                f"rows {row['rows']}"
            )
            print(f"         {row['identity']} (start + realized - fees - tax = cash + cost)")
            if n == 1:
                ones["step"] = float(row["run_s"])
            if not args.fast:
                continue
            quick = bench_btcbot(Path(tmp), names[:n], fast=True)
            same = all(quick[k] == row[k] for k in ("fingerprint", "rows", "fills"))
            print(
                f"  --fast {n:>2} symbol(s) x {args.minutes} min: run {quick['run_s']:.1f} s, "
                f"{quick['candles_per_s']:,.0f} candles/s, {quick['undecided']:,} cycles "
                f"undecided, fills {quick['fingerprint']}, rows {quick['rows']}: "
                + ("the same fills and rows" if same else "DIFFERENT fills or rows")
            )
            if n == 1:
                ones["fast"] = float(quick["run_s"])
        if args.trading:
            held = bench_btcbot(Path(tmp), names[:1], fast=True, limits=UNREACHED)
            print(
                f"trading   1 symbol  x {args.minutes} min, limits never reached, --fast: run "
                f"{held['run_s']:.1f} s, {held['candles_per_s']:,.0f} candles/s, "
                f"{held['fills']} fills, {held['undecided']:,} cycles undecided, "
                f"{held['identity']}"
            )
        if args.report:
            rep = bench_report(Path(tmp), names[:1], Path(tmp) / "out")
            print(
                f"report    1 symbol  x {args.minutes} min: render {rep['render_s']:.1f} s, "
                f"HTML {rep['html_mib']:.2f} MiB"
            )
        if args.floor:
            floor = bench_floor(paths[0])
            each = floor["read_us"] + floor["mark_us"] + floor["screens_us"]
            print(
                f"floor     1 symbol, per minute: read {floor['read_us']:.1f} us, mark "
                f"{floor['mark_us']:.1f} us, screens {floor['screens_us']:.1f} us = {each:.1f} us;"
                f" x {YEAR:,} minutes = {each * YEAR / 1e6:.1f} s a symbol-year before any "
                "decision, valuation or row"
            )
        if args.peer:
            peer = bench_peer(paths[0])
            print(
                f"peer      1 symbol  x {args.minutes} min: run {peer['run_s']:.1f} s, "
                f"{peer['candles_per_s']:,.0f} candles/s, {peer['trades']:.0f} trades "
                "(backtesting.py, SMA(5)/SMA(20) crossover)"
            )
            for mode, took in ones.items():
                ratio = took / peer["run_s"]
                print(f"ratio    btcbot ({mode}) / backtesting.py time, 1 symbol: {ratio:.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
