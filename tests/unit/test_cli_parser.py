"""The CLI builds only the parser of the command it runs; help and typos see every command."""

from __future__ import annotations

import argparse

import pytest

from btcbot.cli import build_parser
from btcbot.domain.errors import ConfigError


def _choices(parser: argparse.ArgumentParser) -> list[str]:
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(sub.choices)


def test_a_known_command_builds_only_its_own_parser() -> None:
    """``btcbot health`` parses with the health parser alone, options and all."""
    parser = build_parser("health")
    assert _choices(parser) == ["health"]
    args = parser.parse_args(["health", "--json", "--timeout", "5"])
    assert (args.command, args.json, args.timeout) == ("health", True, 5.0)


@pytest.mark.parametrize("command", [None, "helth", "--version"])
def test_no_or_an_unknown_command_builds_the_whole_surface(command: str | None) -> None:
    """Help and a typo list every command (the error names the choices)."""
    parser = build_parser(command)
    assert {"db", "health", "arm", "disarm", "run", "backtest", "sim"} <= set(_choices(parser))
    with pytest.raises(ConfigError, match="invalid choice: 'helth'"):
        parser.parse_args(["helth"])
