"""The risk context's own arithmetic: marks, open buys, and this cycle's tally."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from risk_factories import ASK, BID, context, intent, order, portfolio, snapshot

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.trading import PositionView
from btcbot.risk.context import CycleTally


def test_a_position_is_marked_at_the_mid_then_the_last_trade_then_its_cost() -> None:
    """Both sides: the mid. One side: the ticker's last. No data at all: the average cost."""
    held = portfolio(positions=(PositionView("XRPTRY", Decimal(10), Decimal(7)),))
    ctx = context(portfolio=held)
    assert ctx.mark("BTCTRY") == (BID + ASK) / 2
    one_sided = context(snapshots={"BTCTRY": snapshot(bid=None)})
    assert one_sided.mark("BTCTRY") == ASK  # the factory's last trade is the remaining side
    assert ctx.mark("XRPTRY") == 7
    assert ctx.position_value("XRPTRY") == 70


def test_an_open_market_buy_locks_its_quote_amount() -> None:
    """A market buy's left quantity is quote: 500 TRY, not 500 x a price it does not have."""
    market = replace(order(), method=OrderMethod.MARKET, price=None, left_quantity=Decimal(500))
    limit = order("ETHTRY", price="500000", quantity="0.002")
    ctx = context(open_orders=(market, limit))
    assert [ctx.open_buy_notional(), ctx.open_buy_notional("BTCTRY")] == [1500, 500]


def test_the_tally_counts_and_sums_per_pair_and_side() -> None:
    """This cycle's approvals: one BTCTRY buy, two sells of different pairs."""
    tally = (
        CycleTally()
        .add(intent("BTCTRY", Side.BUY, quantity="0.001"))
        .add(intent("ETHTRY", Side.SELL, quantity="0.5"))
        .add(intent("BTCTRY", Side.SELL, quantity="0.002"))
    )
    assert (tally.count, tally.count_for("BTCTRY"), tally.count_for("XRPTRY")) == (3, 2, 0)
    assert tally.sell_quantity("BTCTRY") == Decimal("0.002")
    assert tally.buy_notional("BTCTRY") == BID * Decimal("0.001")
    assert tally.buy_notional("ETHTRY") == 0
