"""``btcbot sweep``: many backtests over a grid or random draws, walk-forward, local or on Dask.

Everything that can be refused is refused before the first task runs, with one line (exit 2):
an unknown NAME or a value it rejects, a point whose settings contradict (checked for every
point), an empty grid, an unknown objective, data the windows do not fit, an unreachable
scheduler. See docs/SWEEP.md.
"""

from __future__ import annotations

import argparse
import os
import sys

from btcbot.backtest.candles import CandleFileError, at, candle_paths, load
from btcbot.commands.exit_codes import EXIT_INTERRUPTED, EXIT_OK
from btcbot.commands.progress import progress
from btcbot.commands.writing import a_directory, writing
from btcbot.decision import DecisionCore
from btcbot.domain.errors import ConfigError
from btcbot.observability.atomic import SHARED_READABLE, atomic_write_text
from btcbot.services.live import strategy_params
from btcbot.sweep.space import Point, grid, random_points, windows
from btcbot.sweep.study import OBJECTIVES, Study, run_study
from btcbot.wiring.research import (
    backtest_settings,
    given_settings,
    parse_day,
    refuse_unknown,
)

_RESUMABLE = (
    "the finished backtests are kept in its journal: free space there and run the same "
    "command to resume"
)


def _points(args: argparse.Namespace) -> list[Point]:
    if args.grid and args.random:
        raise ConfigError("pass --grid or --random, not both")
    if args.grid:
        points, flag = grid(args.grid), "--grid"
    elif args.random is not None:
        points, flag = random_points(args.random, args.seed, args.range or []), "--range"
    else:
        raise ConfigError("pass --grid NAME=V1,V2,... or --random N --range NAME=LO..HI")
    refuse_unknown({name for point in points for name, _ in point.params}, flag)
    return points


def _check_point(args: argparse.Namespace, point: Point, environ: dict[str, str]) -> None:
    """The point's settings load and build a decision core (its strategies import, too)."""
    ns = argparse.Namespace(
        settings=args.settings, set=[*(args.set or []), *point.sets()], symbols=args.symbols
    )
    try:
        settings = backtest_settings(ns, environ)
        DecisionCore.from_params(strategy_params(settings), settings.risk_limits())
    except ConfigError as exc:
        raise ConfigError(f"point {', '.join(point.sets())}: {exc}") from None


def build_study(args: argparse.Namespace) -> Study:
    """The study the arguments describe, every point and window checked."""
    if args.objective not in OBJECTIVES:
        raise ConfigError(f"--objective {args.objective!r}: one of {', '.join(OBJECTIVES)}")
    if args.workers is not None and args.workers < 1:
        raise ConfigError("--workers must be at least 1")
    a_directory(args.out, "a new one, or a sweep's to resume it")
    given_settings(args)  # a bad name in --settings or --set is refused as such, not per point
    points = _points(args)
    environ = dict(os.environ)
    for point in points:
        _check_point(args, point, environ)
    symbols = tuple(s.strip().upper() for s in args.symbols.split(",")) if args.symbols else ()
    try:
        candles = load(candle_paths(args.data, symbols))
    except CandleFileError as exc:
        raise ConfigError(str(exc)) from None
    first, last = at(candles.first).date(), at(candles.last).date()
    start, end = parse_day(args.start, "--from"), parse_day(args.end, "--to")
    first, last = max(first, start) if start else first, min(last, end) if end else last
    if first > last:
        raise ConfigError(f"--from/--to: no day of the data lies in {args.start}..{args.end}")
    spans = tuple(windows(args.walk_forward, first, last))
    # Never more processes than backtests: on Linux a pool forks all its workers at once, so
    # --workers 1000 over two points started a thousand processes on the host LIVE runs on.
    workers = min(args.workers or os.cpu_count() or 1, len(points) * len(spans))
    return Study(
        data=str(args.data.resolve()),
        symbols=args.symbols,
        settings=str(args.settings.resolve()) if args.settings else None,
        base_sets=tuple(args.set or []),
        points=tuple(points),
        windows=spans,
        objective=args.objective,
        out=args.out,
        workers=workers,
        scheduler=args.scheduler,
    )


def run_sweep_command(args: argparse.Namespace) -> int:
    """Check, run (or resume), write results.csv, best.json and report.html."""
    study = build_study(args)
    walk = study.windows[0].test is not None
    total = len(study.points) * len(study.windows) + (len(study.windows) if walk else 0)
    try:
        with progress(total, unit="backtest", desc="sweep") as bar, writing(study.out, _RESUMABLE):
            outcome = run_study(study, on_row=bar.step)
    except KeyboardInterrupt:
        why = "interrupted: finished points are kept in --out; run again to resume"
        print(why, file=sys.stderr)
        return EXIT_INTERRUPTED
    from btcbot.report.charts import MissingExtraError  # noqa: PLC0415 - only to draw
    from btcbot.sweep import page  # noqa: PLC0415 - same

    try:
        text = page.render(study, outcome.rows, outcome.best)
    except MissingExtraError as exc:
        raise ConfigError(str(exc)) from None
    with writing(study.out, _RESUMABLE):
        atomic_write_text(study.out / "report.html", text, mode=SHARED_READABLE)
    oos = outcome.best.get("out_of_sample_return_pct")
    print(
        f"btcbot sweep: {len(study.points)} points x {len(study.windows)} window(s): "
        f"computed {outcome.computed}, reused {outcome.reused}"
        + (f"; out-of-sample return {oos:+.2f} %" if oos is not None else "")
        + f" -> {study.out}"
    )
    return EXIT_OK
