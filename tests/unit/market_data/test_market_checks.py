"""The checks that make a symbol observe-only, each on its exact boundary and with its exact words.

``test_market_snapshots`` drives them through the service; here ``unusable_reason`` is called
on plain values, so each limit can sit exactly on its edge and each reason is read in full:
the reason is what the operator sees in the decision log and the MONITOR.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from market_fakes import candle, rules

from btcbot.domain.models import BookLevel, OrderBook, Ticker
from btcbot.market_data.checks import unusable_reason
from btcbot.market_data.limits import MarketDataLimits

NOW = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)
LIMITS = MarketDataLimits(candle_count=30)  # book 30 s, ticker 60 s, skew 5 s, 5 %, 10 min
FRESH = NOW - timedelta(seconds=1)


def _ticker(bid: str, ask: str, last: str | None = None, at: datetime = FRESH) -> Ticker:
    mid = (Decimal(bid) + Decimal(ask)) / 2
    price = Decimal(last) if last is not None else mid
    one = Decimal(1)
    return Ticker("BTCTRY", price, Decimal(bid), Decimal(ask), price, price, price, one, price, at)


def _book(bid: str | None, ask: str | None, at: datetime = FRESH) -> OrderBook:
    bids = () if bid is None else (BookLevel(Decimal(bid), Decimal(1)),)
    asks = () if ask is None else (BookLevel(Decimal(ask), Decimal(1)),)
    return OrderBook("BTCTRY", bids, asks, at)


def _reason(
    ticker: Ticker,
    book: OrderBook | None,
    *,
    newest_closed: datetime = NOW - timedelta(minutes=1),
) -> str | None:
    candles = (candle(newest_closed - timedelta(minutes=1)), candle(newest_closed))
    return unusable_reason(
        rules=rules(), ticker=ticker, book=book, candles=candles, now=NOW, limits=LIMITS
    )


def test_a_pair_priced_under_one_lira_is_tradable() -> None:
    """Cheap coins trade at fractions of a lira: a positive price is a price."""
    assert _reason(_ticker("0.5", "0.51"), _book("0.5", "0.51")) is None
    assert _reason(_ticker("0.5", "1"), None) is None


@pytest.mark.parametrize(
    ("bid", "ask", "reason"),
    [
        (None, None, "order book is empty"),
        (None, "101", "order book has no bids"),
        ("100", None, "order book has no asks"),
        ("0", "101", "order book has a non-positive price (bid 0, ask 101)"),
        ("100", "0", "order book has a non-positive price (bid 100, ask 0)"),
        ("100", "100", "crossed book: best bid 100 >= best ask 100"),
    ],
)
def test_a_bad_book_is_named_as_the_book(bid: str | None, ask: str | None, reason: str) -> None:
    """With the book fetched, it is the book that is one-sided, non-positive or crossed."""
    assert _reason(_ticker("99", "102"), _book(bid, ask)) == reason


def test_without_a_book_the_tickers_sides_are_named_as_the_ticker() -> None:
    """Before a book is fetched, the ticker's best bid and ask are what is checked."""
    assert _reason(_ticker("0", "101"), None) == (
        "ticker has a non-positive price (bid 0, ask 101)"
    )
    assert _reason(_ticker("101", "100"), None) == "crossed book: best bid 101 >= best ask 100"


def test_a_timestamp_exactly_at_the_clock_skew_limit_is_usable() -> None:
    """Five seconds ahead of our clock is allowed; a moment more is not."""
    ahead = NOW + timedelta(seconds=5)
    assert _reason(_ticker("100", "101"), _book("100", "101", at=ahead)) is None
    too_far = ahead + timedelta(milliseconds=100)
    assert _reason(_ticker("100", "101"), _book("100", "101", at=too_far)) == (
        "order book timestamp is 5.1 s in the future (limit 5 s); check the clock"
    )


def test_stale_data_says_how_old_it_is_against_its_limit() -> None:
    """The book's and the ticker's own limits, in seconds."""
    old_book = _book("100", "101", at=NOW - timedelta(seconds=31))
    assert _reason(_ticker("100", "101"), old_book) == "order book is 31.0 s old (limit 30 s)"
    old_ticker = _ticker("100", "101", at=NOW - timedelta(seconds=61))
    assert _reason(old_ticker, _book("100", "101")) == "ticker is 61.0 s old (limit 60 s)"


def test_the_newest_candle_is_late_only_past_the_limit_from_its_close() -> None:
    """Lag runs from the candle's close (open + 1 min); exactly ten minutes is still usable."""
    ticker, book = _ticker("100", "101"), _book("100", "101")
    on_the_limit = NOW - timedelta(minutes=11)  # opened 11:49, closed 11:50, ten minutes ago
    assert _reason(ticker, book, newest_closed=on_the_limit) is None
    late = on_the_limit - timedelta(minutes=2)
    assert _reason(ticker, book, newest_closed=late) == (
        "newest closed candle ended 12.0 min ago (limit 10 min)"
    )


def test_no_candles_at_all_is_its_own_reason() -> None:
    """A pair listed a moment ago has no closed minute to decide on."""
    reason = unusable_reason(
        rules=rules(),
        ticker=_ticker("100", "101"),
        book=_book("100", "101"),
        candles=(),
        now=NOW,
        limits=LIMITS,
    )
    assert reason == "no closed 1-minute candles yet"


def test_a_ticker_far_from_the_book_names_both() -> None:
    """The last trade against the book's mid, in per cent of the mid."""
    assert _reason(_ticker("100", "100.5", last="110"), _book("100", "100.5")) == (
        "ticker last 110 is 9.73% from book mid 100.25 (limit 5%)"
    )


def test_a_cheap_pairs_ticker_is_held_to_the_book_too() -> None:
    """Under one lira the deviation check still runs: 0.60 against a mid of 0.505."""
    assert _reason(_ticker("0.5", "0.51", last="0.60"), _book("0.5", "0.51")) == (
        "ticker last 0.60 is 18.81% from book mid 0.505 (limit 5%)"
    )
