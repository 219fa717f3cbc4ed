"""Order books fetched before an order, symbol by symbol, and the gaps a single snapshot reports.

``test_market_snapshots`` covers one symbol at a time; these hold ``with_books`` to every symbol
it is asked for when an earlier one already had its book or could not get one, to the depth
the limits ask for, and to the book's own time, and a lone ``snapshot`` to the symbol its gap
names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from market_fakes import START, FakeMarket, rules

from btcbot.adapters.clock import ManualClock
from btcbot.domain.errors import ExchangeUnavailableError, MarketDataError
from btcbot.domain.models import OrderBook, Ticker
from btcbot.market_data.limits import MarketDataLimits
from btcbot.market_data.service import MarketDataService

LIMITS = MarketDataLimits(candle_count=30, book_depth=7)


@dataclass
class PickyMarket(FakeMarket):
    """Refuses the order book of the symbols in ``no_book``; sends no ticker for ``no_ticker``."""

    no_book: set[str] = field(default_factory=set)
    no_ticker: set[str] = field(default_factory=set)
    depths: list[tuple[str, int]] = field(default_factory=list)

    def order_book(self, symbol: str, limit: int = 100) -> OrderBook:
        """The fake's book, or a 503 for the symbols of ``no_book``; records the depth asked."""
        self.depths.append((symbol, limit))
        if symbol in self.no_book:
            raise ExchangeUnavailableError("503", endpoint=f"GET /api/v2/orderbook {symbol}")
        return super().order_book(symbol, limit)

    def tickers(self) -> list[Ticker]:
        """Every listed pair's ticker except those of ``no_ticker``."""
        return [t for t in super().tickers() if t.symbol not in self.no_ticker]


def _service() -> tuple[MarketDataService, PickyMarket]:
    clock = ManualClock(START)
    market = PickyMarket(clock)
    market.listed |= {"ETHTRY": rules("ETHTRY"), "XRPTRY": rules("XRPTRY")}
    return MarketDataService(market, clock, LIMITS), market


def test_every_symbol_asked_for_gets_its_book_whatever_came_before() -> None:
    """A symbol that already has its book, or whose book failed, does not stop the next ones."""
    service, market = _service()
    snapshots = service.snapshots(["BTCTRY", "ETHTRY", "XRPTRY"]).snapshots
    first = service.with_books(snapshots, {"BTCTRY"})
    market.no_book = {"ETHTRY"}
    market.depths.clear()
    booked = service.with_books(first, {"BTCTRY", "ETHTRY", "XRPTRY"})
    assert market.depths == [("ETHTRY", 7), ("XRPTRY", 7)]  # BTCTRY's book is not fetched again
    assert booked["BTCTRY"] is first["BTCTRY"]
    assert booked["ETHTRY"].book is None
    assert booked["ETHTRY"].unusable_reason == (
        "order book unavailable: GET /api/v2/orderbook ETHTRY: 503"
    )
    assert booked["XRPTRY"].book is not None
    assert booked["XRPTRY"].unusable_reason is None


def test_a_symbol_without_a_snapshot_gets_no_book() -> None:
    """Nothing to check a book against: the symbol stays a gap, and nothing is fetched."""
    service, market = _service()
    snapshots = service.snapshots(["BTCTRY"]).snapshots
    assert service.with_books(snapshots, {"ETHTRY"}) == snapshots
    assert market.depths == []


def test_a_booked_snapshot_is_as_old_as_its_book() -> None:
    """The book is what an order is priced on, so its time is the snapshot's exchange time."""
    service, market = _service()
    market.book_lag = timedelta(seconds=3)
    snapshots = service.snapshots(["BTCTRY"]).snapshots
    assert snapshots["BTCTRY"].exchange_time == START - timedelta(seconds=1)  # the ticker's
    booked = service.with_books(snapshots, {"BTCTRY"})["BTCTRY"]
    assert booked.exchange_time == START - timedelta(seconds=3)


def test_a_lone_snapshots_gap_names_its_symbol_and_why() -> None:
    """``snapshot`` raises for the symbol asked, normalised, with the batch's reason."""
    service, market = _service()
    market.no_ticker = {"ETHTRY"}
    with pytest.raises(MarketDataError) as none_sent:
        service.snapshot("eth_try")
    assert (none_sent.value.symbol, none_sent.value.reason) == (
        "ETHTRY",
        "ticker unavailable: the exchange sent none for ETHTRY",
    )
    market.failing.add("ticker")
    with pytest.raises(MarketDataError) as unreachable:
        service.snapshot("btc_try")
    assert unreachable.value.symbol == "BTCTRY"
    assert unreachable.value.reason == "ticker unavailable: GET /ticker: 503 maintenance"


def test_rules_that_cannot_be_read_are_a_gap_of_the_symbol_asked() -> None:
    """Without the pair's rules nothing can be sized: a gap naming the pair and the failure."""
    service, market = _service()
    market.failing.add("exchange_info")
    with pytest.raises(MarketDataError) as caught:
        service.snapshot("btc_try")
    assert (caught.value.symbol, caught.value.reason) == (
        "BTCTRY",
        "exchange rules unavailable: GET /exchange_info: 503 maintenance",
    )
