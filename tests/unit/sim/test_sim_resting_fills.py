"""Resting limit orders fill as maker when the replayed path crosses them: which, how much, first.

This is how every dry run and every backtest learns that the bot's resting orders filled, so
it is the truth the books are held to. Mutation testing found only the buy side exercised: a
resting sell that never filled, best price served last, or a side's volume handed out twice
all passed. Here both sides fill, at the path's very edge, best price first, and one share of
the interval's volume (``participation``) serves every order of a side together.
"""

from __future__ import annotations

from decimal import Decimal

from sim_helpers import build_sim, flat, new_clock, place, through_the_next_minute, trades_of

from btcbot.adapters.clock import ManualClock
from btcbot.sim.exchange import SimExchange
from btcbot.sim.feed import Bar
from btcbot.sim.model import CLOSED, PARTIAL, UNTOUCHED, SimOrder

LOW, HIGH = 990_000, 1_010_000


def _minutes(kind: str, volume: str) -> list[Bar]:
    """Flat at 1,000,000 with no volume until the sim's start, then minutes that dip or spike."""
    mid = Decimal(1_000_000)
    moved = (
        Bar(mid, mid, Decimal(LOW), mid, Decimal(volume))
        if kind == "dip"
        else Bar(mid, Decimal(HIGH), mid, mid, Decimal(volume))
    )
    return [flat(1_000_000, "0")] * 3 + [moved] * 6


def _sim(kind: str, volume: str = "1") -> tuple[SimExchange, ManualClock]:
    clock = new_clock()
    sim = build_sim(clock, _minutes(kind, volume))
    sim.account.credit("BTC", Decimal(1))  # for the sells
    return sim, clock


def _rest(sim: SimExchange, side: str, price: int, quantity: str) -> SimOrder:
    order = place(sim, orderType=side, price=str(price), quantity=quantity)
    assert order.status == UNTOUCHED  # resting, not marketable
    return order


def _filled(sim: SimExchange, order: SimOrder) -> Decimal:
    return sum((t.amount for t in trades_of(sim, order)), Decimal(0))


def test_a_resting_sell_fills_as_maker_when_the_path_rises_through_it() -> None:
    """At its own price, the maker fee and its tax; the base it held goes, the quote comes."""
    sim, clock = _sim("spike")
    order = _rest(sim, "sell", 1_005_000, "0.01")
    try_before = sim.account.free["TRY"]
    through_the_next_minute(sim, clock)
    trade = trades_of(sim, order)[0]
    assert order.status == CLOSED
    assert (trade.side, trade.symbol, trade.price, trade.amount) == (
        "sell",
        "BTCTRY",
        Decimal(1_005_000),
        Decimal("0.01"),
    )
    assert (trade.fee, trade.tax) == (Decimal("10.05"), Decimal("2.01"))  # 0.10 %, 20 % of it
    assert sim.account.locked["BTC"] == 0
    assert sim.account.free["BTC"] == Decimal("0.99")
    assert sim.account.free["TRY"] == try_before + Decimal(10_050) - Decimal("12.06")


def test_orders_on_the_paths_very_edge_fill_and_those_past_it_do_not() -> None:
    """A buy at the minute's low and a sell at its high are crossed; one tick further is not."""
    dip, clock = _sim("dip")
    at_low, under = _rest(dip, "buy", LOW, "0.01"), _rest(dip, "buy", LOW - 10, "0.01")
    through_the_next_minute(dip, clock)
    assert (at_low.status, under.status) == (CLOSED, UNTOUCHED)

    spike, clock = _sim("spike")
    at_high, over = _rest(spike, "sell", HIGH, "0.01"), _rest(spike, "sell", HIGH + 10, "0.01")
    through_the_next_minute(spike, clock)
    assert (at_high.status, over.status) == (CLOSED, UNTOUCHED)


def test_the_best_priced_buy_is_served_first_from_the_shared_volume() -> None:
    """One minute at 0.02 BTC and 25 % participation lets 0.005 BTC fill on the buy side.

    The higher buy takes it all although it was placed last; the lower one waits.
    """
    sim, clock = _sim("dip", volume="0.02")
    lower = _rest(sim, "buy", 995_000, "0.01")
    higher = _rest(sim, "buy", 996_000, "0.01")
    through_the_next_minute(sim, clock)
    assert (_filled(sim, higher), _filled(sim, lower)) == (Decimal("0.005"), Decimal(0))
    assert higher.status == PARTIAL


def test_the_best_priced_sell_is_served_first_from_the_shared_volume() -> None:
    """The lower sell is the better offer: it takes the minute's share."""
    sim, clock = _sim("spike", volume="0.02")
    higher = _rest(sim, "sell", 1_006_000, "0.01")
    lower = _rest(sim, "sell", 1_004_000, "0.01")
    through_the_next_minute(sim, clock)
    assert (_filled(sim, lower), _filled(sim, higher)) == (Decimal("0.005"), Decimal(0))


def test_what_one_order_leaves_of_the_share_goes_to_the_next() -> None:
    """0.003 for the first buy, the 0.002 left for the second, nothing more in that minute."""
    sim, clock = _sim("dip", volume="0.02")
    first = _rest(sim, "buy", 996_000, "0.003")
    second = _rest(sim, "buy", 995_000, "0.01")
    through_the_next_minute(sim, clock)
    assert (_filled(sim, first), _filled(sim, second)) == (Decimal("0.003"), Decimal("0.002"))
    assert (first.status, second.status) == (CLOSED, PARTIAL)


def test_each_side_has_its_own_share_of_the_volume() -> None:
    """A buy and a sell crossed in one minute each fill a full share, not one between them."""
    bars = [flat(1_000_000, "0")] * 3 + [flat(1_000_000, "0.02", wick=10_000)] * 6
    clock = new_clock()
    sim = build_sim(clock, bars)
    sim.account.credit("BTC", Decimal(1))
    buy = _rest(sim, "buy", 995_000, "0.01")
    sell = _rest(sim, "sell", 1_005_000, "0.01")
    through_the_next_minute(sim, clock)
    assert (_filled(sim, buy), _filled(sim, sell)) == (Decimal("0.005"), Decimal("0.005"))


def test_a_share_smaller_than_the_pairs_quantum_fills_nothing() -> None:
    """25 % of 0.00000003 BTC rounds down to no whole satoshi: no trade of zero is booked."""
    sim, clock = _sim("dip", volume="0.00000003")
    order = _rest(sim, "buy", 995_000, "0.01")
    through_the_next_minute(sim, clock)
    assert order.status == UNTOUCHED
    assert not trades_of(sim, order)


def test_a_share_is_rounded_down_to_the_pairs_quantum() -> None:
    """25 % of 0.00000007 BTC is 0.0000000175: one satoshi fills, never two."""
    sim, clock = _sim("dip", volume="0.00000007")
    order = _rest(sim, "buy", 995_000, "0.01")
    through_the_next_minute(sim, clock)
    assert _filled(sim, order) == Decimal("0.00000001")
