"""Candle files for a backtest: read, checked row by row, aligned on one minute grid.

Format (the one the emulator and ``btcbot data fetch`` use): a header ``ts,open,high,low,close,
volume``, one row per 1-minute candle, ``ts`` its open time in Unix seconds, one file per symbol
named after it (``BTCTRY.csv``, or ``BTCTRY.csv.gz``). Any problem - a missing or empty file, a
row that is not a number, not finite, out of order, duplicated, not on a minute, past the year
5000 (a ts in milliseconds), whose high and low do not hold its open and close, or with a value
of 10^15 or more (``MAX_CANDLE_VALUE``) - is a ``CandleFileError`` naming the file and row.

A missing minute (BtcTurk prints no candle for a minute without trades) is filled with a flat
candle at the previous close and no volume, and counted; the emulator's timeline is contiguous.

A backtest streams its candles (``load``): a first pass checks each file and counts its
minutes, and the replay reads the file again as it goes, holding only the last few days of
candles (``StreamedBars``). A year of one-minute candles as Decimals is about 300 MB a symbol;
what a cycle looks at is the strategies' window and the ticker's 24 hours.
"""

from __future__ import annotations

import csv
import gzip
import re
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from itertools import islice
from pathlib import Path
from typing import overload

from btcbot.domain.models import MAX_CANDLE_VALUE
from btcbot.sim.feed import Bar

MINUTE = 60
HEADER = ("ts", "open", "high", "low", "close", "volume")
SUFFIXES = (".csv", ".csv.gz")


class CandleFileError(ValueError):
    """A candle file or directory that cannot be used; the message names file and row."""


def changed(path: Path) -> CandleFileError:
    """The error for a file that no longer matches its first pass when it is read again."""
    return CandleFileError(f"{path}: the file changed while the backtest read it")


