"""The emulator's matching engine: validation codes, locks, fills, fees, async cancel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from decimal import ROUND_DOWN, Decimal
from functools import partial
from typing import Any

import pytest
from sim_helpers import build_sim, flat, new_clock, place

from btcbot.adapters.clock import ManualClock
from btcbot.sim.exchange import SimExchange
from btcbot.sim.feed import Bar
from btcbot.sim.model import CANCELED, CLOSED, PARTIAL, UNTOUCHED
from btcbot.sim.validation import SimRejectError, parse_order

MakeSim = Callable[..., SimExchange]


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at START."""
    return new_clock()


@pytest.fixture
def make_sim(clock: ManualClock) -> MakeSim:
    """Builds sims on ``clock``."""
    return partial(build_sim, clock)


def taker_fee(notional: Decimal) -> Decimal:
    """0.15% of ``notional``, truncated to 8 decimals."""
    return (notional * Decimal("0.0015")).quantize(Decimal("1e-8"), ROUND_DOWN)


def reject_code(sim: SimExchange, **fields: Any) -> int | str:
    """The code of the SimRejectError ``place`` raises."""
    with pytest.raises(SimRejectError) as info:
        place(sim, **fields)
    return info.value.code


def dip_bars(volume: str = "1") -> list[Bar]:
    """Flat at 1,000,000 with no volume until START, then minutes that dip to 990,000."""
    dip = Bar(
        Decimal(1_000_000),
        Decimal(1_000_000),
        Decimal(990_000),
        Decimal(1_000_000),
        Decimal(volume),
    )
    return [flat(1_000_000, "0")] * 3 + [dip] * 6


def test_buy_lock_is_notional_plus_max_commission_and_tax(make_sim: MakeSim) -> None:
    """A resting buy locks price x qty x 1.0018 (taker 0.15% + 20% tax), as in BtcTurk's FAQ."""
    sim = make_sim()
    order = place(sim, price="500000", quantity="0.1")
    assert order.status == UNTOUCHED
    assert sim.account.locked["TRY"] == Decimal(50_090)
    assert sim.account.free["TRY"] == Decimal(100_000 - 50_090)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"price": "10000010", "quantity": "0.001"}, 1226),
        ({"price": "99990", "quantity": "0.01"}, 1227),
        ({"price": "990000", "quantity": "0.0001"}, 1123),
        ({"price": "990000", "quantity": "1"}, 1122),
        ({"price": "990000.5", "quantity": "1"}, 1126),
        ({"price": "990000", "quantity": "0.000000001"}, 1127),
        ({"orderMethod": "market", "quantity": "99"}, 1123),
        ({"orderMethod": "market", "quantity": "1000.5"}, 1127),
        (
            {"orderMethod": "stoplimit", "price": "990000", "stopPrice": "990000", "quantity": "1"},
            1125,
        ),
        ({"orderMethod": "stopmarket", "stopPrice": "1005000.5", "quantity": "0.01"}, 1128),
        (
            {
                "orderMethod": "stopmarket",
                "orderType": "sell",
                "stopPrice": "1005000",
                "quantity": "1",
            },
            1124,
        ),
        ({"orderMethod": "fok", "price": "990000", "quantity": "1"}, 1134),
        ({"orderType": "hold", "price": "990000", "quantity": "1"}, 1193),
        ({"pairSymbol": "NOPETRY", "price": "990000", "quantity": "1"}, 1037),
    ],
)
def test_rejections_carry_btcturk_codes(
    make_sim: MakeSim, fields: dict[str, Any], code: int
) -> None:
    """Each invalid order is refused with the code BtcTurk uses for that rule."""
    assert reject_code(make_sim(), **fields) == code


def test_scale_is_checked_before_balance(make_sim: MakeSim) -> None:
    """An order wrong in several ways reports the first rule in BtcTurk's order (scale)."""
    assert reject_code(make_sim(), price="990000.5", quantity="50") == 1126


def test_refused_order_changes_nothing(make_sim: MakeSim) -> None:
    """A rejected order neither locks funds nor creates an order."""
    sim = make_sim()
    reject_code(sim, price="990000", quantity="1")
    assert sim.orders == {}
    assert sim.account.free["TRY"] == Decimal(100_000)


def test_market_buy_quantity_is_quote_to_spend(make_sim: MakeSim) -> None:
    """A market buy spends its quantity in TRY (plus taker fee and tax) and is Closed."""
    sim = make_sim()
    order = place(sim, orderMethod="market", quantity="10000")
    trades = [t for t in sim.trades if t.order_id == order.id]
    notional = sum(t.price * t.amount for t in trades)
    assert order.status == CLOSED
    assert Decimal(10_000) - Decimal("0.02") < notional <= Decimal(10_000)
    fees = sum(t.fee + t.tax for t in trades)
    for t in trades:
        assert t.fee == taker_fee(t.price * t.amount)
        assert t.tax == (t.fee * Decimal("0.2")).quantize(Decimal("1e-8"), ROUND_DOWN)
    assert sim.account.free["TRY"] == Decimal(100_000) - notional - fees
    assert sim.account.locked["TRY"] == 0
    assert sim.account.free["BTC"] == sum(t.amount for t in trades)


