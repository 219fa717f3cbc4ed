"""The risk engine end to end: sizing at the touch, sells and dust, cycle tallies, determinism."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from risk_factories import ASK, BID, context, fill, order, portfolio, signal, snapshot

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.trading import (
    ApprovedOrderIntent,
    DustPosition,
    PositionView,
    RejectReason,
    RiskLimits,
    RiskRejection,
    TradingState,
)
from btcbot.risk.context import CycleTally
from btcbot.risk.engine import RiskEngine
from btcbot.risk.rules import RuleInput, check_order_notional
from btcbot.risk.sizing import SizedOrder, size_signal

ENGINE = RiskEngine(RiskLimits())


def test_buy_is_a_limit_at_the_best_ask_rounded_down() -> None:
    """A buy becomes a limit order at the best ask for at most size_hint TRY, quantity floored."""
    (approved,) = ENGINE.evaluate([signal(Side.BUY, "1000")], context()).approved
    assert approved.intent.method is OrderMethod.LIMIT
    assert approved.intent.price == ASK
    assert approved.intent.quantity == Decimal("0.00099999")
    assert approved.intent.notional <= Decimal(1000)


def test_sell_is_capped_at_the_position_held() -> None:
    """A sell asking for more than is held sells exactly the held quantity at the best bid."""
    (approved,) = ENGINE.evaluate([signal(Side.SELL, "50000")], context()).approved
    assert approved.intent.price == BID
    assert approved.intent.quantity == Decimal("0.002")


def test_sell_that_would_leave_dust_sells_everything() -> None:
    """A partial sell whose remainder would be below the minimum sells the whole position."""
    (approved,) = ENGINE.evaluate([signal(Side.SELL, "1950")], context()).approved
    assert approved.intent.quantity == Decimal("0.002")


def test_partial_sell_leaves_a_tradable_remainder() -> None:
    """A partial sell whose remainder is above the minimum sells only what was asked."""
    (approved,) = ENGINE.evaluate([signal(Side.SELL, "1000")], context()).approved
    assert approved.intent.quantity == Decimal("0.001")


def test_dust_position_is_a_typed_outcome_not_a_rejection() -> None:
    """Selling a position worth less than the venue minimum yields DustPosition, once."""
    tiny = portfolio(positions=(PositionView("BTCTRY", Decimal("0.00005"), BID),))
    result = ENGINE.evaluate([signal(Side.SELL)], context(portfolio=tiny))
    (decision,) = result.decisions
    assert isinstance(decision.outcome, DustPosition)
    assert decision.outcome.quantity == Decimal("0.00005")
    assert (decision.outcome.symbol, decision.outcome.notional) == ("BTCTRY", Decimal(50))
    assert decision.outcome.min_notional == Decimal(100)
    assert result.dust == (decision.outcome,)
    assert result.rejections == ()


def test_sell_without_position_is_refused() -> None:
    """A sell of a symbol not held is refused with NO_POSITION."""
    result = ENGINE.evaluate([signal(Side.SELL)], context(portfolio=portfolio(positions=())))
    assert result.rejections[0].reason is RejectReason.NO_POSITION
    assert result.rejections[0].detail == (
        "nothing of BTCTRY left to sell (held 0, already offered 0)"
    )


def test_open_sells_reduce_what_can_be_sold() -> None:
    """Quantity already offered by an open sell cannot be sold a second time."""
    ctx = context(open_orders=(order(side=Side.SELL, price="1000000", quantity="0.002"),))
    result = ENGINE.evaluate([signal(Side.SELL)], ctx)
    assert result.rejections[0].reason is RejectReason.NO_POSITION


def test_two_sells_in_one_cycle_never_oversell() -> None:
    """The second sell of a cycle sees the first one's quantity as already offered."""
    result = ENGINE.evaluate([signal(Side.SELL, "1500"), signal(Side.SELL, "1500")], context())
    sold = sum((a.intent.quantity for a in result.approved), Decimal(0))
    assert sold <= Decimal("0.002")


def test_missing_book_side_is_unusable_data() -> None:
    """A buy with no ask in the book is refused as unusable market data."""
    ctx = context(snapshots={"BTCTRY": snapshot(ask=None)})
    result = ENGINE.evaluate([signal(Side.BUY)], ctx)
    assert result.rejections[0].reason is RejectReason.MARKET_DATA_UNUSABLE
    assert result.rejections[0].detail == "the book has no ask"


def test_a_sell_with_no_bid_is_unusable_data() -> None:
    """A sell with no bid in the book is refused as unusable market data, naming the side."""
    ctx = context(snapshots={"BTCTRY": snapshot(bid=None)})
    (rejection,) = ENGINE.evaluate([signal(Side.SELL)], ctx).rejections
    assert (rejection.reason, rejection.detail) == (
        RejectReason.MARKET_DATA_UNUSABLE,
        "the book has no bid",
    )


