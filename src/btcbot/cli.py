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
