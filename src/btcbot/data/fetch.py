"""``btcbot data fetch``: 1-minute candles from BtcTurk's graph API into the backtest's CSV files.

- **Paged** within the API's limits: ``PAGE_MINUTES`` candles a request (API.md 3.6 says too
  wide a range for a small resolution is refused without saying how wide; 500 minutes is the
  conservative reading), paced by the client's graph quota (600 requests per 10 minutes, IP).
- **Resumable**: a file already in ``--out`` is kept; only the minutes before its first and
  after its last candle are asked for. Pages are fetched oldest first and the file is rewritten
  (atomically) every ``FLUSH_PAGES`` pages and on Ctrl-C, so an interrupted run loses at most
  those pages, and the next run goes on from the last candle written.
- **Validated**: per symbol, duplicates (dropped), rows out of time order, invalid rows (a
  price that is not positive, high/low not holding open and close, negative volume, a value of
  10^15 or more, a time not on a minute: dropped) and gaps (minutes without a candle inside the
  range: kept as gaps, the backtest fills them flat) are counted and reported.
- **Written** as ``SYMBOL.csv``: ``ts,open,high,low,close,volume``, ``ts`` the open time in Unix
  seconds, numbers as the exchange printed them; the backtest and the emulator read it back.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Protocol

from btcbot.domain.fingerprint import plain
from btcbot.domain.models import MAX_CANDLE_VALUE, Candle
from btcbot.observability.atomic import SHARED_READABLE, atomic_write_text

MINUTE = 60
PAGE_MINUTES = 500
FLUSH_PAGES = 50
HEADER = "ts,open,high,low,close,volume"


class KlineSource(Protocol):
    """The graph API's candles (``BtcturkClient.klines`` satisfies it)."""

    def klines(
        self, symbol: str, resolution_minutes: int, start: datetime, end: datetime
    ) -> list[Candle]:
        """Candles whose open time lies in ``[start, end]``."""
        ...


Row = tuple[str, str, str, str, str]  # open, high, low, close, volume as written


@dataclass
class FetchReport:
    """What one symbol's fetch did and found."""

    symbol: str
    path: Path
    requests: int = 0
    new_candles: int = 0
    total_candles: int = 0
    duplicates: int = 0
    out_of_order: int = 0
    invalid: int = 0
    gaps: int = 0  # runs of missing minutes between the first and the last candle
    missing_minutes: int = 0
    first: int | None = None
    last: int | None = None
    interrupted: bool = False

    def line(self) -> str:
        """One line for the operator."""
        span = (
            f"{_iso(self.first)} .. {_iso(self.last)}"
            if self.first is not None and self.last is not None
            else "no candles"
        )
        return (
            f"{self.symbol}: {self.total_candles} candles ({self.new_candles} new, "
            f"{self.requests} requests) {span}; gaps {self.gaps} ({self.missing_minutes} min), "
            f"duplicates {self.duplicates}, out of order {self.out_of_order}, "
            f"invalid {self.invalid} -> {self.path}"
            + (" [interrupted: run again to resume]" if self.interrupted else "")
        )


def _iso(ts: int | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M")


def read_existing(path: Path) -> dict[int, Row]:
    """The candles a previous run wrote (``ValueError`` naming the row if it is not ours)."""
    rows: dict[int, Row] = {}
    if not path.exists():
        return rows
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not UTF-8 text, so not a candle file of ours") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot be read ({exc})") from None
    if not lines or lines[0].strip() != HEADER:
        raise ValueError(f"{path}: not a candle file of ours (header {HEADER} expected)")
    for n, line in enumerate(lines[1:], start=2):
        parts = line.split(",")
        if len(parts) != len(HEADER.split(",")) or not _numbers(parts):
            raise ValueError(f"{path}:{n}: not a candle row; move the file away and fetch again")
        rows[int(parts[0])] = (parts[1], parts[2], parts[3], parts[4], parts[5])
    return rows


def _numbers(parts: list[str]) -> bool:
    try:
        int(parts[0])
        return all(Decimal(v).is_finite() for v in parts[1:])
    except (ValueError, InvalidOperation):
        return False