def test_market_sell_walks_bids_and_pays_fee_in_quote(make_sim: MakeSim) -> None:
    """A market sell gives up base and receives notional minus taker fee and tax."""
    sim = make_sim()
    place(sim, orderMethod="market", quantity="20000")
    btc = sim.account.free["BTC"]
    try_before = sim.account.free["TRY"]
    order = place(sim, orderType="sell", orderMethod="market", quantity=str(btc))
    trade = next(t for t in sim.trades if t.order_id == order.id)
    assert order.status == CLOSED
    assert sim.account.free["BTC"] == 0
    assert trade.price < Decimal(1_000_000)
    assert trade.fee == taker_fee(trade.price * trade.amount)
    assert trade.tax == (trade.fee * Decimal("0.2")).quantize(Decimal("1e-8"), ROUND_DOWN)
    assert (
        sim.account.free["TRY"] == try_before + trade.price * trade.amount - trade.fee - trade.tax
    )


def test_marketable_limit_takes_as_taker_at_book_prices(make_sim: MakeSim) -> None:
    """A limit buy above the best ask fills at the ask (not its limit) with the taker rate."""
    sim = make_sim()
    order = place(sim, price="1000400", quantity="0.01")
    trades = [t for t in sim.trades if t.order_id == order.id]
    assert order.status == CLOSED
    assert all(t.price <= Decimal(1_000_400) for t in trades)
    assert trades[0].fee == taker_fee(trades[0].price * trades[0].amount)
    assert sim.account.locked["TRY"] == 0


def test_resting_buy_fills_as_maker_when_the_candle_crosses(
    make_sim: MakeSim, clock: ManualClock
) -> None:
    """A buy below the market fills at its own price, maker fee, once the path dips through it."""
    sim = make_sim(dip_bars())
    order = place(sim, price="995000", quantity="0.01")
    clock.advance(120)
    sim.advance()
    trade = next(t for t in sim.trades if t.order_id == order.id)
    assert order.status == CLOSED
    assert trade.price == Decimal(995_000)
    assert trade.fee == Decimal("9.95")  # 0.10% of 9,950 TRY
    assert trade.tax == Decimal("1.99")
    assert sim.account.locked["TRY"] == 0  # the unused taker-rate lock was refunded
    assert sim.account.free["TRY"] == Decimal(100_000) - Decimal(9_950) - Decimal("11.94")


def test_resting_order_fills_partially_with_thin_volume(
    make_sim: MakeSim, clock: ManualClock
) -> None:
    """At 0.02 BTC a minute and 25% participation a 0.01 buy fills over two minutes."""
    sim = make_sim(dip_bars(volume="0.02"))
    order = place(sim, price="995000", quantity="0.01")
    clock.advance(120)
    sim.advance()
    assert order.status == PARTIAL
    assert order.left == Decimal("0.005")
    clock.advance(60)
    sim.advance()
    assert order.status == CLOSED
    assert len([t for t in sim.trades if t.order_id == order.id]) == 2


def test_cancel_is_asynchronous(make_sim: MakeSim) -> None:
    """DELETE is accepted at once; the order stays open until the next request, then is Canceled."""
    sim = make_sim()
    order = place(sim, price="500000", quantity="0.1")
    sim.cancel(order.id)
    assert order.status == UNTOUCHED
    sim.advance()
    assert order.status == CANCELED
    assert sim.account.locked["TRY"] == 0
    assert sim.account.free["TRY"] == Decimal(100_000)


def test_cancel_delay_waits_on_the_sim_clock(make_sim: MakeSim, clock: ManualClock) -> None:
    """With cancel_delay=5 the cancel lands only on a request 5 s (sim time) later."""
    sim = make_sim(cancel_delay=5.0)
    order = place(sim, price="500000", quantity="0.1")
    sim.cancel(order.id)
    sim.advance()
    assert order.is_open
    clock.advance(5)
    sim.advance()
    assert order.status == CANCELED


def test_order_can_fill_before_its_cancel_lands(make_sim: MakeSim, clock: ManualClock) -> None:
    """A fill between DELETE and the cancel taking effect wins: Closed, not Canceled."""
    sim = make_sim(dip_bars())
    order = place(sim, price="995000", quantity="0.01")
    sim.cancel(order.id)
    clock.advance(120)
    sim.advance()
    assert order.status == CLOSED


def test_cancel_of_unknown_or_finished_order_is_1052(make_sim: MakeSim) -> None:
    """Unknown ids and already-closed (market) orders cannot be canceled: 1052."""
    sim = make_sim()
    done = place(sim, orderMethod="market", quantity="1000")
    for order_id in (123, done.id):
        with pytest.raises(SimRejectError) as info:
            sim.cancel(order_id)
        assert info.value.code == 1052


