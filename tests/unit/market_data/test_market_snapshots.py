"""Snapshots: healthy data is tradable; stale or inconsistent data is observe-only with a reason."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest
from market_fakes import START, FakeMarket, rules

from btcbot.adapters.clock import ManualClock
from btcbot.domain.errors import ConfigError, MarketDataError
from btcbot.domain.market import MarketSnapshot
from btcbot.market_data.limits import MarketDataLimits
from btcbot.market_data.service import MarketDataService

if TYPE_CHECKING:
    from btcbot.exchange.client import BtcturkClient
    from btcbot.market_data.ports import MarketSource

    def _client_is_a_market_source(client: BtcturkClient) -> MarketSource:
        """Type-checked only: the real client must satisfy the port."""
        return client


LIMITS = MarketDataLimits(candle_count=30)


def _booked(service: MarketDataService, symbol: str) -> MarketSnapshot:
    """``symbol``'s snapshot with its order book fetched and checked (as before an order)."""
    return service.with_books({symbol: service.snapshot(symbol)}, {symbol})[symbol]


def _service(**market: object) -> tuple[MarketDataService, FakeMarket, ManualClock]:
    clock = ManualClock(START)
    fake = FakeMarket(clock)
    for name, setting in market.items():
        setattr(fake, name, setting)
    return MarketDataService(fake, clock, LIMITS), fake, clock


def test_healthy_data_gives_a_tradable_snapshot_with_its_age() -> None:
    """A fresh, uncrossed book and a consistent ticker give a snapshot with no unusable reason."""
    service, _, clock = _service()
    snapshot = service.snapshot("BTC_TRY")
    assert snapshot.unusable_reason is None
    assert snapshot.symbol == "BTCTRY"
    assert snapshot.taken_at == clock.now()
    assert snapshot.age(clock.now()) == timedelta(seconds=1)
    assert (snapshot.best_bid, snapshot.best_ask) == (Decimal(1_999_000), Decimal(2_001_000))
    assert len(snapshot.candles) == 30
    assert snapshot.rules.min_notional == Decimal("99.91")


@pytest.mark.parametrize(
    ("market", "reason"),
    [
        ({"bid": Decimal(2_001_000)}, "crossed book"),
        ({"bid": Decimal(2_002_000)}, "crossed book"),
        ({"bid": None}, "no bids"),
        ({"ask": None}, "no asks"),
        ({"bid": None, "ask": None}, "empty"),
        ({"bid": Decimal(0)}, "non-positive"),
        ({"book_lag": timedelta(seconds=31)}, "order book is 31.0 s old"),
        ({"book_lag": timedelta(seconds=-6)}, "order book timestamp is 6.0 s in the future"),
        ({"ticker_lag": timedelta(seconds=61)}, "ticker is 61.0 s old"),
        ({"last": Decimal(2_200_000)}, "ticker last 2200000 is 10.00% from book mid"),
        ({"listed": {"BTCTRY": rules(status="HALTED")}}, "pair status is 'HALTED'"),
        ({"candles_until": START - timedelta(minutes=15)}, "newest closed candle ended"),
        ({"candles_from": START + timedelta(hours=1)}, "no closed 1-minute candles"),
    ],
)
def test_bad_data_makes_the_symbol_observe_only(market: dict[str, object], reason: str) -> None:
    """Crossed, one-sided, stale, future-dated, inconsistent or halted data sets the reason.

    Checked where an order would be decided: on the snapshot with its order book.
    """
    service, _, _ = _service(**market)
    snapshot = _booked(service, "BTCTRY")
    assert not snapshot.tradable
    assert snapshot.unusable_reason is not None
    assert reason in snapshot.unusable_reason


def test_limits_are_inclusive_at_the_edge() -> None:
    """Data exactly as old as the limit, or a ticker exactly at the deviation limit, is usable."""
    mid = Decimal(2_000_000)
    service, _, _ = _service(book_lag=timedelta(seconds=30), last=mid * Decimal("1.05"))
    assert _booked(service, "BTCTRY").tradable


def test_an_unlisted_pair_is_a_gap_not_a_crash() -> None:
    """A pair the venue does not list raises MarketDataError alone and is a gap in a batch."""
    service, _, _ = _service()
    with pytest.raises(MarketDataError, match="not listed") as caught:
        service.snapshot("XRPTRY")
    assert caught.value.symbol == "XRPTRY"
    result = service.snapshots(["BTCTRY", "xrp_try"])
    assert list(result.tradable()) == ["BTCTRY"]
    assert result.gaps == {"XRPTRY": "pair XRPTRY is not listed by the exchange"}


def test_a_failed_ticker_fetch_is_a_gap_with_the_reason() -> None:
    """When the tickers cannot be fetched, every symbol gets no snapshot and the reason."""
    service, fake, _ = _service()
    fake.failing.add("ticker")
    result = service.snapshots(["BTCTRY"])
    assert result.snapshots == {}
    assert result.problems()["BTCTRY"].startswith("ticker unavailable: GET /ticker: 503")


def test_a_failed_book_fetch_makes_the_symbol_observe_only() -> None:
    """A book that cannot be fetched before an order keeps the symbol out of this cycle."""
    service, fake, _ = _service()
    fake.failing.add("order_book")
    snapshot = _booked(service, "BTCTRY")
    assert snapshot.book is None
    assert snapshot.unusable_reason is not None
    assert snapshot.unusable_reason.startswith("order book unavailable: GET /order_book: 503")


def test_the_order_book_is_fetched_only_for_the_symbols_asked_for() -> None:
    """Snapshots carry the ticker's top of book; ``with_books`` fetches just the named symbols."""
    service, fake, _ = _service()
    fake.listed["ETHTRY"] = rules("ETHTRY")
    snapshots = service.snapshots(["BTCTRY", "ETHTRY"]).snapshots
    assert fake.calls["order_book"] == 0
    assert fake.calls["ticker"] == 1
    assert snapshots["BTCTRY"].book is None
    assert snapshots["BTCTRY"].best_bid == Decimal(1_999_000)  # the ticker's best bid
    booked = service.with_books(snapshots, {"ETHTRY"})
    assert fake.calls["order_book"] == 1
    assert booked["BTCTRY"] is snapshots["BTCTRY"]
    assert booked["ETHTRY"].book is not None
    assert booked["ETHTRY"].exchange_time == booked["ETHTRY"].book.timestamp


def test_problems_lists_gaps_and_unusable_snapshots_together() -> None:
    """``problems()`` gives every observe-only symbol with its reason, ready to log."""
    service, fake, _ = _service(bid=Decimal(2_005_000))
    fake.listed["ETHTRY"] = rules("ETHTRY")
    fake.ask = Decimal(2_004_000)
    result = service.snapshots(["BTCTRY", "ETHTRY", "DOGETRY"])
    assert set(result.problems()) == {"BTCTRY", "ETHTRY", "DOGETRY"}
    assert "crossed" in result.problems()["ETHTRY"]
    assert result.tradable() == {}


def test_bad_limits_are_a_config_error() -> None:
    """Negative ages, zero candles, a depth over 100 or a zero refresh raise ConfigError."""
    for bad in (
        {"max_book_age": timedelta(seconds=-1)},
        {"candle_count": 0},
        {"book_depth": 101},
        {"rules_refresh": timedelta(0)},
        {"max_ticker_deviation_pct": Decimal(-1)},
    ):
        with pytest.raises(ConfigError):
            MarketDataLimits(**bad)
