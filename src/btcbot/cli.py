"""The ``btcbot`` command: parse arguments, load settings, call wiring, map results to exit codes.

Exit codes (docs/CLI.md): 0 success, 1 runtime failure, 2 usage or configuration error,
4 refused for safety, 130 interrupted. ``btcbot health`` instead follows the Nagios plugin
convention: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad configuration or arguments too).

Each command's handler imports what it needs inside its body, so ``btcbot --help`` and the
health check do not pay for the trading stack at start-up.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from btcbot.domain.errors import BtcbotError, ConfigError, SafetyRefusalError

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_REFUSED = 4
EXIT_INTERRUPTED = 130
HEALTH_UNKNOWN = 3

Handler = Callable[[argparse.Namespace], int]


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so ``health`` can answer 3 rather than 2."""

    def error(self, message: str) -> NoReturn:
        raise ConfigError(f"{self.prog}: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The whole command surface; every subcommand sets ``handler``."""
    parser = _Parser(prog="btcbot", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version="btcbot 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    for register in _REGISTRARS:
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
        args = build_parser().parse_args(args_list)
        handler: Handler = args.handler
        return handler(args)
    except BtcbotError as exc:
        print(f"btcbot: error: {exc}", file=sys.stderr)
        return _exit_code_for(exc, command=command)
    except KeyboardInterrupt:
        print("btcbot: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


# Each ``_register_*`` adds one subcommand; the list below is the command surface.
_REGISTRARS: list[Callable[[argparse._SubParsersAction[_Parser]], None]] = []


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
    return EXIT_FAILURE if report.failed else EXIT_OK


_REGISTRARS.append(_register_db)
