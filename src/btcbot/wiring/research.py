"""What the research commands share: the public client, and a backtest's settings and plan.

Backtest settings are the LIVE process's own variables - SYMBOLS, STRATEGIES, STRATEGY_*,
RISK_*, CYCLE_SECONDS - read from the environment, then ``--settings FILE`` (``NAME=VALUE``
lines), then ``--set NAME=VALUE`` (later wins). The role, database, credential and exchange
variables do not apply: a backtest touches no database and no exchange, so they are replaced.
Every name in a settings file or a ``--set`` must be one btcbot reads (``refuse_unknown``).
``btcbot backtest`` and every point of ``btcbot sweep`` are prepared by ``prepare`` alike.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict
from datetime import date
from pathlib import Path
from typing import Any

from btcbot.adapters.clock import SystemClock
from btcbot.backtest.candles import CandleFileError, CandleSet, candle_paths
from btcbot.backtest.candles import load as load_candles
from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.plan import Plan, plan
from btcbot.domain.errors import ConfigError
from btcbot.domain.fingerprint import plain
from btcbot.exchange.client import BtcturkClient
from btcbot.services.live import strategy_params
from btcbot.settings import Settings, load_settings
from btcbot.settings.loading import env_names, unknown_refusal
from btcbot.settings.model import BTCTURK_GRAPH_URL, BTCTURK_REST_URL
from btcbot.strategy.engine import StrategyLoader
from btcbot.strategy.plugins import load_strategy


def public_client(environ: Mapping[str, str]) -> BtcturkClient:
    """A client for public market data (BTCTURK_BASE_URL / BTCTURK_GRAPH_URL, else BtcTurk's).

    It holds no key, so it cannot sign, and so it cannot trade whatever it is asked.
    """
    base = environ.get("BTCTURK_BASE_URL", "").strip() or BTCTURK_REST_URL
    graph = environ.get("BTCTURK_GRAPH_URL", "").strip() or BTCTURK_GRAPH_URL
    return BtcturkClient(
        base_url=base,
        graph_url=graph,
        api_key=None,
        api_secret=None,
        clock=SystemClock(),
        auto_sync_clock=False,
    )


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


def refuse_unknown(names: Iterable[str], given: str) -> None:
    """Refuse a setting name btcbot does not read, given on purpose (``--set``, ``--grid``...).

    The environment may hold anybody's variables, so there only btcbot's prefixes are checked
    (``load_settings``); a name an operator passed to a research command is meant for btcbot,
    and a typo in it (``MAX_DRAWDOWN_PCT`` for ``RISK_MAX_DRAWDOWN_PCT``) would otherwise run
    the defaults - a sweep of identical points - without a word.
    """
    known = set(env_names())
    unknown = sorted({name for name in names if name not in known})
    if unknown:
        raise unknown_refusal(unknown, given=given)


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
        refuse_unknown([name.strip()], f"--settings {path}:{n}")
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
        refuse_unknown([name.strip()], "--set")
        values[name.strip()] = value.strip()
    return values


def given_settings(args: argparse.Namespace) -> dict[str, str]:
    """What ``--settings FILE`` then each ``--set`` give (later wins), every name checked."""
    given = _settings_file(args.settings) if args.settings is not None else {}
    return given | _pairs(args.set or [])


def backtest_settings(args: argparse.Namespace, environ: dict[str, str]) -> Settings:
    """The LIVE settings a backtest uses (see the module docstring)."""
    known = set(env_names())
    chosen = {k: v for k, v in environ.items() if k in known or k.startswith(("RISK_", "STRATEGY"))}
    chosen |= given_settings(args)
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


def parse_day(raw: str | None, flag: str) -> date | None:
    """``--from``/``--to``: a UTC day like 2025-01-31, or ``None``."""
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


def prepare(
    args: argparse.Namespace,
    candles: CandleSet | None = None,
    *,
    load: StrategyLoader = load_strategy,
) -> tuple[Plan, dict[str, Any]]:
    """Settings, candles (loaded unless given) and the replay plan; a one-line ``ConfigError``.

    ``args`` carries ``data``, ``symbols``, ``settings``, ``set``, ``start`` and ``end`` as
    ``btcbot backtest`` parses them; ``load`` builds the strategies of your own.
    """
    settings = backtest_settings(args, dict(os.environ))
    base = ReplaySetup(
        symbols=settings.symbols,
        strategy=strategy_params(settings),
        limits=settings.risk_limits(),
        cycle_seconds=settings.cycle_seconds,
    )
    record = settings_record(settings, base)
    try:
        if candles is None:
            candles = load_candles(candle_paths(args.data, settings.symbols))
        return (
            plan(
                candles,
                base,
                start=parse_day(args.start, "--from"),
                end=parse_day(args.end, "--to"),
                settings=record,
                load=load,
            ),
            record,
        )
    except CandleFileError as exc:
        raise ConfigError(str(exc)) from None