def write_atomically(path: Path, rows: dict[int, Row]) -> None:
    """``rows`` sorted by time into ``path``, replacing it in one rename."""
    lines = [HEADER, *(f"{ts}," + ",".join(rows[ts]) for ts in sorted(rows))]
    atomic_write_text(path, "\n".join(lines) + "\n", mode=SHARED_READABLE)


def _problem(candle: Candle) -> bool:
    c = candle
    ts = c.open_time.timestamp()
    prices = (c.open, c.high, c.low, c.close)
    return (
        ts % MINUTE != 0
        or not all(x.is_finite() for x in (*prices, c.volume))
        or c.low <= 0
        or c.low > min(c.open, c.close)
        or c.high < max(c.open, c.close)
        or c.volume < 0
        # Written, it would make the file one that every backtest refuses.
        or c.high >= MAX_CANDLE_VALUE
        or c.volume >= MAX_CANDLE_VALUE
    )


def missing_ranges(rows: dict[int, Row], start: int, end: int) -> list[tuple[int, int]]:
    """The ``[from, to]`` minute ranges a fetch must still ask for (before and after the file)."""
    if not rows:
        return [(start, end)] if start <= end else []
    first, last = min(rows), max(rows)
    ranges = []
    if start < first:
        ranges.append((start, min(end, first - MINUTE)))
    if end > last:
        ranges.append((max(start, last + MINUTE), end))
    return [(a, b) for a, b in ranges if a <= b]


def pages(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Each range cut into requests of at most ``PAGE_MINUTES`` candles, oldest first."""
    out = []
    for a, b in ranges:
        t = a
        while t <= b:
            out.append((t, min(b, t + (PAGE_MINUTES - 1) * MINUTE)))
            t += PAGE_MINUTES * MINUTE
    return out


def fetch_symbol(
    source: KlineSource,
    symbol: str,
    start: int,
    end: int,
    out: Path,
    *,
    on_page: Callable[[], None] = lambda: None,
) -> FetchReport:
    """Fetch what ``out/SYMBOL.csv`` lacks of ``[start, end]`` (Unix seconds, on minutes)."""
    path = out / f"{symbol}.csv"
    rows = read_existing(path)
    report = FetchReport(symbol, path)
    todo = pages(missing_ranges(rows, start, end))
    try:
        for n, (a, b) in enumerate(todo, start=1):
            candles = source.klines(
                symbol, 1, datetime.fromtimestamp(a, tz=UTC), datetime.fromtimestamp(b, tz=UTC)
            )
            report.requests += 1
            _merge(rows, candles, a, b, report)
            on_page()
            if n % FLUSH_PAGES == 0:
                write_atomically(path, rows)
    except KeyboardInterrupt:
        report.interrupted = True
        raise
    finally:
        if rows:
            write_atomically(path, rows)
        _summarise(rows, report)
    return report


def _merge(
    rows: dict[int, Row], candles: list[Candle], a: int, b: int, report: FetchReport
) -> None:
    previous: int | None = None
    for candle in candles:
        ts = int(candle.open_time.timestamp())
        if previous is not None and ts <= previous:
            report.out_of_order += 1
        previous = ts if previous is None else max(previous, ts)
        if not a <= ts <= b:
            continue  # outside the page asked for (a forming candle, an overlapping answer)
        if _problem(candle):
            report.invalid += 1
            continue
        if ts in rows:
            report.duplicates += 1
            continue
        c = candle
        rows[ts] = (
            plain(c.open),
            plain(c.high),
            plain(c.low),
            plain(c.close),
            plain(c.volume),
        )
        report.new_candles += 1


def _summarise(rows: dict[int, Row], report: FetchReport) -> None:
    report.total_candles = len(rows)
    if not rows:
        return
    times = sorted(rows)
    report.first, report.last = times[0], times[-1]
    for earlier, later in itertools.pairwise(times):
        missing = (later - earlier) // MINUTE - 1
        if missing > 0:
            report.gaps += 1
            report.missing_minutes += missing
