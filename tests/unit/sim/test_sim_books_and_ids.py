"""The emulator's book at each instant, how deep a marketable order takes it, and its ids.

Mutation testing of sim/exchange.py found these unheld: a book (or its top) cached at one
instant served at a later one, a shallow request answered with the whole book, a marketable
order given one level less than its limit reaches, the minimum notional's edge and its name,
a stop-limit's price let outside the band, and trade ids counting down. Every dry run and
backtest prices, fills and reconciles through these.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from sim_helpers import build_sim, flat, new_clock, place, trades_of

from btcbot.sim.book import top_of_book
from btcbot.sim.feed import Bar
from btcbot.sim.model import CLOSED, PARTIAL
from btcbot.sim.validation import SimRejectError

RISING = [flat(1_000_000 + 10_000 * k, "0") for k in range(10)]  # a new price every minute


def test_a_book_built_at_one_instant_is_not_served_at_the_next() -> None:
    """The book, and its top, follow the price from one minute to the next."""
    clock = new_clock()
    sim = build_sim(clock, RISING)
    spec = sim.pairs["BTCTRY"]
    before = sim.book("BTCTRY")
    clock.advance(60)
    after_top = sim.top("BTCTRY")  # asked before any book of this instant is built
    after = sim.book("BTCTRY")
    price = sim.feeds["BTCTRY"].price_at(sim.epoch())
    assert after_top == top_of_book(spec, price) == (after.best_bid, after.best_ask)
    assert after.best_bid > before.best_bid


def test_the_top_of_a_cached_book_is_its_best_bid_and_ask() -> None:
    """Asked after the book of the same instant, the top is that book's level 0."""
    sim = build_sim(new_clock(), RISING)
    book = sim.book("BTCTRY")
    assert sim.top("BTCTRY") == (book.best_bid, book.best_ask)
    assert book.best_bid < book.best_ask


def test_a_shallow_request_gets_as_many_levels_as_it_asked_for() -> None:
    """The deep book of an instant serves a shallow request with its first levels only.

    A request deeper than the book cached builds it again, as deep as asked.
    """
    sim = build_sim(new_clock(), RISING)
    deep = sim.book("BTCTRY", depth=100)
    shallow = sim.book("BTCTRY", depth=5)
    assert (len(shallow.bids), len(shallow.asks)) == (5, 5)
    assert (shallow.bids, shallow.asks) == (deep.bids[:5], deep.asks[:5])

    other = build_sim(new_clock(), RISING)
    first = other.book("BTCTRY", depth=3)
    again = other.book("BTCTRY", depth=40)
    assert (len(first.asks), len(again.asks)) == (3, 40)
    assert again.asks[:3] == first.asks


def test_a_marketable_limit_order_takes_every_level_up_to_its_limit() -> None:
    """A buy limited to the third ask takes the first three levels whole, as taker, and rests."""
    sim = build_sim(new_clock(), [flat(1_000_000, "0")] * 10)
    asks = sim.book("BTCTRY").asks
    order = place(sim, price=str(asks[2].price), quantity="0.01")
    trades = trades_of(sim, order)
    assert [(t.price, t.amount) for t in trades] == [(a.price, a.quantity) for a in asks[:3]]
    assert order.status == PARTIAL
    assert order.left == Decimal("0.01") - sum(a.quantity for a in asks[:3])


def test_a_limit_order_at_the_touch_takes_the_book_at_once() -> None:
    """A buy at the best ask and a sell at the best bid are marketable: they fill as taker."""
    sim = build_sim(new_clock(), [flat(1_000_000, "1")] * 10)
    sim.account.credit("BTC", Decimal(1))
    book = sim.book("BTCTRY")
    buy = place(sim, price=str(book.best_ask), quantity="0.001")
    sell = place(sim, orderType="sell", price=str(book.best_bid), quantity="0.001")
    for order, price in ((buy, book.best_ask), (sell, book.best_bid)):
        trades = trades_of(sim, order)
        assert order.status == CLOSED
        assert [(t.price, t.amount) for t in trades] == [(price, Decimal("0.001"))]


def test_the_minimum_notional_is_met_on_its_edge_and_refused_below_it() -> None:
    """99.91 TRY of BTC (the pair's minExchangeValue) is an order; 99.90 is 1123."""
    sim = build_sim(new_clock())
    accepted = place(sim, price="999100", quantity="0.0001")
    assert accepted.id in sim.orders
    with pytest.raises(SimRejectError) as info:
        place(sim, price="999000", quantity="0.0001")
    assert (info.value.message, info.value.code) == ("FAILED_MIN_TOTAL_AMOUNT", 1123)


def test_a_stop_limits_price_is_held_to_the_band() -> None:
    """Ten times the price is above the band for a stop-limit as for a limit order."""
    sim = build_sim(new_clock())
    with pytest.raises(SimRejectError) as info:
        place(sim, orderMethod="stoplimit", price="10000000", stopPrice="1000100", quantity="0.01")
    assert (info.value.message, info.value.code) == ("PRICE_MUST_BE_LESS_THAN_MAXPRICE", 1226)


def test_order_and_trade_ids_only_grow_and_trade_ids_pass_two_to_the_53() -> None:
    """BtcTurk's ids grow with time, and trade ids are past 2**53 (unsafe as a float).

    A reader may order by them; they must stay exact integers.
    """
    bars: list[Bar] = [flat(1_000_000, "0")] * 10
    sim = build_sim(new_clock(), bars)
    limit = str(sim.book("BTCTRY").asks[3].price)
    orders = [place(sim, price=limit, quantity="0.01") for _ in range(4)]
    order_ids = [o.id for o in orders]
    trade_ids = [t.id for t in sim.trades]
    assert len(trade_ids) > len(orders)  # each order took more than one level
    assert order_ids == sorted(set(order_ids))
    assert trade_ids == sorted(set(trade_ids))
    assert min(trade_ids) > 2**53
