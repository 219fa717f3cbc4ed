"""``btcbot.data.fetch`` over a fake graph API: paging, resume, and every bad row counted."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from btcbot.data.fetch import PAGE_MINUTES, fetch_symbol, missing_ranges, pages, read_existing
from btcbot.domain.models import MAX_CANDLE_VALUE, Candle

T0 = 1_790_121_600  # a minute


def _candle(ts: int, close: str = "100", *, low: str = "99", high: str = "101") -> Candle:
    return Candle(
        open_time=datetime.fromtimestamp(ts, tz=UTC),
        open=Decimal(100),
        high=Decimal(high),
        low=Decimal(low),
        close=Decimal(close),
        volume=Decimal("0.5"),
    )


class FakeGraph:
    """Serves ``candles`` by open time in ``[start, end]``, in the order given; logs each call."""

    def __init__(self, candles: list[Candle]) -> None:
        self.candles = candles
        self.calls: list[tuple[int, int]] = []

    def klines(
        self, symbol: str, resolution_minutes: int, start: datetime, end: datetime
    ) -> list[Candle]:
        """The served candles inside the range."""
        assert symbol == "BTCTRY"
        assert resolution_minutes == 1
        self.calls.append((int(start.timestamp()), int(end.timestamp())))
        return [c for c in self.candles if start <= c.open_time <= end]


def test_pages_cover_a_range_oldest_first_without_overlap() -> None:
    """1,200 minutes in pages of PAGE_MINUTES: contiguous, none longer than a page."""
    got = pages([(T0, T0 + 60 * 1199)])
    assert got[0][0] == T0
    assert got[-1][1] == T0 + 60 * 1199
    for (a, b), (c, _) in itertools.pairwise(got):
        assert c == b + 60
        assert (b - a) // 60 + 1 <= PAGE_MINUTES


def test_a_full_fetch_then_a_resume_asks_only_for_what_is_missing(tmp_path: Path) -> None:
    """The second run asks for nothing it already has, and the file ends up the same."""
    graph = FakeGraph([_candle(T0 + 60 * n) for n in range(1000)])
    first = fetch_symbol(graph, "BTCTRY", T0, T0 + 60 * 599, tmp_path)
    assert first.new_candles == 600
    assert first.requests == 2
    graph.calls.clear()
    second = fetch_symbol(graph, "BTCTRY", T0, T0 + 60 * 999, tmp_path)
    assert graph.calls == [(T0 + 60 * 600, T0 + 60 * 999)]
    assert second.new_candles == 400
    assert second.total_candles == 1000
    assert len(read_existing(tmp_path / "BTCTRY.csv")) == 1000


def test_duplicates_out_of_order_invalid_rows_and_gaps_are_counted(tmp_path: Path) -> None:
    """Each kind of problem is counted; bad rows are dropped, gaps kept as gaps."""
    served = [_candle(T0 + 60 * n) for n in range(10) if n not in (4, 5)]  # 2 minutes missing
    served.insert(3, _candle(T0 + 60 * 1))  # a duplicate, also out of order
    served.append(_candle(T0 + 60 * 10, low="0"))  # a price that is not positive
    served.append(_candle(T0 + 60 * 11, close="105"))  # close above high
    served.append(_candle(T0 + 60 * 12 + 30))  # not on a minute
    # Values every backtest refuses (the file would be unusable): written before.
    served.append(_candle(T0 + 60 * 13, high=format(MAX_CANDLE_VALUE, "f")))
    served.append(dataclasses.replace(_candle(T0 + 60 * 14), volume=MAX_CANDLE_VALUE))
    report = fetch_symbol(FakeGraph(served), "BTCTRY", T0, T0 + 60 * 20, tmp_path)
    assert report.duplicates == 1
    assert report.out_of_order == 1
    assert report.invalid == 5
    assert report.gaps == 1
    assert report.missing_minutes == 2
    assert report.total_candles == 8
    assert "gaps 1 (2 min)" in report.line()


def test_missing_ranges_before_and_after_the_file() -> None:
    """Only the minutes outside the file's first..last are asked for again."""
    rows = {T0 + 600: ("1", "1", "1", "1", "0"), T0 + 1200: ("1", "1", "1", "1", "0")}
    assert missing_ranges(rows, T0, T0 + 1800) == [(T0, T0 + 540), (T0 + 1260, T0 + 1800)]
    assert missing_ranges({}, T0, T0 + 60) == [(T0, T0 + 60)]
