"""``btcbot backtest``: the LIVE decisions replayed over candle files (docs/BACKTEST.md).

Settings and the replay plan come from ``btcbot.wiring.research.prepare`` (shared with
``btcbot sweep``, so a sweep's point is exactly this command with its ``--set`` values).
"""

from __future__ import annotations

import argparse
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from btcbot.backtest import outputs
from btcbot.backtest.candles import CandleFileError
from btcbot.backtest.engine import EquityRow, ReplayResult, RowSink, StrategyFailedError
from btcbot.backtest.lookahead import LookaheadReport, check_lookahead
from btcbot.backtest.plan import Plan
from btcbot.backtest.watchdog import Watchdog
from btcbot.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from btcbot.commands.writing import writing
from btcbot.decision import DecisionCore
from btcbot.domain.errors import ConfigError
from btcbot.strategy.engine import StrategyLoader
from btcbot.wiring.research import prepare


def _replay(
    the_plan: Plan, args: argparse.Namespace, rows: RowSink, load: StrategyLoader
) -> tuple[ReplayResult, LookaheadReport | None]:
    """The run, its rows to ``rows``; with ``--check-lookahead`` also its re-runs on cut data."""
    if not args.check_lookahead:
        return the_plan.replay(fast=args.fast).run(on_row=rows), None
    setup = the_plan.setup
    lookahead = check_lookahead(
        the_plan.feeds,
        setup,
        lambda _feeds: DecisionCore.from_params(
            setup.strategy, setup.limits, replay=True, load=load
        ),
        sample=args.lookahead_sample,
        on_row=rows,
    )
    return lookahead.full, lookahead


def _lookahead_section(lookahead: LookaheadReport) -> dict[str, Any]:
    return {
        "biased_signals": len(lookahead.biased),
        "signals": lookahead.signals,
        "checked_cycles": lookahead.checked_cycles,
        "biased": [b.line() for b in lookahead.biased],
    }


def _human(document: dict[str, Any], symbols: tuple[str, ...], out: Path | None) -> str:
    c, span = document["counts"], document["span"]
    lines = [
        (
            f"btcbot backtest: {c['cycles']} cycles over {', '.join(symbols)} "
            f"({span['first_cycle']} to {span['last_cycle']})"
        ),
        (
            f"  orders {c['orders_submitted']} (rejected {c['orders_rejected']}), "
            f"fills {c['fills']}, cancels {c['cancels']}"
        ),
        (
            f"  realized {document['realized_pnl']}  unrealized {document['unrealized_pnl']}  "
            f"fees {document['fees']}  tax {document['tax']}"
        ),
        (
            f"  equity {document['start_equity']} -> {document['final_equity']} "
            f"({document['return_pct']} %), max drawdown {document['max_drawdown_pct']} %"
        ),
        f"  signals {c['signals']}, risk rejections {c['risk_rejections']}"
        + (
            f" (--fast: {c['undecided_cycles']} cycles in which nothing could trade not decided)"
            if c["undecided_cycles"]
            else ""
        ),
        f"  fingerprint {document['fingerprint']}",
        f"  input       {document['input_sha256']}",
    ]
    if out is not None:
        lines.append(f"  written to  {out}")
    section = document.get("lookahead")
    if section is not None:
        lines.append(
            f"lookahead: {section['biased_signals']} biased signals ({section['checked_cycles']} "
            f"signal cycles re-run, of {section['signals']} signals)"
        )
        lines += [f"  biased: {line}" for line in section["biased"]]
    return "\n".join(lines)


# The staging directory is removed on any failure, so nothing half-written is left.
_NOTHING_KEPT = "nothing was kept: free space there or pass another --out"

Outcome = tuple[ReplayResult, LookaheadReport | None]


def _run(replay: Callable[[], Outcome]) -> Outcome:
    try:
        return replay()
    except (StrategyFailedError, CandleFileError) as exc:
        # A candle file is read again as the replay goes: one changed since it was checked
        # stops the run here, with its name (nothing is published).
        raise ConfigError(str(exc)) from None


def _discard(_row: EquityRow) -> None:
    """No ``--out``: the summary needs no row kept (its drawdown is a running maximum)."""


def _staging(out: Path) -> Path:
    try:
        return outputs.staging_for(out)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _publish(staging: Path, out: Path, document: dict[str, Any], result: ReplayResult) -> None:
    """summary.json and trades.csv beside the equity.csv ``staging`` holds, then ``out`` at once."""
    named = {"summary.json": outputs.render(document), "trades.csv": outputs.trades_csv(result)}
    try:
        outputs.publish(staging, out, named)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def _check_flags(args: argparse.Namespace) -> None:
    """Refuse flags that contradict or an ``--out`` in use, before anything is read."""
    if args.out is None and not args.json:
        raise ConfigError("pass --out DIR for the trades, equity and summary files, or --json")
    if args.fast and args.check_lookahead:
        raise ConfigError(
            "--fast leaves minutes undecided that --check-lookahead must see: drop one of them"
        )
    if args.lookahead_sample < 0:
        raise ConfigError(
            f"--lookahead-sample {args.lookahead_sample}: N signal cycles, 0 for every one"
        )
    try:
        if args.out is not None:
            outputs.check_out(args.out)  # before the run: earlier results are never at risk
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def run_backtest_command(args: argparse.Namespace) -> int:
    """Run the replay, write ``--out`` atomically, print the summary (or its JSON).

    Exit 0, or 1 when ``--check-lookahead`` found a biased signal (listed, and in the summary).
    """
    _check_flags(args)
    with Watchdog() as dog:  # a strategy of your own that never returns stops the run
        the_plan, record = prepare(args, load=dog.load)
        if args.out is None:
            result, lookahead = _run(lambda: _replay(the_plan, args, _discard, dog.load))
        else:
            # The equity series goes to its file as the replay runs; it is never held whole.
            with writing(args.out, _NOTHING_KEPT):
                staging = _staging(args.out)
                try:
                    symbols = the_plan.setup.symbols
                    with outputs.EquityFile(staging / "equity.csv", symbols) as rows:
                        result, lookahead = _run(lambda: _replay(the_plan, args, rows, dog.load))
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
    document = outputs.summary(the_plan, result, record)
    if lookahead is not None:
        document["lookahead"] = _lookahead_section(lookahead)
    if args.out is not None:
        with writing(args.out, _NOTHING_KEPT):
            _publish(staging, args.out, document, result)
    if args.json:
        sys.stdout.write(outputs.render(document))
    else:
        print(_human(document, the_plan.setup.symbols, args.out))
    return EXIT_FAILURE if lookahead is not None and lookahead.biased else EXIT_OK
