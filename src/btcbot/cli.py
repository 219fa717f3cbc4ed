"""The ``btcbot`` command: parse arguments, load settings, call wiring, map results to exit codes.

Exit codes (docs/CLI.md): 0 success, 1 runtime failure, 2 usage or configuration error,
4 refused for safety, 130 interrupted. ``btcbot health`` instead follows the Nagios plugin
convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad configuration or arguments too).

Each command's handler imports what it needs inside its body, so ``btcbot --help`` and the
health check do not pay for the trading stack at start-up.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Sequence

from btcbot.commands.exit_codes import (
    EXIT_FAILURE,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_REFUSED,
    EXIT_USAGE,
    HEALTH_UNKNOWN,
)
from btcbot.domain.errors import BtcbotError, ConfigError, SafetyRefusalError

# typing itself costs 2 ms at start-up; mypy reads this constant as typing's own.
TYPE_CHECKING = False

if TYPE_CHECKING:
    # Annotations only: ``btcbot --help`` should cost little more than argparse itself.
    from pathlib import Path
    from typing import NoReturn

__all__ = [
    "EXIT_FAILURE",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_REFUSED",
    "EXIT_USAGE",
    "HEALTH_UNKNOWN",
    "build_parser",
    "main",
]

Handler = Callable[[argparse.Namespace], int]


def path(text: str) -> Path:
    """An argument naming a file or directory (pathlib is imported when one is given)."""
    from pathlib import Path  # noqa: PLC0415 - see the imports above

    return Path(text)


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``health`` can answer 3 rather than 2."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command surface; every subcommand sets ``handler``.

    Given a known ``command``, only its subcommand is built: ``btcbot health`` runs every
    minute, and building all fifteen parsers cost it about 7 ms. Anything else (no command,
    ``--help``, a typo) gets the whole surface, so help and "invalid choice" list everything.
    """
    parser = _Parser(prog="btcbot", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version="btcbot 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    only = _REGISTRARS.get(command) if command is not None else None
    for register in [only] if only is not None else list(_REGISTRARS.values()):
        register(sub)
    return parser


def _exit_code_for(exc: BaseException, *, command: str | None) -> int:
    """Map an exception to the documented exit code of ``command``."""
    if isinstance(exc, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if command == "health":
        # A scheduler must be able to tell "the bot is unhealthy" from "the check is broken".
        return HEALTH_UNKNOWN
    if isinstance(exc, ConfigError):
        return EXIT_USAGE
    if isinstance(exc, SafetyRefusalError):
        return EXIT_REFUSED
    return EXIT_FAILURE


def _command_of(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one ``btcbot`` command and return its exit code; never a traceback for bad input."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    command = _command_of(args_list)
    try:
        args = build_parser(command).parse_args(args_list)
        handler: Handler = args.handler
        return handler(args)
    except BtcbotError as exc:
        print(f"btcbot: error: {exc}", file=sys.stderr)
        return _exit_code_for(exc, command=command)
    except KeyboardInterrupt:
        print("btcbot: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (``btcbot health --json | head``): no traceback, and no second
        # error when Python flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILURE
    except OSError as exc:
        # A fault of the machine that no layer translated: still one line, never a traceback.
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"btcbot: error: {where}{exc.strerror or exc}", file=sys.stderr)
        return _exit_code_for(exc, command=command)
    except Exception as exc:  # noqa: BLE001 - the last line of defence for an operator's screen
        print(
            f"btcbot: error: internal error {type(exc).__name__}: {exc} (a btcbot bug: report it "
            "with the log)",
            file=sys.stderr,
        )
        return _exit_code_for(exc, command=command)


def entry() -> NoReturn:
    """The ``btcbot`` console script (and ``python -m btcbot``): ``main``, then the exit code.

    ``btcbot health`` leaves without the interpreter's teardown. It runs every minute or few,
    forever, and tearing down the interpreter (the module and garbage-collector sweep of
    pydantic's object graph) cost about a fifth of the whole run (docs/PERFORMANCE.md). By
    the time ``main`` returns, health has closed its database, released its lock and written
    its files; what is still buffered is flushed here. Every other command exits normally.
    """
    code = main()
    if _command_of(sys.argv[1:]) != "health":
        sys.exit(code)
    if "logging" in sys.modules:
        sys.modules["logging"].shutdown()  # flush and close the handlers, as atexit would
    for stream in (sys.stdout, sys.stderr):
        # A reader that went away (``| head``) or a closed stream: nothing left to save.
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


# Each ``_register_*`` adds one subcommand, keyed by its name; this is the command surface.
_REGISTRARS: dict[str, Callable[[argparse._SubParsersAction[_Parser]], None]] = {}


def _register_db(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot db init`` / ``btcbot db check``: create or inspect this role's state database."""
    db = sub.add_parser("db", help="create or inspect this role's state database (STATE_DB_PATH)")
    actions = db.add_subparsers(dest="db_command", required=True, parser_class=_Parser)
    init = actions.add_parser(
        "init", help="create STATE_DB_PATH and tag it for APP_ROLE (never overwrites)"
    )
    init.set_defaults(handler=_db_init)
    check = actions.add_parser(
        "check", help="report role tag, schema, integrity, writability and lock holder"
    )
    check.set_defaults(handler=_db_check)


def _db_init(args: argparse.Namespace) -> int:
    import uuid  # noqa: PLC0415 - handlers import lazily (module docstring)

    from btcbot.adapters.clock import SystemClock  # noqa: PLC0415
    from btcbot.settings import load_settings  # noqa: PLC0415
    from btcbot.state.admin import init_database  # noqa: PLC0415

    del args
    settings = load_settings()
    meta = init_database(settings, instance_id=uuid.uuid4().hex, now=SystemClock().now())
    print(
        f"btcbot db init: created {settings.state_db_path} for db_role={meta.db_role.value} "
        f"(uuid {meta.db_uuid})"
    )
    return EXIT_OK


def _db_check(args: argparse.Namespace) -> int:
    from btcbot.settings import load_settings  # noqa: PLC0415 - handlers import lazily
    from btcbot.state.admin import check_database  # noqa: PLC0415

    del args
    report = check_database(load_settings())
    for name, value in report.lines:
        print(f"  {name + ':':<12} {value}")
    print("btcbot db check: FAILED" if report.failed else "btcbot db check: OK")
    if report.problem is not None:
        print(f"btcbot: error: {report.problem}", file=sys.stderr)
    return EXIT_FAILURE if report.failed else EXIT_OK


_REGISTRARS["db"] = _register_db


# ---------------------------------------------------------------- btcbot health
def _register_health(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot health``: the MONITOR's Nagios-style check (btcbot.commands.health)."""
    p = sub.add_parser(
        "health", help="MONITOR: check LIVE, the exchange and this host; exit 0/1/2/3 (Nagios)"
    )
    p.add_argument("--json", action="store_true", help="print the full typed result as JSON")
    p.add_argument(
        "--timeout",
        type=float,
        default=20.0,
        help="hard limit in seconds for the whole run (default 20); past it: UNKNOWN, exit 3",
    )
    p.add_argument("--prom-file", type=path, help="also write metrics here (textfile collector)")
    p.set_defaults(handler=_health)


def _health(args: argparse.Namespace) -> int:
    from btcbot.commands.health import run_health  # noqa: PLC0415 - handlers import lazily

    return run_health(args)


_REGISTRARS["health"] = _register_health


# ---------------------------------------------------------------- btcbot arm / disarm
def _register_arm(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot arm``: LIVE only, every flag right, the loop stopped, typed confirmation."""
    p = sub.add_parser(
        "arm", help="LIVE: allow real orders (loop must be stopped; type ARM to confirm)"
    )
    p.add_argument("--yes", action="store_true", help="skip the typed confirmation (scripts)")
    p.add_argument("--reason", default="armed by operator", help="recorded in the audit trail")
    p.set_defaults(handler=_arm)


def _arm(args: argparse.Namespace) -> int:
    from btcbot.commands.arming import run_arm  # noqa: PLC0415 - handlers import lazily

    return run_arm(args)


def _register_disarm(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot disarm``: either role; writes the kill file, then records it if it can."""
    p = sub.add_parser("disarm", help="either role: stop trading now (writes CONTROL_DIR/KILL)")
    p.add_argument("--reason", default="operator disarm", help="why; shown by health and inspect")
    p.add_argument(
        "--control-dir",
        type=path,
        help="emergency: write the kill file into this directory without reading any settings",
    )
    p.set_defaults(handler=_disarm)


def _disarm(args: argparse.Namespace) -> int:
    from btcbot.commands.arming import run_disarm  # noqa: PLC0415 - handlers import lazily

    return run_disarm(args)


_REGISTRARS["arm"] = _register_arm
_REGISTRARS["disarm"] = _register_disarm


# ---------------------------------------------------------------- btcbot inspect
def _register_inspect(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot inspect``: armed? killed? alive? (read-only, works while LIVE runs)."""
    p = sub.add_parser("inspect", help="show arming, kill file and the LIVE status (read-only)")
    p.add_argument("--json", action="store_true", help="print the view as JSON")
    p.add_argument("--limit", type=_positive_int, default=10, help="rows per table (default 10)")
    p.set_defaults(handler=_inspect)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ConfigError(f"--limit must be a whole number of rows (got {text!r})") from None
    if not 1 <= value <= 10_000:  # noqa: PLR2004 - the documented bounds
        raise ConfigError(f"--limit must be between 1 and 10000 (got {value})")
    return value


def _inspect(args: argparse.Namespace) -> int:
    from btcbot.commands.inspect import run_inspect  # noqa: PLC0415 - handlers import lazily

    return run_inspect(args)


_REGISTRARS["inspect"] = _register_inspect


# ---------------------------------------------------------------- btcbot run (owner H9)
def _register_run(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot run``: the LIVE trading cycle, once or in a loop (docs/CLI.md)."""
    p = sub.add_parser("run", help="LIVE: run the trading cycle once (default) or in a loop")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true", help="run one cycle and exit (default)")
    mode.add_argument("--loop", action="store_true", help="run cycles until SIGINT/SIGTERM")
    p.add_argument("--cycles", type=int, help="stop after N cycles (implies --loop)")
    p.add_argument("--cycle-seconds", type=float, help="seconds per cycle (default CYCLE_SECONDS)")
    p.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    from btcbot.commands.run import run_live_command  # noqa: PLC0415 - handlers import lazily

    return run_live_command(args)


_REGISTRARS["run"] = _register_run


# ---------------------------------------------------------------- btcbot demo (owner H9)
def _register_demo(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot demo``: LIVE dry run on the in-process emulator + MONITOR health (docs/DEMO.md)."""
    p = sub.add_parser(
        "demo", help="run LIVE (dry run) on the in-process emulator and the MONITOR; no network"
    )
    p.add_argument("--cycles", type=int, default=300, help="LIVE cycles to run (default 300)")
    p.add_argument("--workspace", type=path, help="new directory for the databases (default: temp)")
    p.add_argument("--seed", type=int, default=0, help="emulator seed (default 0)")
    p.set_defaults(handler=_demo)


def _demo(args: argparse.Namespace) -> int:
    from btcbot.commands.demo import run_demo_command  # noqa: PLC0415 - handlers import lazily

    return run_demo_command(args)


_REGISTRARS["demo"] = _register_demo


# ---------------------------------------------------------------- data fetch
def _register_data(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot data fetch``: candles from the graph API into CSV files (docs/BACKTEST.md)."""
    data = sub.add_parser("data", help="market data for backtests")
    actions = data.add_subparsers(dest="data_command", required=True, parser_class=_Parser)
    p = actions.add_parser(
        "fetch", help="1-minute candles from BtcTurk's graph API; resumable; no credentials"
    )
    p.add_argument("--symbols", required=True, help="comma-separated pairs, e.g. BTCTRY,ETHTRY")
    p.add_argument("--from", dest="start", required=True, help="first day (UTC), YYYY-MM-DD")
    p.add_argument("--to", dest="end", required=True, help="last day (UTC, inclusive)")
    p.add_argument("--out", type=path, required=True, help="directory of SYMBOL.csv files")
    p.set_defaults(handler=_data_fetch)


def _data_fetch(args: argparse.Namespace) -> int:
    from btcbot.commands.data import run_data_fetch  # noqa: PLC0415 - handlers import lazily

    return run_data_fetch(args)


_REGISTRARS["data"] = _register_data


# ---------------------------------------------------------------- backtest
def _register_backtest(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot backtest``: the LIVE decisions over candle files (docs/BACKTEST.md)."""
    p = sub.add_parser(
        "backtest", help="replay the LIVE strategy and risk over candle files; no network"
    )
    p.add_argument("--data", type=path, required=True, help="a candle CSV, or a directory of them")
    p.add_argument("--symbols", help="comma-separated pairs (default: SYMBOLS)")
    p.add_argument("--from", dest="start", help="first day traded, UTC (YYYY-MM-DD)")
    p.add_argument("--to", dest="end", help="last day traded, UTC, inclusive (YYYY-MM-DD)")
    p.add_argument("--out", type=path, help="new directory for summary.json, trades and equity")
    p.add_argument("--json", action="store_true", help="print summary.json to stdout")
    p.add_argument("--settings", type=path, help="a file of NAME=VALUE settings")
    p.add_argument(
        "--set", action="append", metavar="NAME=VALUE", help="one setting (repeatable; wins)"
    )
    p.add_argument(
        "--fast",
        action="store_true",
        help="value minutes in which nothing can trade without deciding them: the same trades "
        "and equity; their signals are not counted",
    )
    p.add_argument(
        "--check-lookahead",
        action="store_true",
        help="re-run each signal on data cut at its instant; exit 1 if any signal changes",
    )
    p.add_argument(
        "--lookahead-sample",
        type=int,
        default=0,
        metavar="N",
        help="check at most N signal cycles, spread over the run (default 0: every one)",
    )
    p.set_defaults(handler=_backtest)


def _backtest(args: argparse.Namespace) -> int:
    from btcbot.commands.backtest import run_backtest_command  # noqa: PLC0415 - lazily

    return run_backtest_command(args)


_REGISTRARS["backtest"] = _register_backtest


# ---------------------------------------------------------------- sweep
def _register_sweep(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot sweep``: grids, random search, walk-forward (docs/SWEEP.md)."""
    p = sub.add_parser("sweep", help="many backtests: a grid or random draws, walk-forward")
    p.add_argument("--data", type=path, required=True, help="a candle CSV, or a directory of them")
    p.add_argument("--symbols", help="comma-separated pairs (default: SYMBOLS)")
    p.add_argument("--from", dest="start", help="first day (UTC), YYYY-MM-DD")
    p.add_argument("--to", dest="end", help="last day (UTC, inclusive), YYYY-MM-DD")
    p.add_argument("--grid", action="append", metavar="NAME=V1,V2", help="values of one setting")
    p.add_argument("--random", type=int, metavar="N", help="N seeded random points")
    p.add_argument("--seed", type=int, default=0, help="seed of --random (default 0)")
    p.add_argument("--range", action="append", metavar="NAME=LO..HI", help="a --random range")
    p.add_argument("--objective", default="sharpe", help="what 'best' means (default sharpe)")
    p.add_argument("--walk-forward", metavar="TRAIN/TEST", help="rolling windows, e.g. 90d/30d")
    p.add_argument("--workers", type=int, help="local processes (default: the cores)")
    p.add_argument("--scheduler", help="tcp://HOST:PORT of a dask scheduler, or 'local'")
    p.add_argument("--settings", type=path, help="a file of NAME=VALUE settings for every point")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="a setting for every point")
    p.add_argument("--out", type=path, required=True, help="results directory (resumable)")
    p.set_defaults(handler=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    from btcbot.commands.sweep import run_sweep_command  # noqa: PLC0415 - lazily

    return run_sweep_command(args)


_REGISTRARS["sweep"] = _register_sweep


# ---------------------------------------------------------------- report
def _register_report(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot report``: an offline HTML page from a backtest or a LIVE DB (docs/REPORT.md)."""
    p = sub.add_parser("report", help="one offline HTML report of a backtest or a LIVE database")
    source = p.add_mutually_exclusive_group()
    source.add_argument("--backtest", type=path, help="a backtest's --out directory")
    source.add_argument("--db", type=path, help="a LIVE database (default: STATE_DB_PATH)")
    p.add_argument("--from", dest="start", help="first day (UTC), YYYY-MM-DD")
    p.add_argument("--to", dest="end", help="last day (UTC, inclusive), YYYY-MM-DD")
    p.add_argument("--out", type=path, help="the HTML file to write")
    p.add_argument("--csv", type=path, help="a directory for fills, orders and equity CSV")
    p.add_argument("--json", action="store_true", help="print the metrics as JSON")
    p.set_defaults(handler=_report)


def _report(args: argparse.Namespace) -> int:
    from btcbot.commands.report import run_report_command  # noqa: PLC0415 - lazily

    return run_report_command(args)


_REGISTRARS["report"] = _register_report


# ---------------------------------------------------------------- sim serve (owner H2)
def _register_sim(sub: argparse._SubParsersAction[_Parser]) -> None:
    """``btcbot sim serve``: the BtcTurk emulator on a loopback HTTP server (docs/EMULATOR.md)."""
    sim = sub.add_parser("sim", help="the BtcTurk emulator")
    actions = sim.add_subparsers(dest="sim_command", required=True, parser_class=_Parser)
    p = actions.add_parser(
        "serve", help="serve the emulator over HTTP until SIGINT/SIGTERM; prints its URL"
    )
    p.add_argument("--host", default="127.0.0.1", help="listen address (loopback only by default)")
    p.add_argument("--port", type=int, default=0, help="TCP port; 0 picks a free one (default)")
    p.add_argument(
        "--data", type=path, action="append", default=[], metavar="CSV",
        help="1-minute candles ts,open,high,low,close,volume named <PAIR>.csv (repeatable; "
        "default: the bundled synthetic BTCTRY and ETHTRY)",
    )  # fmt: skip
    p.add_argument("--faults", default="", metavar="SPEC", help="fault spec, e.g. 429:0.1,skew=3")
    p.add_argument("--state", type=path, help="JSON state file: loaded if present, saved on change")
    p.add_argument("--api-key", help="the account's public key (default documented)")
    p.add_argument("--api-secret", help="the account's base64 secret (default documented)")
    p.add_argument("--start-balance", default="100000", help="TRY of a fresh account (100000)")
    p.add_argument("--no-rate-limits", action="store_true", help="disable BtcTurk's quotas")
    p.add_argument("--allow-remote", action="store_true", help="allow a non-loopback --host")
    p.add_argument("--cancel-delay", type=float, default=0.0, help="seconds until a cancel lands")
    p.add_argument(
        "--stall-seconds", type=float, default=30.0, help="upper bound of a simulated timeout"
    )
    p.add_argument("--request-log", type=path, help="append 'METHOD PATH' per request to FILE")
    p.set_defaults(handler=_sim_serve)


def _sim_serve(args: argparse.Namespace) -> int:
    from decimal import Decimal, InvalidOperation  # noqa: PLC0415 - handlers import lazily

    from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET  # noqa: PLC0415
    from btcbot.sim.serve import ServeOptions, serve  # noqa: PLC0415

    try:
        balance = Decimal(args.start_balance)
    except InvalidOperation as exc:
        raise ConfigError("--start-balance must be a number of TRY, e.g. 100000") from exc
    options = ServeOptions(
        host=args.host,
        port=args.port,
        data=tuple(args.data),
        faults=args.faults,
        state=args.state,
        api_key=DEFAULT_API_KEY if args.api_key is None else args.api_key,
        api_secret=DEFAULT_API_SECRET if args.api_secret is None else args.api_secret,
        start_balance=balance,
        rate_limits=not args.no_rate_limits,
        allow_remote=args.allow_remote,
        stall_seconds=args.stall_seconds,
        cancel_delay=args.cancel_delay,
        request_log=args.request_log,
    )
    return serve(options)


_REGISTRARS["sim"] = _register_sim