def test_approved_intents_are_indexed_in_order() -> None:
    """Approved intents get indexes 0, 1, ... in signal order, skipping refused signals."""
    signals = [signal(symbol="BTCTRY"), signal(size="1"), signal(symbol="ETHTRY")]
    result = ENGINE.evaluate(signals, context())
    assert [a.index for a in result.approved] == [0, 1]
    assert [a.symbol for a in result.approved] == ["BTCTRY", "ETHTRY"]
    assert result.approved_count == 2


def test_approved_intent_becomes_an_order_request() -> None:
    """An approved intent maps onto the exchange request with the given client order id."""
    (approved,) = ENGINE.evaluate([signal()], context()).approved
    request = approved.to_request("cycle-1-0")
    assert (request.price, request.quantity) == (ASK, Decimal("0.00099999"))
    assert request.client_order_id == "cycle-1-0"
    assert request.method is OrderMethod.LIMIT


def test_loss_inside_the_limits_blocks_nothing() -> None:
    """A realized loss below the daily limit leaves trading untouched (the predecessor's bug)."""
    ctx = context(portfolio=portfolio(daily_pnl=Decimal(-999), equity=Decimal(99_001)))
    result = ENGINE.evaluate([signal()], ctx)
    assert result.approved_count == 1
    assert result.transition.state is TradingState.ACTIVE


def test_a_halt_is_reported_as_kept_even_when_the_books_recovered() -> None:
    """HALTED in, healthy books: the transition stays HALTED and asks for nothing to persist."""
    ctx = context(trading_state=TradingState.HALTED)
    transition = ENGINE.evaluate([signal()], ctx).transition
    assert (transition.state, transition.changed) == (TradingState.HALTED, False)


def test_breach_reports_the_halt_to_persist() -> None:
    """The cycle that breaches the daily loss limit returns HALTED with a reason."""
    result = ENGINE.evaluate([], context(portfolio=portfolio(daily_pnl=Decimal(-1500))))
    assert result.transition.state is TradingState.HALTED
    assert result.transition.changed


def test_reducing_allows_selling_a_held_position() -> None:
    """In REDUCING a sell of a held position is approved."""
    ctx = context(trading_state=TradingState.REDUCING)
    assert ENGINE.evaluate([signal(Side.SELL)], ctx).approved_count == 1


def test_sells_are_not_delayed_by_the_cooldown() -> None:
    """The cooldown after a fill holds back buys only; an exit goes out at once."""
    ctx = context(recent_fills=(fill(ago_s=1),))
    assert ENGINE.evaluate([signal(Side.SELL)], ctx).approved_count == 1


def test_cooldown_ends_and_is_per_symbol() -> None:
    """A fill older than the cooldown, or of another symbol, does not hold back a buy."""
    ctx = context(recent_fills=(fill(ago_s=61), fill("ETHTRY", ago_s=1)))
    assert ENGINE.evaluate([signal()], ctx).approved_count == 1


def test_old_submits_leave_the_rate_window() -> None:
    """Submits older than the window do not count toward the submit-rate cap."""
    ctx = context(recent_submits=tuple(fill(ago_s=61 + s).timestamp for s in range(20)))
    assert ENGINE.evaluate([signal()], ctx).approved_count == 1


def test_quantizer_refusal_is_never_approved_without_its_rules() -> None:
    """With every rule removed, an order the quantizer refuses is still not approved."""
    ctx = context(snapshots={"BTCTRY": snapshot(status="HALT")})
    (decision,) = RiskEngine(RiskLimits(), rules=()).evaluate([signal()], ctx).decisions
    assert isinstance(decision.outcome, RiskRejection)
    assert decision.outcome.reason is RejectReason.EXCHANGE_RULES
    assert "HALT" in decision.outcome.detail


def test_a_price_the_pair_refuses_is_reported_with_the_quantizers_words() -> None:
    """The exchange-rules refusal carries the quantizer's reason and text, not a placeholder."""
    ctx = context(snapshots={"BTCTRY": snapshot(max_price=Decimal(900_000))})
    (rejection,) = ENGINE.evaluate([signal()], ctx).rejections
    assert (rejection.reason, rejection.detail) == (
        RejectReason.EXCHANGE_RULES,
        "price_above_max: price 1000010 is above the pair's maxPrice",
    )


def test_with_every_rule_removed_a_missing_snapshot_is_still_refused() -> None:
    """Sizing needs the book: with no rules at all, a symbol without data is not approved."""
    ctx = context(snapshots={})
    (rejection,) = RiskEngine(RiskLimits(), rules=()).evaluate([signal()], ctx).rejections
    assert (rejection.reason, rejection.detail) == (
        RejectReason.NO_MARKET_DATA,
        "no snapshot of BTCTRY",
    )


def test_cancel_is_allowed_in_every_state() -> None:
    """The engine allows cancels in ACTIVE, REDUCING and HALTED."""
    assert all(RiskEngine.allows_cancel(state) for state in TradingState)