@dataclass
class Series:
    """One symbol's candles on a contiguous minute grid starting at ``first``."""

    symbol: str
    path: Path
    first: int  # open time of bars[0], Unix seconds
    bars: Sequence[Bar]  # a list (``read_series``) or read as the replay goes (``load``)
    filled: int = 0  # minutes missing in the file, filled flat

    @property
    def last(self) -> int:
        """Open time of the newest candle."""
        return self.first + MINUTE * (len(self.bars) - 1)

    def window(self, start: int, end: int) -> Series:
        """The candles whose open time lies in ``[start, end]``."""
        lo = max(0, (start - self.first) // MINUTE)
        hi = max(lo, min(len(self.bars), (end - self.first) // MINUTE + 1))
        bars = self.bars
        cut = bars.window(lo, hi) if isinstance(bars, StreamedBars) else list(bars[lo:hi])
        return Series(self.symbol, self.path, self.first + lo * MINUTE, cut)


KEEP = 3 * 1440
"""Candles a streamed series holds behind the newest one read: three days, where a cycle looks
back at most 24 hours (the ticker) plus the strategies' window."""


class StreamedBars(Sequence[Bar]):
    """Candles ``offset`` to ``offset + count`` of a checked file, read forward as asked for.

    Indexing reads ahead to the candle asked for and keeps the last ``keep``; asking for one
    already let go is a ``LookupError`` (a replay only moves forward). Iterating reads the
    window afresh, without disturbing that.
    """

    def __init__(self, path: Path, offset: int, count: int, *, keep: int = KEEP) -> None:
        self.path = path
        self._offset, self._count, self._keep = offset, count, keep
        self._reader: Iterator[Bar] | None = None
        self._held: deque[Bar] = deque()
        self._from = 0  # index of the oldest candle held
        self._next = 0  # index of the next candle to read

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> Bar: ...

    @overload
    def __getitem__(self, index: slice) -> list[Bar]: ...

    def __getitem__(self, index: int | slice) -> Bar | list[Bar]:
        if type(index) is int and self._from <= index < self._next:  # held: most lookups
            return self._held[index - self._from]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(self._count))]
        if index < 0:
            index += self._count
        if not 0 <= index < self._count:
            raise IndexError(f"{self.path}: candle {index} of {self._count}")
        if index < self._from:
            raise LookupError(
                f"{self.path}: candle {index} was already let go (the newest read is "
                f"{self._next - 1}); a streamed series is read forward only"
            )
        reader = self._reader if self._reader is not None else self._open()
        while self._next <= index:
            bar = next(reader, None)
            if bar is None:
                raise changed(self.path)
            self._held.append(bar)
            self._next += 1
            if len(self._held) > self._keep:
                self._held.popleft()
                self._from += 1
        return self._held[index - self._from]

    def __iter__(self) -> Iterator[Bar]:
        return (bar for _, bar, _ in islice(_checked(self.path), self._offset, self._end))

    @property
    def _end(self) -> int:
        return self._offset + self._count

    @property
    def source(self) -> tuple[Path, int, int]:
        """The file, the first candle's place in it and how many: all these candles depend on."""
        return self.path, self._offset, self._count

    def _open(self) -> Iterator[Bar]:
        self._reader = iter(self)
        return self._reader

    def window(self, lo: int, hi: int) -> StreamedBars:
        """Candles ``lo`` to ``hi`` of this window, streamed the same way."""
        return StreamedBars(self.path, self._offset + lo, max(hi - lo, 0), keep=self._keep)

    def reopened(self) -> StreamedBars:
        """The same candles, to be read again from the first."""
        return self.window(0, self._count)


def reopened(bars: Sequence[Bar]) -> Sequence[Bar]:
    """``bars`` ready to be read from the first again (a list already is)."""
    return bars.reopened() if isinstance(bars, StreamedBars) else bars


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
    by_symbol: dict[str, Path] = {}
    for path in paths:
        other = by_symbol.setdefault(symbol_of(path), path)
        if other is not path:  # BTCTRY.csv beside BTCTRY.csv.gz: which one is meant?
            raise CandleFileError(
                f"{source}: two candle files for {symbol_of(path)} ({other.name}, {path.name}): "
                "keep one of them"
            )
    if symbols:
        missing = [s for s in symbols if s not in by_symbol]
        if missing:
            raise CandleFileError(
                f"{source}: no candle file for {', '.join(missing)} "
                f"(it has {', '.join(sorted(by_symbol)) or 'none'})"
            )
        paths = [by_symbol[s] for s in symbols]
    return paths


def _lines(path: Path) -> Iterator[str]:
    """The file's lines, read as they are asked for (a year of candles is ~30 MB of text)."""
    gz = path.name.lower().endswith(".gz")
    try:
        with (
            gzip.open(path, "rt", encoding="utf-8-sig", newline="")
            if gz
            else path.open(encoding="utf-8-sig", newline="")
        ) as fh:
            yield from fh
    except UnicodeDecodeError:
        raise CandleFileError(f"{path}: not UTF-8 text") from None
    except (OSError, EOFError) as exc:
        if gz and not isinstance(exc, FileNotFoundError | PermissionError):
            raise CandleFileError(f"{path}: not a readable gzip file ({exc})") from None
        raise CandleFileError(f"{path}: cannot be read ({exc})") from None


def _checked(path: Path) -> Iterator[tuple[int, Bar, bool]]:
    """Every candle of the file on a contiguous minute grid: ``(ts, bar, filled)``, checked."""
    reader = csv.reader(_lines(path))
    header = next(reader, None)
    if not header:
        raise CandleFileError(f"{path}: empty file (expected the header {','.join(HEADER)})")
    if tuple(h.strip().lower() for h in header) != HEADER:
        raise CandleFileError(f"{path}:1: header must be {','.join(HEADER)}")
    previous: int | None = None
    close = Decimal(0)
    for line, row in enumerate(reader, start=2):
        if not row:
            continue
        ts, bar = _row(path, line, row)
        if previous is not None:
            if ts == previous:
                raise CandleFileError(f"{path}:{line}: duplicate candle at ts {ts}")
            if ts < previous:
                raise CandleFileError(f"{path}:{line}: ts {ts} is before the previous row's")
            for n in range(1, (ts - previous) // MINUTE):
                yield previous + n * MINUTE, Bar(close, close, close, close, Decimal(0)), True
        yield ts, bar, False
        previous, close = ts, bar.close
    if previous is None:
        raise CandleFileError(f"{path}: no candles after the header")


def read_series(path: Path) -> Series:
    """One candle file, checked and gap-filled (see the module docstring), held in memory."""
    rows = list(_checked(path))
    filled = sum(1 for _, _, gap in rows if gap)
    return Series(symbol_of(path), path, rows[0][0], [bar for _, bar, _ in rows], filled)


def scan_series(path: Path, *, keep: int = KEEP) -> Series:
    """One candle file, checked and counted; its candles are read again as the replay goes."""
    first = count = filled = 0
    for ts, _, gap in _checked(path):
        if not count:
            first = ts
        count += 1
        filled += gap
    return Series(symbol_of(path), path, first, StreamedBars(path, 0, count, keep=keep), filled)


_TS_LIMIT = 10**11  # Unix seconds of the year 5138: no candle, and no overflow of a datetime


def _row(path: Path, line: int, row: list[str]) -> tuple[int, Bar]:
    # Every candle of a year passes here once per read: plain comparisons, no generators.
    if len(row) != len(HEADER):
        raise CandleFileError(f"{path}:{line}: expected {len(HEADER)} columns, got {len(row)}")
    try:
        ts = int(row[0])
        o, h, lo, c, v = (
            Decimal(row[1]),
            Decimal(row[2]),
            Decimal(row[3]),
            Decimal(row[4]),
            Decimal(row[5]),
        )
    except (ValueError, InvalidOperation):
        raise CandleFileError(f"{path}:{line}: not a number: {','.join(row)}") from None
    if not (o.is_finite() and h.is_finite() and lo.is_finite() and c.is_finite() and v.is_finite()):
        raise CandleFileError(f"{path}:{line}: not a finite number: {','.join(row)}")
    if ts < 0 or ts % MINUTE:
        raise CandleFileError(f"{path}:{line}: ts {ts} is not the start of a minute")
    if ts >= _TS_LIMIT:  # 1700000000000 is a minute too: in milliseconds, the year 55,000
        raise CandleFileError(
            f"{path}:{line}: ts {ts} is past the year 5000: ts must be Unix seconds "
            "(milliseconds divided by 1000)"
        )
    if not (0 < lo <= o and lo <= c and h >= o and h >= c and v >= 0):
        raise CandleFileError(
            f"{path}:{line}: high/low do not hold open and close: {','.join(row)}"
        )
    if h >= MAX_CANDLE_VALUE or v >= MAX_CANDLE_VALUE:  # the high is the row's highest price
        raise CandleFileError(
            f"{path}:{line}: a value of 10^15 or more, beyond any pair and the emulator's "
            f"28-digit arithmetic: {','.join(row)}"
        )
    return ts, Bar(o, h, lo, c, v)


# A row of digits and points: ts, then five values without sign, exponent or leading zero, at
# most 14 digits a side. Nearly every candle file prints its rows this way, and ``plain`` of
# such a value is its own text less any zeros ending its fraction (``_trimmed``): with 28
# digits at most, Decimal's precision, normalising it never rounds (with 40 it did).
_VALUE = r"(?:0|[1-9][0-9]{0,13})(?:\.[0-9]{0,14})?"
_PLAIN_ROW = re.compile(rf"(0|[1-9][0-9]*),({_VALUE},{_VALUE},{_VALUE},({_VALUE}),{_VALUE})\r?\n?")
_UNTRIMMED = re.compile(r"\.[0-9]*0(?:,|$)|\.(?:,|$)")  # a value whose fraction ends in 0, or in .


class NotPlainError(ValueError):
    """A candle file row that ``plain_rows`` cannot take as text (read it parsed instead)."""


def plain_rows(path: Path, offset: int, count: int) -> Iterator[tuple[int, str]]:
    """Candles ``offset`` to ``offset + count`` of a checked file as ``(ts, text)``, unparsed.

    ``text`` is ``open,high,low,close,volume``, each as ``plain`` prints the value, and a
    missing minute is filled as ``_checked`` fills it: what ``input_sha256`` hashes, taken from
    the file's own text. Hashing a symbol-year from parsed candles took 2.6-2.9 s; this, 1.2-1.3 s.
    A row in any other form (quoted, spaced, signed, with an exponent, over 14 digits a side)
    is a ``NotPlainError``: read the file parsed. The file was checked when it was scanned, and
    the replay checks every row again; one that no longer matches its scan here (out of order,
    or shorter) is a ``CandleFileError``.
    """
    end = offset + count
    n = 0  # the next candle's place in the file, gap minutes included
    previous: int | None = None
    close = ""
    for ts, text, its_close in _text_rows(path):
        if previous is not None:
            if ts <= previous:
                raise changed(path)
            missing = (ts - previous) // MINUTE - 1
            flat = f"{close},{close},{close},{close},0" if missing else ""
            for k in range(1, missing + 1):
                if offset <= n < end:
                    yield previous + k * MINUTE, flat
                n += 1
        if n >= end:
            return
        if n >= offset:
            yield ts, text
        n += 1
        previous, close = ts, its_close
    if n < end:
        raise changed(path)


def _text_rows(path: Path) -> Iterator[tuple[int, str, str]]:
    """Every row of the file: its ts, its values and its close as ``plain`` prints them."""
    lines = _lines(path)
    next(lines, None)  # the header, checked by the scan
    for number, line in enumerate(lines, start=2):
        row = _PLAIN_ROW.fullmatch(line)
        if row is None:
            if not line.strip():
                continue  # a blank line, which the csv reader skips too
            raise NotPlainError(f"{path}:{number}: not a row of plain decimals")
        text, close = row[2], row[3]
        if _UNTRIMMED.search(text):
            text, close = ",".join(map(_trimmed, text.split(","))), _trimmed(close)
        yield int(row[1]), text, close


def _trimmed(value: str) -> str:
    """``plain`` of the value ``value`` prints, given it matched ``_VALUE``."""
    return value.rstrip("0").rstrip(".") if "." in value else value


def load(paths: list[Path], *, keep: int = KEEP) -> CandleSet:
    """Every file's series (checked now, streamed later), on the minutes all symbols share.

    ``keep``: candles each streamed series holds behind the newest read.
    """
    out = CandleSet()
    for path in paths:
        series = scan_series(path, keep=keep)
        if series.symbol in out.series:
            raise CandleFileError(f"{path}: a second candle file for {series.symbol}")
        out.series[series.symbol] = series
    if out.first > out.last:
        raise CandleFileError("the candle files share no minute: their time ranges do not overlap")
    return out


def at(ts: int) -> datetime:
    """Unix seconds as aware UTC."""
    return datetime.fromtimestamp(ts, tz=UTC)