def test_ids_are_int64_and_client_ids_never_deduplicated(make_sim: MakeSim) -> None:
    """Order ids exceed 2**31, trade ids 2**53; a reused client id makes a second order."""
    sim = make_sim()
    first = place(sim, price="500000", quantity="0.001", newOrderClientId="same")
    second = place(sim, price="500000", quantity="0.001", newOrderClientId="same")
    market = place(sim, orderMethod="market", quantity="1000")
    assert first.id > 2**31
    assert second.id > first.id
    assert {first.client_id, second.client_id} == {"same"}
    assert len(market.client_id) == 36  # a GUID when none was given
    assert sim.trades[0].id > 2**53


def test_ccxt_newclientorderid_is_tolerated_but_not_used(make_sim: MakeSim) -> None:
    """The ``newClientOrderId`` ccxt sends is accepted, but only BtcTurk's own field is used."""
    sim = make_sim()
    order = place(sim, price="500000", quantity="0.001", newClientOrderId="ccxt-id")
    assert order.client_id != "ccxt-id"


def spike_bars() -> list[Bar]:
    """Flat at 1,000,000 until START, then minutes that spike to 1,010,000."""
    p, top = Decimal(1_000_000), Decimal(1_010_000)
    return [flat(1_000_000, "0")] * 3 + [Bar(p, top, p, p, Decimal(1))] * 6


def test_method_the_pair_does_not_offer_is_refused(make_sim: MakeSim) -> None:
    """A market order on a pair without MARKET is 1118, a limit order without LIMIT 1120."""
    sim = make_sim()
    spec = replace(sim.pairs["BTCTRY"], order_methods=("STOP_LIMIT",))
    for method, code in (("market", 1118), ("limit", 1120)):
        body = {"pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": method, "quantity": "1"}
        with pytest.raises(SimRejectError) as info:
            parse_order({**body, "price": "990000"}, {"BTCTRY": spec})
        assert info.value.code == code


def test_stop_limit_sell_triggers_into_a_new_order_with_the_same_client_id(
    make_sim: MakeSim, clock: ManualClock
) -> None:
    """When the path falls to the stop, the stop turns Canceled and a new limit order takes over."""
    sim = make_sim(dip_bars())
    place(sim, orderMethod="market", quantity="20000")
    btc = sim.account.free["BTC"]
    stop = place(sim, orderType="sell", orderMethod="stoplimit", stopPrice="995000",
                 price="994000", quantity=str(btc), newOrderClientId="guard")  # fmt: skip
    assert (stop.status, sim.account.locked["BTC"]) == (UNTOUCHED, btc)
    clock.advance(120)
    sim.advance()
    child = sim.orders[max(sim.orders)]
    assert stop.status == CANCELED
    assert (child.method, child.client_id, child.side) == ("limit", "guard", "sell")
    assert child.id > stop.id
    assert child.status == CLOSED  # 994,000 was below the bid: it took the book at once
    assert sim.account.total("BTC") == 0
    assert sim.account.locked["BTC"] == 0


def test_stop_market_buy_triggers_and_buys_its_base_quantity(
    make_sim: MakeSim, clock: ManualClock
) -> None:
    """A stop-market buy's quantity is base: once triggered it buys that much, unlocks the rest."""
    sim = make_sim(spike_bars())
    stop = place(sim, orderMethod="stopmarket", stopPrice="1005000", quantity="0.01")
    assert sim.account.locked["TRY"] == Decimal(1_005_000 * 0.01) * Decimal("1.05") * Decimal(
        "1.0018"
    )
    clock.advance(120)
    sim.advance()
    child = sim.orders[max(sim.orders)]
    assert stop.status == CANCELED
    assert (child.method, child.status, child.client_id) == ("market", CLOSED, stop.client_id)
    assert sim.account.free["BTC"] == Decimal("0.01")
    assert sim.account.locked["TRY"] == 0


def test_canceled_stop_never_triggers(make_sim: MakeSim, clock: ManualClock) -> None:
    """A stop canceled before the price reaches it releases its lock and spawns nothing."""
    sim = make_sim(spike_bars())
    stop = place(
        sim, orderMethod="stoplimit", stopPrice="1005000", price="1006000", quantity="0.01"
    )
    sim.cancel(stop.id)
    sim.advance()
    clock.advance(120)
    sim.advance()
    assert stop.status == CANCELED
    assert list(sim.orders) == [stop.id]
    assert sim.account.free["TRY"] == Decimal(100_000)


def test_large_market_buy_walks_several_levels(make_sim: MakeSim) -> None:
    """A market buy bigger than the best ask's size takes the next levels at rising prices."""
    sim = make_sim()
    order = place(sim, orderMethod="market", quantity="95000")
    prices = [t.price for t in sim.trades if t.order_id == order.id]
    assert len(prices) >= 2
    assert prices == sorted(prices)
    assert len(set(prices)) == len(prices)
    assert order.status == CLOSED
