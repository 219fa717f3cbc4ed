"""``btcbot demo``: LIVE dry run on the in-process emulator, MONITOR health, a short report."""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from btcbot.commands.exit_codes import EXIT_FAILURE, EXIT_OK
from btcbot.domain.errors import ConfigError
from btcbot.settings.parsing import SettingValueError, parse_strategies
from btcbot.wiring import build_live
from btcbot.wiring.demo import DemoOptions, run_demo

_MAX_CYCLES = 100_000


def run_demo_command(args: argparse.Namespace) -> int:
    """Print the report; exit 0 when the MONITOR found everything healthy, 1 otherwise."""
    if not 1 <= args.cycles <= _MAX_CYCLES:
        raise ConfigError(f"--cycles must be between 1 and {_MAX_CYCLES} (got {args.cycles})")
    workspace = args.workspace or Path(tempfile.mkdtemp(prefix="btcbot-demo-"))
    raw = os.environ.get("STRATEGIES", "").strip()
    params = os.environ.get("STRATEGY_PARAMS_FILE", "").strip()
    try:
        strategies = parse_strategies(raw) if raw else ()
    except SettingValueError as exc:
        raise ConfigError(str(exc)) from None
    opts = DemoOptions(
        workspace=workspace.resolve(),
        cycles=args.cycles,
        seed=args.seed,
        strategies=strategies,
        params_file=Path(params) if params else None,
    )
    report = run_demo(
        opts,
        lambda settings, clock, transport: build_live(settings, clock=clock, transport=transport),
    )
    print(report.render())
    return EXIT_OK if report.health_code == 0 else EXIT_FAILURE
