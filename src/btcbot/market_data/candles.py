"""A per-symbol window of the last N closed 1-minute candles, filled incrementally.

The first fetch asks for the whole window; after that only candles newer than the newest one
held are asked for, and no request is made at all until another minute has closed. So a cycle
costs at most one small klines request per symbol per minute.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from btcbot.domain.models import Candle

MINUTE = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class CandleRequest:
    """The open-time range ``[start, last_closed]`` to ask the source for."""

    start: datetime
    last_closed: datetime


def floor_minute(at: datetime) -> datetime:
    """``at`` truncated to the start of its minute."""
    return at.replace(second=0, microsecond=0)


class CandleWindow:
    """The newest ``size`` closed candles of one symbol, oldest first."""

    def __init__(self, size: int, settle: timedelta) -> None:
        self._size = size
        self._settle = settle
        self._candles: deque[Candle] = deque(maxlen=size)

    @property
    def candles(self) -> tuple[Candle, ...]:
        """The held candles, oldest first."""
        return tuple(self._candles)

    def last_closed_open(self, now: datetime) -> datetime:
        """Open time of the newest candle closed (and settled for ``settle``) at ``now``."""
        return floor_minute(now - self._settle) - MINUTE

    def request(self, now: datetime) -> CandleRequest | None:
        """What to fetch at ``now``; ``None`` when no new candle can have closed yet."""
        last_closed = self.last_closed_open(now)
        earliest = last_closed - MINUTE * (self._size - 1)
        if not self._candles:
            return CandleRequest(earliest, last_closed)
        newest = self._candles[-1].open_time
        if newest >= last_closed:
            return None
        return CandleRequest(max(newest + MINUTE, earliest), last_closed)

    def merge(self, request: CandleRequest, fetched: Iterable[Candle]) -> int:
        """Add the closed candles of ``fetched`` inside ``request``; return how many were new.

        Candles still open, outside the range or already held are dropped, so a source that
        returns the forming candle or overlapping ranges cannot corrupt the window.
        """
        if self._candles and request.start > self._candles[-1].open_time + MINUTE:
            # The bot was away longer than the window: the old candles would sit next to the
            # new ones as if they were consecutive, so start over.
            self._candles.clear()
        newest = self._candles[-1].open_time if self._candles else None
        fresh = sorted(
            (
                c
                for c in fetched
                if request.start <= c.open_time <= request.last_closed
                and (newest is None or c.open_time > newest)
            ),
            key=lambda c: c.open_time,
        )
        added = 0
        for candle in fresh:
            if self._candles and candle.open_time <= self._candles[-1].open_time:
                continue  # duplicate open time within one response
            self._candles.append(candle)
            added += 1
        return added
