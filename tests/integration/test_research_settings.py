"""What a backtest or a sweep is given on purpose: every setting name must be one btcbot reads.

The environment may hold anybody's variables, so there only btcbot's prefixes are checked. A
name in ``--settings FILE``, ``--set``, ``--grid`` or ``--range`` was meant for btcbot: one it
does not read (``MAX_DRAWDOWN_PCT`` for ``RISK_MAX_DRAWDOWN_PCT``) used to be dropped without a
word, so the backtest ran the defaults and a sweep over it computed identical points.
"""

from __future__ import annotations

import argparse
import os
from decimal import Decimal
from pathlib import Path

import pytest

from btcbot.commands.sweep import build_study
from btcbot.domain.errors import ConfigError
from btcbot.wiring.research import backtest_settings

DATA = Path(__file__).resolve().parents[2] / "src" / "btcbot" / "sim" / "data"


def _args(*, settings: Path | None = None, sets: list[str] | None = None) -> argparse.Namespace:
    return argparse.Namespace(settings=settings, set=sets, symbols="BTCTRY")


def _sweep(tmp_path: Path, **given: object) -> argparse.Namespace:
    defaults: dict[str, object] = {
        "data": DATA, "symbols": "BTCTRY", "start": None, "end": None, "grid": None,
        "random": None, "seed": 0, "range": None, "objective": "sharpe", "walk_forward": None,
        "workers": 1, "scheduler": None, "settings": None, "set": None, "out": tmp_path / "o",
    }  # fmt: skip
    return argparse.Namespace(**(defaults | given))


@pytest.mark.parametrize(
    ("sets", "expected"),
    [
        (["MAX_DRAWDOWN_PCT=5"], ("--set: MAX_DRAWDOWN_PCT is not a btcbot variable: did you mean "
         "RISK_MAX_DRAWDOWN_PCT?")),
        (["RISK_MAX_OPEN_ORDERS=2", "NOPE=1"], ("--set: NOPE is not a btcbot variable: see "
         "docs/CONFIGURATION.md for the names. A misspelt")),
        (["risk_max_open_orders=2"], ("--set: risk_max_open_orders is not a btcbot variable: "
         "did you mean RISK_MAX_OPEN_ORDERS?")),
        (["APP_ROLLE=monitor"], ("--set: APP_ROLLE is not a btcbot variable: did you mean "
         "APP_ROLE?")),
    ],
)  # fmt: skip
def test_an_unknown_name_in_set_is_refused_by_name(sets: list[str], expected: str) -> None:
    """One line naming the flag, the name and the nearest real one."""
    with pytest.raises(ConfigError) as refused:
        backtest_settings(_args(sets=sets), {})
    assert str(refused.value).startswith(expected)
    assert "\n" not in str(refused.value)


def test_an_unknown_name_in_a_settings_file_names_its_line(tmp_path: Path) -> None:
    """``--settings FILE:LINE``, so a long file need not be searched."""
    path = tmp_path / "bt.env"
    path.write_text("# tuned\nRISK_MAX_OPEN_ORDERS=2\nSTRATEGY_TREND_FAST_WINDW=7\n", "utf-8")
    with pytest.raises(ConfigError, match=r"bt\.env:3: STRATEGY_TREND_FAST_WINDW is not a btcbot"):
        backtest_settings(_args(settings=path), {})


def test_the_live_processes_variables_and_foreign_environment_still_load(tmp_path: Path) -> None:
    """A LIVE settings file may be reused: its role, database and key are known, and dropped.

    Variables in the environment that are not btcbot's (``PATH``, ``NOPE``) are nobody's typo.
    """
    path = tmp_path / "live.env"
    path.write_text(
        "APP_ROLE=monitor\nSTATE_DB_PATH=C:/btcbot/live.db\nBTCTURK_API_KEY=k\n"
        "RISK_MAX_DRAWDOWN_PCT=7\n",
        "utf-8",
    )
    settings = backtest_settings(
        _args(settings=path, sets=["STRATEGY_TREND_FAST_WINDOW=6"]),
        {"PATH": "/bin", "NOPE": "1", "MAX_DRAWDOWN_PCT": "3"},
    )
    assert settings.risk_limits().max_drawdown_pct == Decimal(7)
    assert settings.strategy_trend_fast_window == 6
    assert settings.app_role.value == "live"  # a backtest's own, whatever the file said


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"grid": ["TREND_FAST_WINDOW=3,5"]}, ("--grid: TREND_FAST_WINDOW is not a btcbot "
         "variable: did you mean STRATEGY_TREND_FAST_WINDOW?")),
        ({"random": 2, "range": ["STRATEGY_TREND_FAST_WINDOW=3..9", "NOPE=1..2"]},
         "--range: NOPE is not a btcbot variable"),
        ({"grid": ["STRATEGY_TREND_FAST_WINDOW=3,5"], "set": ["SLOW_WINDOW=40"]},
         "--set: SLOW_WINDOW is not a btcbot variable"),
    ],
)  # fmt: skip
def test_a_sweep_refuses_an_unknown_name_as_given_before_any_point(
    tmp_path: Path, given: dict[str, object], expected: str
) -> None:
    """Not as a fault of its first point: the name is wrong wherever it was given."""
    with pytest.raises(ConfigError) as refused:
        build_study(_sweep(tmp_path, **given))
    assert str(refused.value).startswith(expected)
    assert not (tmp_path / "o").exists()


def test_the_shipped_example_settings_file_loads_as_settings() -> None:
    """``.env.example`` (every variable LIVE reads) is a valid ``--settings FILE``."""
    example = DATA.parents[3] / ".env.example"
    assert example.is_file()
    backtest_settings(_args(settings=example), {})


@pytest.mark.parametrize(("asked", "started"), [(1000, 2), (1, 1), (None, None)])
def test_a_sweep_starts_no_more_processes_than_it_has_backtests(
    tmp_path: Path, asked: int | None, started: int | None
) -> None:
    """On Linux a pool forks all its workers at once: 1,000 for two points, on the LIVE host."""
    study = build_study(_sweep(tmp_path, grid=["STRATEGY_TREND_FAST_WINDOW=3,5"], workers=asked))
    assert study.workers == (started if started is not None else min(os.cpu_count() or 1, 2))
