"""Market replay: 1-minute candles mapped onto the sim's timeline, with a price path inside each.

Alignment: the minute that contains the sim's start time (its *anchor*) plays candle number
``history_minutes`` of the file, so that many minutes of history exist before the start. Candle
``k`` of the timeline covers ``[base + 60k, base + 60k + 60)`` with ``base = anchor_minute -
60 * history_minutes``. Past either end the file is played back and forth ("ping-pong": forward,
then backwards with open and close swapped), so the price path never jumps at a wrap.

Inside one candle the price moves linearly through four points 20 s apart: open -> low -> high ->
close for a rising candle, open -> high -> low -> close for a falling one. Everything here is a
pure function of the file and the anchor, so a run is reproducible and a restarted sim resumes
the same market.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

from btcbot.domain.models import MAX_CANDLE_VALUE

MINUTE = 60
_LEG = 20  # seconds between the four points of a candle's price path


def _seconds(seconds: float) -> Decimal:
    """A span of seconds as the price path computes with it: to the microsecond, via its text."""
    return Decimal(str(round(seconds, 6)))


@lru_cache(maxsize=256, typed=True)  # typed: 0 and 0.0 give different exponents
def _leg_of(seconds: float) -> tuple[int, Decimal]:
    """The leg of the price path ``seconds`` into a minute falls on, and how far along it.

    A pure function of the offset, which a replay's cycles repeat every minute (0 s at one cycle
    a minute): converting it through text and dividing cost more than the price itself.
    """
    offset = _seconds(seconds)
    leg = min(int(offset // _LEG), 2)
    return leg, (offset - leg * _LEG) / _LEG


class Bar(NamedTuple):
    """One candle as the timeline sees it (already oriented for ping-pong playback).

    A named tuple, not a frozen dataclass: a backtest builds every candle twice (checked, then
    replayed; a third time to hash a file not in plain form), and a frozen dataclass's
    ``__init__`` took 1.3 us where a tuple takes 0.3. Immutable either way.
    """

    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal

    def path(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """The four prices at 0, 20, 40 and 60 seconds into the minute."""
        if self.close >= self.open:
            return (self.open, self.low, self.high, self.close)
        return (self.open, self.high, self.low, self.close)


def load_csv(path: Path) -> list[Bar]:
    """Read ``ts,open,high,low,close,volume`` rows (header required); raise ValueError on junk."""
    bars: list[Bar] = []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        wanted = {"ts", "open", "high", "low", "close", "volume"}
        if reader.fieldnames is None or not wanted <= set(reader.fieldnames):
            raise ValueError(f"{path.name}: header must be ts,open,high,low,close,volume")
        for line, row in enumerate(reader, start=2):
            try:
                o, h, lo, c, v = (
                    Decimal(row[k]) for k in ("open", "high", "low", "close", "volume")
                )
            except (InvalidOperation, TypeError) as exc:
                raise ValueError(f"{path.name}:{line}: not a number") from exc
            if not (lo <= min(o, c) and h >= max(o, c) and lo > 0 and v >= 0):
                raise ValueError(f"{path.name}:{line}: inconsistent candle")
            if h >= MAX_CANDLE_VALUE or v >= MAX_CANDLE_VALUE:
                raise ValueError(f"{path.name}:{line}: a value of 10^15 or more")
            bars.append(Bar(o, h, lo, c, v))
    if not bars:
        raise ValueError(f"{path.name}: no candles")
    return bars


def floor_minute(epoch: float) -> int:
    """Start of the minute containing ``epoch`` (seconds)."""
    return math.floor(epoch / MINUTE) * MINUTE


def to_epoch(moment: datetime) -> float:
    """Aware datetime -> Unix seconds."""
    return moment.astimezone(UTC).timestamp()


class ReplayFeed:
    """The price of one pair at any instant of the sim's timeline."""

    def __init__(self, bars: Sequence[Bar], *, anchor: float, history_minutes: int) -> None:
        self._bars = bars
        self._count = len(bars)  # a file's candles never change while it plays
        self.anchor = anchor
        self.history_minutes = history_minutes
        self.base = floor_minute(anchor) - history_minutes * MINUTE
        # The whole file's range, for a span longer than a round trip; found when first needed
        # (a backtest streams its candles and never asks).
        self._range: tuple[Decimal, Decimal] | None = None
        # The last candle and price asked for: a cycle asks for the same minute's candle and
        # the same instant's price several times (ticker, book, quote, candles), and a
        # streamed file's lookup costs more than the answer. Both are pure functions.
        self._bar_at: tuple[int, Bar] | None = None
        self._price_at: tuple[float, Decimal] | None = None
        # The forming candle, which a cycle's ticker and its candle request both build.
        self._forming_at: tuple[int, float, Bar] | None = None

    @property
    def first_price(self) -> Decimal:
        """Opening price of the file (used to derive scales of unknown pairs)."""
        return self._bars[0].open

    def index_at(self, epoch: float) -> int:
        """Timeline candle number covering ``epoch``."""
        return math.floor((epoch - self.base) / MINUTE)

    def start_of(self, index: int) -> int:
        """Unix seconds at which timeline candle ``index`` opens."""
        return self.base + index * MINUTE

    def bar(self, index: int) -> Bar:
        """Timeline candle ``index``, played forward or backwards per the ping-pong rule."""
        last = self._bar_at
        if last is not None and last[0] == index:
            return last[1]
        bar = self._bar(index)
        self._bar_at = (index, bar)
        return bar

    def _bar(self, index: int) -> Bar:
        n = self._count
        if 0 <= index < n:
            return self._bars[index]
        j = index % (2 * n)
        if j < n:
            return self._bars[j]
        b = self._bars[2 * n - 1 - j]
        return Bar(b.close, b.high, b.low, b.open, b.volume)

    def price_at(self, epoch: float) -> Decimal:
        """The replayed price at ``epoch`` (linear along the candle's path)."""
        last = self._price_at
        if last is not None and last[0] == epoch:
            return last[1]
        price = self._price(epoch)
        self._price_at = (epoch, price)
        return price

    def _price(self, epoch: float) -> Decimal:
        index = self.index_at(epoch)
        leg, frac = _leg_of(epoch - self.start_of(index))
        points = self.bar(index).path()
        price: Decimal = points[leg] + (points[leg + 1] - points[leg]) * frac
        return price

    def range_between(self, start: float, end: float) -> tuple[Decimal, Decimal]:
        """Lowest and highest price the path visits in ``[start, end]``."""
        first, last = self.index_at(start), self.index_at(end)
        if last - first > 2 * len(self._bars):
            if self._range is None:
                self._range = (min(b.low for b in self._bars), max(b.high for b in self._bars))
            return self._range
        seen = [self.price_at(start), self.price_at(end)]
        for index in range(first, last + 1):
            t0 = self.start_of(index)
            for n, price in enumerate(self.bar(index).path()):
                if start < t0 + n * _LEG < end:
                    seen.append(price)
        return min(seen), max(seen)

    def volume_between(self, start: float, end: float) -> Decimal:
        """Base volume the file says traded in ``[start, end]`` (pro rata inside a minute)."""
        if end <= start:
            return Decimal(0)
        total = Decimal(0)
        for index in range(self.index_at(start), self.index_at(end) + 1):
            t0 = self.start_of(index)
            overlap = min(end, t0 + MINUTE) - max(start, t0)
            if overlap > 0:
                total += self.bar(index).volume * _seconds(overlap) / MINUTE
        return total

    def candle_so_far(self, index: int, now: float) -> Bar | None:
        """Candle ``index`` as formed by ``now``: complete if past, partial if current."""
        t0 = self.start_of(index)
        if now < t0:
            return None
        if now >= t0 + MINUTE:
            return self.bar(index)
        last = self._forming_at
        if last is not None and last[0] == index and last[1] == now:
            return last[2]
        low, high = self.range_between(t0, now)
        bar = self.bar(index)
        volume = bar.volume * _seconds(now - t0) / MINUTE
        forming = Bar(bar.open, high, low, self.price_at(now), volume)
        self._forming_at = (index, now, forming)
        return forming
