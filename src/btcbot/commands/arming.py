"""``btcbot arm`` and ``btcbot disarm``: the operator's two deliberate acts (docs/CLI.md)."""

from __future__ import annotations

import argparse
import sys

from btcbot.adapters.clock import SystemClock
from btcbot.adapters.control_dir import KillRecord, read_kill
from btcbot.commands.common import app_for, configure_command_logging
from btcbot.commands.exit_codes import EXIT_OK, EXIT_REFUSED
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.enums import Role
from btcbot.domain.errors import BtcbotError, ConfigError, LockHeldError, TradeBlockedError
from btcbot.lifecycle import RoleCheck, require_role
from btcbot.services import arming
from btcbot.settings import Settings, load_settings
from btcbot.wiring import LiveApp, MonitorApp, build_live

_DRY_RUN_REFUSAL = (
    "btcbot arm is for real trading: set LIVE_TRADING=true (with EXCHANGE=btcturk and "
    "LIVE_TRADING_ACK); a dry run (LIVE_TRADING=false) needs no arming, and arm there only "
    "lifts a disarm (kill file) or a HALTED or REDUCING trading state (neither is present)"
)


def run_arm(args: argparse.Namespace) -> int:
    """Arm the LIVE database and lift a risk halt (LIVE role, the loop stopped, confirmed).

    In a dry run arming is not needed to trade, so ``arm`` is refused there unless the stored
    trading state is HALTED or REDUCING: then it is the audited way to lift that halt.
    """
    settings = load_settings()
    require_role(settings.app_role, RoleCheck("arm", Role.LIVE))
    app = build_live(settings)
    configure_command_logging(settings, app.instance_id)
    try:
        with app.startup("arm") as runtime:
            halt = arming.current_halt(runtime.unit_of_work())
            kill = read_kill(settings.control_dir)
            if not settings.live_trading and halt is None and kill is None:
                raise TradeBlockedError(_DRY_RUN_REFUSAL)
            if not args.yes and not _confirmed(settings, halt):
                print("btcbot arm: not confirmed; nothing changed", file=sys.stderr)
                return EXIT_REFUSED
            outcome = arming.arm(
                runtime.unit_of_work(),
                control_dir=settings.control_dir,
                clock=app.clock,
                actor=arming.operator_name(),
                reason=args.reason,
                live=settings.live_trading,
            )
    except LockHeldError as exc:
        raise LockHeldError(
            f"cannot arm while another process holds the LIVE database ({exc}); stop the LIVE "
            "loop (CTRL+C), run 'btcbot arm', then start the loop again"
        ) from None
    removed = f"; removed kill file ({outcome.removed_kill.reason})" if outcome.removed_kill else ""
    lifted = ""
    if outcome.lifted is not None:
        lifted = (
            f"; trading state ACTIVE again (was {outcome.lifted.state.value.upper()}: "
            f"{outcome.lifted.reason})"
        )
    what = "ARMED" if settings.live_trading else "DRY RUN (no arming needed)"
    print(
        f"btcbot arm: {what} {settings.state_db_path}{removed}{lifted}. "
        "Start the loop: btcbot run --loop (check with: btcbot inspect)"
    )
    return EXIT_OK


def _confirmed(settings: Settings, halt: TradingStateChange | None) -> bool:
    lines = []
    if settings.live_trading:
        lines.append(
            f"About to ARM live trading: real orders on BtcTurk for {', '.join(settings.symbols)}, "
            f"database {settings.state_db_path}."
        )
    else:
        lines.append(
            f"About to lift the disarm or halt of the dry run, database {settings.state_db_path}."
        )
    if halt is not None:
        lines.append(
            f"Trading is {halt.state.value.upper()} since {halt.changed_at:%Y-%m-%d %H:%M:%SZ}: "
            f"{halt.reason}\nArming sets it ACTIVE again (if the limit is still breached, the "
            "next cycle halts again)."
        )
    lines.append(f"Type {arming.CONFIRM_WORD} to confirm: ")
    print("\n".join(lines), end="", flush=True)
    return sys.stdin.readline().strip() == arming.CONFIRM_WORD


def run_disarm(args: argparse.Namespace) -> int:
    """Write the kill file (either role, or no settings at all with --control-dir)."""
    actor = arming.operator_name()
    if args.control_dir is not None:
        if not args.control_dir.is_absolute():
            raise ConfigError(f"--control-dir must be an absolute path (got {args.control_dir})")
        arming.check_control_dir(args.control_dir)
        record = arming.write_kill_file(
            args.control_dir, reason=args.reason, actor=actor, clock=SystemClock()
        )
        print(f"btcbot disarm: DISARMED, kill file {args.control_dir / 'KILL'} ({record.reason})")
        return EXIT_OK
    settings = load_settings()
    app = app_for(settings)
    configure_command_logging(settings, app.instance_id)
    live_db = settings.state_db_path if settings.app_role is Role.LIVE else None
    arming.check_control_dir(settings.control_dir, live_db=live_db)
    record = arming.write_kill_file(
        settings.control_dir, reason=args.reason, actor=actor, clock=app.clock
    )
    print(f"btcbot disarm: DISARMED, kill file {settings.control_dir / 'KILL'} ({record.reason})")
    print(f"btcbot disarm: {_record_disarm(app, record)}")
    return EXIT_OK


def _record_disarm(app: LiveApp | MonitorApp, record: KillRecord) -> str:
    """Record the disarm in this role's own database if it is free; never undoes the kill file."""
    try:
        with app.startup("disarm") as runtime:
            arming.record_disarm(runtime.unit_of_work(), role=app.settings.app_role, record=record)
    except LockHeldError:
        return (
            "the database is in use by another btcbot process (a running LIVE loop records the "
            "disarm itself at its next check)"
        )
    except BtcbotError as exc:
        return f"kill file is in force; not recorded in the database: {exc}"
    return f"recorded in {app.settings.state_db_path}"
