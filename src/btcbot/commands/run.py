"""``btcbot run``: the LIVE trading cycle, once or in a loop, until done or told to stop."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable

from btcbot.commands.common import configure_command_logging
from btcbot.commands.exit_codes import EXIT_OK
from btcbot.domain.enums import Role, TradingMode
from btcbot.domain.errors import ConfigError
from btcbot.isolation.host import Isolation
from btcbot.lifecycle import RoleCheck, Runtime, require_role, stop_handling
from btcbot.observability.metrics import Metrics
from btcbot.services.account import bind_account
from btcbot.services.arming import operator_name
from btcbot.services.live import Arming, LiveDeps, options_from, read_armed, run_live
from btcbot.settings import SECRET_VARIABLES, Settings, load_settings
from btcbot.state.account import account_fingerprint, acquire_account
from btcbot.state.lock import DbLock
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.live_cycle import builder
from btcbot.wiring.venues import check_venue

_MAX_CYCLE_SECONDS = 86400.0


def run_cycles(args: argparse.Namespace) -> int | None:
    """How many cycles the arguments ask for (``None``: until stopped)."""
    if args.cycles is not None and args.cycles < 1:
        raise ConfigError(f"--cycles must be at least 1 (got {args.cycles})")
    if args.cycles is not None and args.once:
        raise ConfigError("--once and --cycles contradict each other: pick one")
    seconds = args.cycle_seconds
    if seconds is not None and not 0 < seconds <= _MAX_CYCLE_SECONDS:
        raise ConfigError(f"--cycle-seconds must be > 0 and <= 86400 (got {seconds:g})")
    if args.cycles is not None:
        return int(args.cycles)
    return None if args.loop else 1


def _hold_account(app: LiveApp, runtime: Runtime, *, armed: bool) -> DbLock:
    """Live mode: the one-LIVE-per-account lock, and the database bound to that account."""
    settings = app.settings
    key = settings.btcturk_api_key
    if key is None:  # settings refuse LIVE_TRADING=true without credentials
        raise ConfigError("BTCTURK_API_KEY is required when LIVE_TRADING=true")
    fingerprint = account_fingerprint(settings.rest_url, key.get_secret_value())
    lock = acquire_account(fingerprint, instance_id=app.instance_id, now=app.clock.now())
    try:
        if armed:
            bind_account(
                runtime.unit_of_work(),
                fingerprint=fingerprint,
                actor=operator_name(),
                now=app.clock.now(),
            )
    except BaseException:
        lock.release()
        raise
    return lock


def run_live_command(
    args: argparse.Namespace, *, build: Callable[[Settings], LiveApp] = build_live
) -> int:
    """Guards, lock, startup reconciliation, the loop; exit 0 (also after one CTRL+C).

    ``build`` is the wiring (tests inject a transport through it; nothing else differs).
    """
    cycles = run_cycles(args)
    settings = load_settings()
    require_role(settings.app_role, RoleCheck("run", Role.LIVE))
    app = build(settings)
    configure_command_logging(settings, app.instance_id)
    opts = options_from(settings, instance_id=app.instance_id, cycle_seconds=args.cycle_seconds)
    check_venue(settings)  # a venue that cannot open is refused before anything is written
    with stop_handling() as stop, app.startup("run") as runtime, contextlib.ExitStack() as held:
        armed = read_armed(runtime)
        if settings.mode is TradingMode.LIVE:
            held.enter_context(_hold_account(app, runtime, armed=armed))
        # Strategies of your own run in processes of their own, ended with this one.
        isolation = held.enter_context(Isolation(secret_names=SECRET_VARIABLES))
        venue = app.venue(armed=armed, cycle_seconds=args.cycle_seconds)
        try:
            deps = LiveDeps(
                db=runtime,
                clock=venue.clock,
                wall_clock=app.clock,
                facts=lambda armed: app.trading_facts(armed=armed),
                kill_probe=app.kill_probe,
                metrics=Metrics(),
                policy=app.policy,
                arming=Arming(armed=armed),
            )
            cycle = builder(venue.client, isolation.load)
            summary = run_live(opts, deps, cycle, stop=stop, max_cycles=cycles)
        finally:
            venue.close()
    stopped = f", stopped by {stop.reason}" if summary.stopped else ""
    print(f"btcbot run: {summary.cycles} cycle(s), {summary.failed} failed{stopped}")
    # One CTRL+C is the documented way to stop at a cycle boundary: a clean stop, exit 0.
    # 130 is only for a second signal, which forces the exit (lifecycle.stop_handling).
    return EXIT_OK
