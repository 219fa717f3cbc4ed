"""``btcbot backtest``: the LIVE decisions replayed over candle files (docs/BACKTEST.md).

Settings are the LIVE process's own variables - SYMBOLS, STRATEGIES, STRATEGY_*, RISK_* - read
from the environment, then ``--settings FILE`` (``NAME=VALUE`` lines), then ``--set NAME=VALUE``
(later wins). The role, database, credential and exchange variables do not apply: a backtest
touches no database and no exchange, so they are replaced, never needed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from btcbot.backtest import outputs
from btcbot.backtest.candles import CandleFileError, candle_paths, load
from btcbot.backtest.engine import Replay, ReplayResult, ReplaySetup, StrategyFailedError
from btcbot.backtest.lookahead import LookaheadReport, check_lookahead
from btcbot.backtest.plan import Plan, plan
from btcbot.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from btcbot.decision import DecisionCore
from btcbot.domain.errors import ConfigError
from btcbot.domain.fingerprint import plain
from btcbot.services.live import strategy_params
from btcbot.settings import Settings, load_settings
from btcbot.settings.loading import env_names

# Variables of the LIVE process a backtest has no use for: they are set to inert values.
_NOT_FOR_BACKTEST = (
    "APP_",
    "BTCTURK_",
    "STATE_",
    "CONTROL_",
    "LIVE_",
    "PAPER_",
    "SIM_",
    "EXCHANGE",
)


def _settings_file(path: Path) -> dict[str, str]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--settings {path}: cannot be read ({exc})") from None
    values = {}
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--settings {path}:{n}: expected NAME=VALUE, got {line!r}")
        values[name.strip()] = value.strip()
    return values


def _pairs(items: list[str]) -> dict[str, str]:
    values = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ConfigError(
                f"--set {item!r}: expected NAME=VALUE, e.g. --set RISK_MAX_OPEN_ORDERS=2"
            )
        values[name.strip()] = value.strip()
    return values


def backtest_settings(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    """The LIVE settings a backtest uses (see the module docstring)."""
    known = set(env_names())
    chosen = {k: v for k, v in environ.items() if k in known or k.startswith(("RISK_", "STRATEGY"))}
    if args.settings is not None:
        chosen |= _settings_file(args.settings)
    chosen |= _pairs(args.set or [])
    chosen = {k: v for k, v in chosen.items() if not k.upper().startswith(_NOT_FOR_BACKTEST)}
    if args.symbols:
        chosen["SYMBOLS"] = args.symbols
    scratch = Path(tempfile.gettempdir()).resolve()
    chosen |= {
        "APP_ROLE": "live",
        "EXCHANGE": "sim",
        "LIVE_TRADING": "false",
        "SAFE_MODE": "false",
        "KILL_SWITCH": "false",
        "STATE_DB_PATH": str(scratch / "btcbot-backtest-unused.db"),
        "CONTROL_DIR": str(scratch / "btcbot-backtest-unused"),
    }
    return load_settings(chosen)


def _date(raw: str | None, flag: str) -> date | None:
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{flag} {raw!r}: expected a date like 2025-01-31") from None


def settings_record(settings: Settings, setup: ReplaySetup) -> dict[str, Any]:
    """The settings a summary records (and ``input_sha256`` covers), as plain JSON."""

    def plainly(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: plainly(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plainly(v) for v in value]
        if hasattr(value, "is_finite"):
            return plain(value)
        return value if isinstance(value, int | float | str | bool) or value is None else str(value)

    return {
        "symbols": list(settings.symbols),
        "strategy": plainly(asdict(setup.strategy)),
        "limits": plainly(asdict(setup.limits)),
        "cycle_seconds": setup.cycle_seconds,
        "order_ttl_seconds": int(setup.order_ttl.total_seconds()),
        "start_balance": plain(setup.sim.start_balance),
        "fees": plainly(asdict(setup.sim.fees)),
        "seed": setup.sim.seed,
    }


def prepare(args: argparse.Namespace) -> tuple[Plan, dict[str, Any]]:
    """Settings, candles and the replay plan; a ``ConfigError`` naming what is wrong."""
    settings = backtest_settings(args, dict(os.environ))
    base = ReplaySetup(
        symbols=settings.symbols,
        strategy=strategy_params(settings),
        limits=settings.risk_limits(),
        cycle_seconds=settings.cycle_seconds,
    )
    record = settings_record(settings, base)
    try:
        candles = load(candle_paths(args.data, settings.symbols))
        return (
            plan(
                candles,
                base,
                start=_date(args.start, "--from"),
                end=_date(args.end, "--to"),
                settings=record,
            ),
            record,
        )
    except CandleFileError as exc:
        raise ConfigError(str(exc)) from None


def _replay(
    the_plan: Plan, args: argparse.Namespace
) -> tuple[ReplayResult, LookaheadReport | None]:
    """The run, or with ``--check-lookahead`` the run and its re-runs on cut data."""
    setup = the_plan.setup
    if not args.check_lookahead:
        return Replay(the_plan.feeds, setup).run(), None
    lookahead = check_lookahead(
        the_plan.feeds,
        setup,
        lambda _feeds: DecisionCore.from_params(setup.strategy, setup.limits),
        sample=args.lookahead_sample,
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


def run_backtest_command(args: argparse.Namespace) -> int:
    """Run the replay, write ``--out`` atomically, print the summary (or its JSON).

    Exit 0, or 1 when ``--check-lookahead`` found a biased signal (listed, and in the summary).
    """
    if args.out is None and not args.json:
        raise ConfigError("pass --out DIR for the trades, equity and summary files, or --json")
    try:
        if args.out is not None:
            outputs.check_out(args.out)  # before the run: earlier results are never at risk
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    the_plan, record = prepare(args)
    try:
        result, lookahead = _replay(the_plan, args)
    except StrategyFailedError as exc:
        raise ConfigError(str(exc)) from None
    document = outputs.summary(the_plan, result, record)
    if lookahead is not None:
        document["lookahead"] = _lookahead_section(lookahead)
    if args.out is not None:
        files = {
            "summary.json": outputs.render(document),
            "trades.csv": outputs.trades_csv(result),
            "equity.csv": outputs.equity_csv(result),
        }
        try:
            outputs.write_all(args.out, files)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    if args.json:
        sys.stdout.write(outputs.render(document))
    else:
        print(_human(document, the_plan.setup.symbols, args.out))
    return EXIT_FAILURE if lookahead is not None and lookahead.biased else EXIT_OK