@given(
    sizes=st.lists(st.integers(min_value=1, max_value=5000), min_size=0, max_size=6),
    sides=st.lists(st.sampled_from(list(Side)), min_size=6, max_size=6),
    cash=st.integers(min_value=0, max_value=20_000),
)
def test_same_inputs_same_decisions(sizes: list[int], sides: list[Side], cash: int) -> None:
    """Evaluating the same signals and context twice gives equal results."""
    signals = [signal(sides[i], str(size)) for i, size in enumerate(sizes)]
    ctx = context(portfolio=replace(portfolio(), cash=Decimal(cash)))
    first = ENGINE.evaluate(signals, ctx)
    assert first == RiskEngine(RiskLimits()).evaluate(list(signals), ctx)
    approved: tuple[ApprovedOrderIntent, ...] = first.approved
    assert all(a.intent.quantity > 0 for a in approved)


def test_approved_prices_and_quantities_are_on_the_venue_grid() -> None:
    """With a 10 TRY tick, a buy at an off-grid ask is rounded down onto the grid."""
    ctx = context(snapshots={"BTCTRY": snapshot(ask=Decimal(1_000_015), tick_size=Decimal(10))})
    (approved,) = ENGINE.evaluate([signal(size="1000")], ctx).approved
    assert approved.intent.price == Decimal(1_000_010)
    assert approved.intent.quantity == Decimal("0.00099998")


def test_a_large_exit_is_capped_at_the_order_notional_and_split_over_cycles() -> None:
    """Holding 0.05 BTC at a 2,500 TRY cap: each sell is at most 2,500 TRY, never the whole."""
    big = portfolio(positions=(PositionView("BTCTRY", Decimal("0.05"), BID),))
    limits = RiskLimits(max_order_notional_try=Decimal(2500))
    result = RiskEngine(limits).evaluate([signal(Side.SELL, "1e9")], context(portfolio=big))
    (approved,) = result.approved
    assert approved.intent.quantity * approved.intent.price <= Decimal(2500)
    assert approved.intent.quantity < Decimal("0.05")


def test_a_sell_over_the_order_notional_cap_is_refused_by_the_rule_too() -> None:
    """The notional rule holds for sells as for buys (the sizing keeps sells under it)."""
    big = portfolio(positions=(PositionView("BTCTRY", Decimal("0.05"), BID),))
    limits = RiskLimits(max_order_notional_try=Decimal(2500))
    ctx = context(portfolio=big)
    sized = size_signal(signal(Side.SELL, "1e9"), ctx.snapshots["BTCTRY"], ctx, CycleTally())
    assert isinstance(sized, SizedOrder)
    inp = RuleInput(signal(Side.SELL, "1e9"), ctx, CycleTally(), limits, sized=sized)
    rejection = check_order_notional(inp)
    assert rejection is not None
    assert rejection.reason is RejectReason.ORDER_NOTIONAL_CAP


def test_a_sell_leaving_dust_over_the_cap_sells_half_and_within_it_the_whole() -> None:
    """A sell whose rest would be dust: half the position over the order cap, all within it.

    0.003 BTC held, a sell for all but 50 TRY of it (the venue's minimum is 100 TRY).
    """
    held = portfolio(positions=(PositionView("BTCTRY", Decimal("0.003"), BID),))
    exit_ = signal(Side.SELL, "2950")
    for cap, sold in (("2999", "0.0015"), ("3000", "0.003")):
        engine = RiskEngine(RiskLimits(max_order_notional_try=Decimal(cap)))
        (approved,) = engine.evaluate([exit_], context(portfolio=held)).approved
        assert (cap, approved.intent.quantity) == (cap, Decimal(sold))


def test_a_rest_below_the_minimum_while_already_selling_is_refused_not_dust() -> None:
    """An open sell leaves 0.00005 BTC (50 TRY): refused as nothing left, not reported as dust."""
    ctx = context(open_orders=(order(side=Side.SELL, price="1000000", quantity="0.00195"),))
    result = ENGINE.evaluate([signal(Side.SELL)], ctx)
    (rejection,) = result.rejections
    assert (rejection.reason, rejection.detail) == (
        RejectReason.NO_POSITION,
        "the rest of BTCTRY (0.00005) is below the minimum; already selling",
    )
    assert result.dust == ()


def test_open_sells_of_another_pair_leave_this_one_whole() -> None:
    """An open ETHTRY sell does not reduce what of BTCTRY can be sold."""
    ctx = context(open_orders=(order("ETHTRY", side=Side.SELL, price="1000000", quantity="0.002"),))
    (approved,) = ENGINE.evaluate([signal(Side.SELL, "50000")], ctx).approved
    assert approved.intent.quantity == Decimal("0.002")


def test_a_soft_drawdown_reached_this_cycle_still_lets_a_held_position_be_sold() -> None:
    """ACTIVE at 5 % drawdown: the loss-limit rule refuses the buy and approves the exit."""
    ctx = context(portfolio=portfolio(equity=Decimal(95_000)))
    result = ENGINE.evaluate([signal(Side.BUY), signal(Side.SELL)], ctx)
    (rejection,) = result.rejections
    assert (rejection.reason, rejection.detail) == (
        RejectReason.REDUCING_ONLY,
        "drawdown 5.0000 % at or above 5 %",
    )
    (approved,) = result.approved
    assert approved.intent.side is Side.SELL
