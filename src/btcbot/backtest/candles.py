"""Candle files for a backtest: read, checked row by row, aligned on one minute grid.

Format (the one the emulator and ``btcbot data fetch`` use): a header ``ts,open,high,low,close,
volume``, one row per 1-minute candle, ``ts`` its open time in Unix seconds, one file per symbol
named after it (``BTCTRY.csv``, or ``BTCTRY.csv.gz``). Any problem - a missing or empty file, a
row that is not a number, not finite, out of order, duplicated, not on a minute, or whose high
and low do not hold its open and close - is a ``CandleFileError`` naming the file and row.

A missing minute (BtcTurk prints no candle for a minute without trades) is filled with a flat
candle at the previous close and no volume, and counted; the emulator's timeline is contiguous.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from btcbot.sim.feed import Bar

MINUTE = 60
HEADER = ("ts", "open", "high", "low", "close", "volume")
SUFFIXES = (".csv", ".csv.gz")


class CandleFileError(ValueError):
    """A candle file or directory that cannot be used; the message names file and row."""


@dataclass
class Series:
    """One symbol's candles on a contiguous minute grid starting at ``first``."""

    symbol: str
    path: Path
    first: int  # open time of bars[0], Unix seconds
    bars: list[Bar]
    filled: int = 0  # minutes missing in the file, filled flat

    @property
    def last(self) -> int:
        """Open time of the newest candle."""
        return self.first + MINUTE * (len(self.bars) - 1)

    def window(self, start: int, end: int) -> Series:
        """The candles whose open time lies in ``[start, end]``."""
        lo = max(0, (start - self.first) // MINUTE)
        hi = min(len(self.bars), (end - self.first) // MINUTE + 1)
        return Series(self.symbol, self.path, self.first + lo * MINUTE, self.bars[lo:hi])


@dataclass
class CandleSet:
    """Every symbol's series, cut to the minutes all of them cover."""

    series: dict[str, Series] = field(default_factory=dict)

    @property
    def first(self) -> int:
        """The first minute every symbol has."""
        return max(s.first for s in self.series.values())

    @property
    def last(self) -> int:
        """The last minute every symbol has."""
        return min(s.last for s in self.series.values())


def symbol_of(path: Path) -> str:
    """``BTCTRY.csv.gz`` -> ``BTCTRY``."""
    name = path.name
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)].replace("_", "").upper()
    return path.stem.replace("_", "").upper()


def candle_paths(source: Path, symbols: tuple[str, ...] = ()) -> list[Path]:
    """The files ``--data`` names: one file, or every candle file of a directory."""
    if source.is_file():
        paths = [source]
    elif source.is_dir():
        paths = sorted(p for p in source.iterdir() if p.name.lower().endswith(SUFFIXES))
        if not paths:
            raise CandleFileError(f"{source}: no candle files (*.csv, *.csv.gz) in this directory")
    else:
        raise CandleFileError(f"{source}: no such file or directory")
    if symbols:
        by_symbol = {symbol_of(p): p for p in paths}
        missing = [s for s in symbols if s not in by_symbol]
        if missing:
            raise CandleFileError(
                f"{source}: no candle file for {', '.join(missing)} "
                f"(it has {', '.join(sorted(by_symbol)) or 'none'})"
            )
        paths = [by_symbol[s] for s in symbols]
    return paths


def _lines(path: Path) -> Iterator[str]:
    raw = path.read_bytes()
    if path.name.lower().endswith(".gz"):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise CandleFileError(f"{path}: not a readable gzip file ({exc})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CandleFileError(f"{path}: not UTF-8 text") from None
    return iter(io.StringIO(text, newline=""))


def read_series(path: Path) -> Series:
    """One candle file, checked and gap-filled (see the module docstring)."""
    reader = csv.reader(_lines(path))
    header = next(reader, None)
    if not header:
        raise CandleFileError(f"{path}: empty file (expected the header {','.join(HEADER)})")
    if tuple(h.strip().lower() for h in header) != HEADER:
        raise CandleFileError(f"{path}:1: header must be {','.join(HEADER)}")
    bars: list[Bar] = []
    first = previous = 0
    filled = 0
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        ts, bar = _row(path, line, row)
        if bars:
            if ts == previous:
                raise CandleFileError(f"{path}:{line}: duplicate candle at ts {ts}")
            if ts < previous:
                raise CandleFileError(f"{path}:{line}: ts {ts} is before the previous row's")
            close = bars[-1].close
            for _ in range((ts - previous) // MINUTE - 1):
                bars.append(Bar(close, close, close, close, Decimal(0)))
                filled += 1
        else:
            first = ts
        bars.append(bar)
        previous = ts
    if not bars:
        raise CandleFileError(f"{path}: no candles after the header")
    return Series(symbol_of(path), path, first, bars, filled)


def _row(path: Path, line: int, row: list[str]) -> tuple[int, Bar]:
    if len(row) != len(HEADER):
        raise CandleFileError(f"{path}:{line}: expected {len(HEADER)} columns, got {len(row)}")
    try:
        ts = int(row[0])
        o, h, lo, c, v = (Decimal(x.strip()) for x in row[1:])
    except (ValueError, InvalidOperation):
        raise CandleFileError(f"{path}:{line}: not a number: {','.join(row)}") from None
    if not all(x.is_finite() for x in (o, h, lo, c, v)):
        raise CandleFileError(f"{path}:{line}: not a finite number: {','.join(row)}")
    if ts < 0 or ts % MINUTE:
        raise CandleFileError(f"{path}:{line}: ts {ts} is not the start of a minute")
    if not (0 < lo <= min(o, c) and h >= max(o, c) and v >= 0):
        raise CandleFileError(
            f"{path}:{line}: high/low do not hold open and close: {','.join(row)}"
        )
    return ts, Bar(o, h, lo, c, v)


def load(paths: list[Path]) -> CandleSet:
    """Every file's series, on the minutes all symbols share."""
    out = CandleSet()
    for path in paths:
        series = read_series(path)
        if series.symbol in out.series:
            raise CandleFileError(f"{path}: a second candle file for {series.symbol}")
        out.series[series.symbol] = series
    if out.first > out.last:
        raise CandleFileError("the candle files share no minute: their time ranges do not overlap")
    return out


def at(ts: int) -> datetime:
    """Unix seconds as aware UTC."""
    return datetime.fromtimestamp(ts, tz=UTC)
