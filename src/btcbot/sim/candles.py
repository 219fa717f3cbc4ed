"""Candles of the replayed market at any resolution: graph klines/history and ohlcs, v2 ohlc.

Only candles from the start of the timeline (the file's first candle) up to now exist; the
current candle is reported as formed so far, never ahead of the sim clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from btcbot.sim.feed import Bar, ReplayFeed

_DAY = 86_400
_MONDAY = 4 * _DAY  # 1970-01-05 was a Monday; epoch 0 was a Thursday
_UNITS = {"": 60, "d": _DAY, "w": 7 * _DAY, "m": -1, "y": -2}  # -1/-2: calendar month/year


@dataclass(slots=True)
class Agg:
    """One aggregated candle; ``turnover`` is sum(volume x close) for averages."""

    start: int
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    turnover: Decimal


def parse_resolution(raw: str) -> int:
    """``1``/``60``/``240`` (minutes), ``1D``/``1 d``/``D``, ``1W``, ``1M``, ``1Y`` -> seconds.

    Months and years are calendar buckets, returned as -1 and -2. ValueError when unknown.
    """
    compact = raw.replace(" ", "").lower()
    digits = compact.rstrip("dwmy")
    unit = compact[len(digits) :]
    count = int(digits) if digits.isdigit() else (1 if not digits else 0)
    if unit not in _UNITS or count <= 0 or (unit and count != 1):
        raise ValueError(f"unsupported resolution {raw!r}")
    if not unit and count not in (1, 5, 15, 30, 60, 240):
        raise ValueError(f"unsupported resolution {raw!r}")
    seconds = _UNITS[unit]
    return seconds * count if seconds > 0 else seconds


def bucket_start(epoch: int, resolution: int) -> int:
    """Start of the bucket containing ``epoch``: UTC-aligned; weeks start on Monday."""
    if resolution > 0:
        offset = _MONDAY if resolution == 7 * _DAY else 0
        return (epoch - offset) // resolution * resolution + offset
    moment = datetime.fromtimestamp(epoch, UTC)
    month = moment.month if resolution == -1 else 1
    return int(datetime(moment.year, month, 1, tzinfo=UTC).timestamp())


def aggregate(feed: ReplayFeed, resolution: int, start: int, end: int, now: float) -> list[Agg]:
    """Buckets whose start lies in ``[start, end]``, built from 1-minute candles up to now."""
    first = max(feed.index_at(bucket_start(start, resolution)), 0)
    last = feed.index_at(min(float(end) + _bucket_len(resolution), now))
    out: list[Agg] = []
    for index in range(first, last + 1):
        bar: Bar | None = feed.candle_so_far(index, now)
        if bar is None:
            break
        key = bucket_start(feed.start_of(index), resolution)
        if key < start or key > end:
            continue
        if out and out[-1].start == key:
            agg = out[-1]
            agg.high, agg.low = max(agg.high, bar.high), min(agg.low, bar.low)
            agg.close = bar.close
            agg.volume += bar.volume
            agg.turnover += bar.volume * bar.close
        else:
            out.append(
                Agg(key, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.volume * bar.close)
            )
    return out


def _bucket_len(resolution: int) -> int:
    return resolution if resolution > 0 else (31 if resolution == -1 else 366) * _DAY
