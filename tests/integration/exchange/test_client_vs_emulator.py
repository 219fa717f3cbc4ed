"""The real client against the real emulator, in process and over a loopback socket."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sim_venue import KINDS, START, Venue, open_venue

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.errors import (
    AuthenticationError,
    ExchangeRejectError,
    InsufficientBalanceError,
    OrderNotFoundError,
)
from btcbot.domain.models import OrderRequest, SymbolRules
from btcbot.domain.quantize import quantize_limit, quantize_market


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Every test here runs once in process and once over a real socket."""
    return str(request.param)


def _rules(venue: Venue, symbol: str = "BTCTRY") -> SymbolRules:
    rules = venue.client.exchange_info().rules_for(symbol)
    assert rules is not None
    return rules


def _resting_buy(venue: Venue, cid: str) -> tuple[int, Decimal, Decimal]:
    """Submit a quantized limit buy 5% under the bid; returns (order id, price, quantity)."""
    rules = _rules(venue)
    bid = venue.client.ticker("BTCTRY").bid
    order = quantize_limit(rules, Side.BUY, bid * Decimal("0.95"), Decimal(200) / bid)
    ack = venue.client.submit_order(order.to_request(cid))
    assert order.price is not None
    return ack.order_id, order.price, order.quantity


def test_public_endpoints(kind: str) -> None:
    """Server time, exchangeinfo, ticker, order book, trades and klines all parse from the sim."""
    with open_venue(kind) as venue:
        client = venue.client
        assert client.server_time() == START
        assert client.sync_clock() == timedelta(0)
        rules = _rules(venue)
        assert rules.min_notional == Decimal("99.91")
        assert rules.tick_size == Decimal(10)
        assert rules.min_limit_price is not None
        assert rules.max_limit_price is not None
        ticker = client.ticker("btc_try")
        assert ticker.symbol == "BTCTRY"
        assert rules.min_limit_price < ticker.last < rules.max_limit_price
        book = client.order_book("BTCTRY", limit=10)
        assert book.best_bid is not None
        assert book.best_ask is not None
        assert book.best_bid.price < book.best_ask.price
        assert len(book.bids) <= 10
        client.trades("BTCTRY", last=5)
        candles = client.klines("BTCTRY", 60, START - timedelta(hours=6), START)
        assert candles
        assert all(c.low <= c.open <= c.high for c in candles)
        assert all(c.open_time <= START for c in candles)


def test_order_lifecycle(kind: str) -> None:
    """Submit, find open, look up, list, cancel (async), then see it Canceled."""
    with open_venue(kind) as venue:
        client = venue.client
        (try_balance,) = [b for b in client.balances() if b.asset == "TRY"]
        assert try_balance.free == Decimal(100000)
        order_id, price, quantity = _resting_buy(venue, "lifecycle-1")
        (listed,) = client.open_orders("BTCTRY")
        assert (listed.order_id, listed.client_order_id) == (order_id, "lifecycle-1")
        assert (listed.side, listed.status, listed.price) == (Side.BUY, OrderStatus.OPEN, price)
        single = client.get_order(order_id)
        assert single.quantity == quantity
        assert single.left_quantity == quantity
        window = client.all_orders(
            "BTCTRY", start=START - timedelta(minutes=1), end=START + timedelta(minutes=1)
        )
        assert [o.order_id for o in window] == [order_id]
        assert client.all_orders("BTCTRY", start=START + timedelta(hours=1)) == []
        locked = next(b for b in client.balances() if b.asset == "TRY").locked
        assert locked >= price * quantity
        client.cancel_order(order_id)
        assert client.open_orders() == []
        assert client.get_order(order_id).status is OrderStatus.CANCELED


def test_market_buy_fills_and_own_trades_are_positive(kind: str) -> None:
    """A market buy of 500 TRY fills; its own trades come back positive with the buy side."""
    with open_venue(kind) as venue:
        client = venue.client
        order = quantize_market(_rules(venue), Side.BUY, Decimal("500.7"))
        ack = client.submit_order(order.to_request("mkt-1"))
        assert ack.method is OrderMethod.MARKET
        fills = client.own_trades(order_id=ack.order_id)
        assert fills
        assert all(f.side is Side.BUY and f.quantity > 0 and f.fee >= 0 for f in fills)
        assert all(f.client_order_id == "mkt-1" for f in fills)
        assert sum(f.price * f.quantity for f in fills) <= Decimal(500)
        assert client.own_trades(symbol="BTCTRY") == fills
        assert client.own_trades(symbol="ETHTRY") == []
        assert client.get_order(ack.order_id).status is OrderStatus.FILLED


def test_typed_rejects_from_the_emulator(kind: str) -> None:
    """Unknown ids and unaffordable orders come back as their typed errors."""
    with open_venue(kind) as venue:
        client = venue.client
        with pytest.raises(OrderNotFoundError):
            client.get_order(1)
        with pytest.raises(OrderNotFoundError):
            client.cancel_order(1)
        rules = _rules(venue)
        bid = client.ticker("BTCTRY").bid
        huge = quantize_limit(rules, Side.BUY, bid * Decimal("0.9"), Decimal(10))
        with pytest.raises(InsufficientBalanceError) as exc:
            client.submit_order(huge.to_request("too-big"))
        assert exc.value.code == 1122
        assert venue.tally.posts_by_client_id["too-big"] == 1


def test_wrong_signature_is_an_authentication_error(kind: str) -> None:
    """A secret that is valid base64 but wrong gives AuthenticationError, not a crash."""
    wrong = "d3Jvbmcgc2VjcmV0"  # base64 of "wrong secret"
    with open_venue(kind, api_secret=wrong) as venue, pytest.raises(AuthenticationError):
        venue.client.balances()


def test_stale_stamp_is_refused_and_clock_sync_fixes_it(kind: str) -> None:
    """A client clock 30 s behind is refused without sync, and accepted once the offset applies."""
    behind = timedelta(seconds=30)
    stale = open_venue(kind, clock=ManualClock(START - behind), auto_sync_clock=False)
    with stale as venue, pytest.raises(AuthenticationError):
        venue.client.balances()
    with open_venue(kind, clock=ManualClock(START - behind)) as venue:
        assert venue.client.balances()
        assert venue.client.clock_offset == behind


def test_server_clock_skew_is_measured_and_applied(kind: str) -> None:
    """An emulator whose clock runs 7 s ahead still accepts a client that synced its clock."""
    with open_venue(kind, faults="skew=7") as venue:
        assert venue.client.balances()
        assert venue.client.clock_offset == timedelta(seconds=7)


def test_a_request_our_validation_refuses_never_reaches_the_emulator(kind: str) -> None:
    """An over-long client id and a non-positive quantity are refused before any byte is sent."""
    bad = [
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(1), Decimal(10), "x" * 51),
        OrderRequest("BTCTRY", Side.SELL, OrderMethod.MARKET, Decimal(0), None, "zero"),
    ]
    with open_venue(kind) as venue:
        for request in bad:
            with pytest.raises(ExchangeRejectError) as exc:
                venue.client.submit_order(request)
            assert exc.value.name == "CLIENT_VALIDATION"
        assert venue.tally.requests["POST /api/v1/order"] == 0
