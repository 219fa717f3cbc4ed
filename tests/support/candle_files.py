"""Seeded candle files for tests, written by the project's own generator (tools/make_candles.py)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from btcbot.backtest.candles import CandleSet, read_series

_TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_candles.py"


def _tool() -> ModuleType:
    if "make_candles" in sys.modules:
        return sys.modules["make_candles"]
    spec = importlib.util.spec_from_file_location("make_candles", _TOOL)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def write_candles(
    out: Path, *, minutes: int, seed: int, symbols: int = 2, gap_every: int = 0
) -> list[Path]:
    """``symbols`` CSV files of ``minutes`` candles each (BTCTRY, ETHTRY, C3TRY...)."""
    paths: list[Path] = _tool().write(
        out, minutes=minutes, seed=seed, symbols=symbols, gap_every=gap_every
    )
    return paths


def held_in_memory(paths: list[Path]) -> CandleSet:
    """The candles of ``paths`` read whole into memory (``load`` streams them): the reference."""
    out = CandleSet()
    for path in paths:
        series = read_series(path)
        out.series[series.symbol] = series
    return out
