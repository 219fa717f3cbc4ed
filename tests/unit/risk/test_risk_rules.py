"""Every risk rule: a base scenario passes, each violating variant fails with exactly its reason.

The meta-test runs the same table against engines with one rule removed: each rule must have a
case that then stops failing with its reason, so no rule can be deleted without a test noticing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal

import pytest
from risk_factories import (
    ASK,
    BID,
    NOW,
    context,
    fill,
    intent,
    order,
    portfolio,
    signal,
    snapshot,
)

from btcbot.domain.enums import Side
from btcbot.domain.quantize import QuantizeReason
from btcbot.domain.trading import (
    ApprovedOrderIntent,
    OrderIntent,
    PositionView,
    RejectReason,
    RiskLimits,
    RiskRejection,
    Signal,
    TradingState,
)
from btcbot.risk.context import CycleTally, RiskContext
from btcbot.risk.engine import RiskEngine
from btcbot.risk.rules import (
    DEFAULT_RULES,
    RuleInput,
    check_cash,
    check_exchange_rules,
    check_exposure_cap,
    check_open_orders,
    check_position_cap,
    check_price_band,
)
from btcbot.risk.sizing import SizedOrder

BUY = signal(Side.BUY)
SELL = signal(Side.SELL)
FLAT = portfolio(positions=())
ETH_SNAPS = {"BTCTRY": snapshot(), "ETHTRY": snapshot("ETHTRY")}


@dataclass(frozen=True)
class Case:
    """The last signal must be refused with ``expected``; the ones before it must pass."""

    id: str
    rule: str
    expected: RejectReason
    signals: tuple[Signal, ...] = (BUY,)
    ctx: RiskContext = field(default_factory=context)
    limits: RiskLimits = field(default_factory=RiskLimits)


def _two_open(symbol: str) -> tuple[object, ...]:
    return (order(symbol, order_id=1), order(symbol, order_id=2))


CASES: tuple[Case, ...] = (
    Case("kill switch", "trading_state", RejectReason.KILL_SWITCH,
         ctx=context(kill_switch_reason="disarmed by operator")),
    Case("halted buy", "trading_state", RejectReason.TRADING_HALTED,
         ctx=context(trading_state=TradingState.HALTED)),
    Case("halted sell", "trading_state", RejectReason.TRADING_HALTED, signals=(SELL,),
         ctx=context(trading_state=TradingState.HALTED)),
    Case("reducing buy", "trading_state", RejectReason.REDUCING_ONLY,
         ctx=context(trading_state=TradingState.REDUCING)),
    Case("reducing sell without position", "trading_state", RejectReason.REDUCING_ONLY,
         signals=(SELL,), ctx=context(trading_state=TradingState.REDUCING, portfolio=FLAT)),
    Case("no snapshot", "market_data", RejectReason.NO_MARKET_DATA,
         ctx=context(snapshots={"ETHTRY": snapshot("ETHTRY")})),
    Case("snapshot marked unusable", "market_data", RejectReason.MARKET_DATA_UNUSABLE,
         ctx=context(snapshots={"BTCTRY": snapshot(unusable="crossed book")})),
    Case("stale snapshot", "market_data", RejectReason.STALE_MARKET_DATA,
         ctx=context(snapshots={"BTCTRY": snapshot(age_s=31)})),
    Case("symbol has an order of unknown fate", "unresolved_orders", RejectReason.UNRESOLVED_ORDER,
         ctx=context(unresolved_symbols=frozenset({"BTCTRY"}))),
    Case("second order over the per-cycle limit", "orders_per_cycle",
         RejectReason.MAX_ORDERS_PER_CYCLE, signals=(BUY, BUY),
         limits=RiskLimits(max_orders_per_cycle=1)),
    Case("open orders of other symbols fill the total", "open_orders",
         RejectReason.MAX_OPEN_ORDERS,
         ctx=context(open_orders=(*_two_open("ETHTRY"), order("ETHTRY", order_id=3))),
         limits=RiskLimits(max_open_orders=3, max_open_orders_per_symbol=5)),
    Case("approved orders count toward the total", "open_orders", RejectReason.MAX_OPEN_ORDERS,
         signals=(signal(symbol="ETHTRY"), BUY), ctx=context(open_orders=_two_open("ETHTRY")),
         limits=RiskLimits(max_open_orders=3, max_open_orders_per_symbol=5)),
    Case("symbol already has its open orders", "open_orders",
         RejectReason.MAX_OPEN_ORDERS_PER_SYMBOL, ctx=context(open_orders=_two_open("BTCTRY"))),
    Case("buy above the order notional cap", "order_notional", RejectReason.ORDER_NOTIONAL_CAP,
         signals=(signal(size="3000"),)),
    Case("position would exceed its cap", "position_cap", RejectReason.POSITION_CAP,
         limits=RiskLimits(max_position_notional_try=Decimal(2500))),
    Case("open buys count toward the position cap", "position_cap", RejectReason.POSITION_CAP,
         ctx=context(open_orders=(order(price="999000", quantity="0.002"),)),
         limits=RiskLimits(max_position_notional_try=Decimal(4500))),
    Case("total exposure would exceed its cap", "exposure_cap", RejectReason.EXPOSURE_CAP,
         ctx=context(portfolio=portfolio(positions=(
             PositionView("BTCTRY", Decimal("0.002"), BID),
             PositionView("ETHTRY", Decimal("0.001"), BID),
         ))),
         limits=RiskLimits(max_total_exposure_try=Decimal(3500))),
    Case("cash below the notional", "cash", RejectReason.INSUFFICIENT_CASH,
         ctx=context(portfolio=portfolio(cash=Decimal(900)))),
    Case("cash covers the notional but not the reserve", "cash", RejectReason.INSUFFICIENT_CASH,
         ctx=context(portfolio=portfolio(cash=Decimal(1200)))),
    Case("cash covers notional and reserve but not the fee lock", "cash",
         RejectReason.INSUFFICIENT_CASH, ctx=context(portfolio=portfolio(cash=Decimal(1501)))),
    Case("open buys lock cash", "cash", RejectReason.INSUFFICIENT_CASH,
         ctx=context(portfolio=portfolio(cash=Decimal(3000)),
                     open_orders=(order("ETHTRY", price="500000", quantity="0.003"),))),
    Case("below the venue's minimum notional", "exchange_rules",
         RejectReason.BELOW_MIN_NOTIONAL, signals=(signal(size="50"),)),
    Case("price above the pair's price filter", "exchange_rules", RejectReason.EXCHANGE_RULES,
         ctx=context(snapshots={"BTCTRY": snapshot(max_price=Decimal(900_000))})),
    Case("buy at the band's upper edge", "price_band", RejectReason.PRICE_BAND,
         ctx=context(snapshots={"BTCTRY": snapshot(max_limit_price=ASK)})),
    Case("sell below the band", "price_band", RejectReason.PRICE_BAND, signals=(SELL,),
         ctx=context(snapshots={"BTCTRY": snapshot(min_limit_price=BID + 5)})),
    Case("buy right after a fill", "cooldown", RejectReason.COOLDOWN,
         ctx=context(recent_fills=(fill(ago_s=30),))),
    Case("daily loss reached", "loss_limits", RejectReason.DAILY_LOSS_LIMIT,
         ctx=context(portfolio=portfolio(daily_pnl=Decimal(-1000)))),
    Case("daily loss refuses sells too", "loss_limits", RejectReason.DAILY_LOSS_LIMIT,
         signals=(SELL,), ctx=context(portfolio=portfolio(daily_pnl=Decimal(-1000)))),
    Case("drawdown reached", "loss_limits", RejectReason.MAX_DRAWDOWN,
         ctx=context(portfolio=portfolio(equity=Decimal(90_000)))),
    Case("soft drawdown refuses buys", "loss_limits", RejectReason.REDUCING_ONLY,
         ctx=context(portfolio=portfolio(equity=Decimal(95_000)))),
    Case("submit rate reached", "submit_rate", RejectReason.SUBMIT_RATE,
         ctx=context(recent_submits=tuple(NOW - timedelta(seconds=s) for s in range(10)))),
    Case("this cycle's approvals count toward the rate", "submit_rate", RejectReason.SUBMIT_RATE,
         signals=(signal(symbol="ETHTRY"), BUY),
         ctx=context(recent_submits=tuple(NOW - timedelta(seconds=s) for s in range(9)))),
)  # fmt: skip


def _judge(engine: RiskEngine, case: Case) -> object:
    result = engine.evaluate(case.signals, case.ctx)
    *before, last = result.decisions
    assert all(isinstance(d.outcome, ApprovedOrderIntent) for d in before), before
    return last.outcome


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_violation_is_refused_with_its_reason(case: Case) -> None:
    """Each violating variant is refused with exactly the reason of the rule it breaks."""
    outcome = _judge(RiskEngine(case.limits), case)
    assert getattr(outcome, "reason", None) is case.expected, outcome
    # The detail is what the operator reads in the decision log: never missing.
    detail = getattr(outcome, "detail", None)
    assert isinstance(detail, str), outcome
    assert detail.strip(), outcome


@pytest.mark.parametrize("side", [Side.BUY, Side.SELL])
def test_base_scenario_is_approved(side: Side) -> None:
    """The base scenario passes every rule, for a buy and for a sell."""
    result = RiskEngine(RiskLimits()).evaluate([signal(side)], context())
    assert result.approved_count == 1, result.decisions


@pytest.mark.parametrize("rule", DEFAULT_RULES, ids=[r.name for r in DEFAULT_RULES])
def test_engine_without_a_rule_fails_its_cases(rule: object) -> None:
    """Removing any one rule makes at least one of its cases lose its expected reason."""
    cases = [c for c in CASES if c.rule == getattr(rule, "name", None)]
    assert cases, "every rule needs at least one case in the table"
    rules = [r for r in DEFAULT_RULES if r is not rule]
    missed = []
    for case in cases:
        try:
            outcome = _judge(RiskEngine(case.limits, rules), case)
        except AssertionError:
            missed.append(case.id)  # an earlier signal changed fate: the rule mattered
            continue
        if getattr(outcome, "reason", None) is not case.expected:
            missed.append(case.id)
    assert missed, f"no case notices that rule {getattr(rule, 'name', rule)} is gone"


def test_table_covers_every_rule_in_order() -> None:
    """The table names only real rules, and every rule in the documented order has cases."""
    names = [r.name for r in DEFAULT_RULES]
    assert {c.rule for c in CASES} == set(names)
    assert names == [
        "trading_state", "market_data", "unresolved_orders", "orders_per_cycle", "open_orders",
        "order_notional", "position_cap", "exposure_cap", "cash", "exchange_rules", "price_band",
        "cooldown", "loss_limits", "submit_rate",
    ]  # fmt: skip


def _input(
    planned: OrderIntent | None = None,
    refusal: QuantizeReason | None = None,
    *,
    ctx: RiskContext | None = None,
    tally: CycleTally | None = None,
    limits: RiskLimits | None = None,
    detail: str = "",
) -> RuleInput:
    """A BTCTRY buy sized as ``planned`` (carrying ``refusal``), in the base context."""
    sized = SizedOrder(planned or intent(), refusal, detail)
    return RuleInput(
        BUY, ctx or context(), tally or CycleTally(), limits or RiskLimits(), sized=sized
    )


def _reason(rejection: RiskRejection | None) -> RejectReason | None:
    return None if rejection is None else rejection.reason


@pytest.mark.parametrize(
    ("price", "refusal", "refused"),
    [
        ("10000000", None, True),  # the upper edge itself
        ("100000", None, True),  # the lower edge itself
        ("9999999", None, False),
        ("100001", None, False),
        ("5000000", QuantizeReason.PRICE_ABOVE_BAND, True),  # the quantizer saw it outside
        ("5000000", QuantizeReason.BELOW_MIN_NOTIONAL, False),  # not the band's to report
    ],
)
def test_the_band_rule_checks_the_price_itself_not_only_the_quantizer(
    price: str, refusal: QuantizeReason | None, refused: bool
) -> None:
    """The band rule checks the price itself, and reports the band refusal sizing carried.

    The edges are refused: BtcTurk does not say whether they are inside (valid both ways).
    """
    rejection = check_price_band(_input(intent(price=price), refusal))
    assert _reason(rejection) is (RejectReason.PRICE_BAND if refused else None)


def test_a_fill_exactly_the_cooldown_ago_no_longer_holds_a_buy_back() -> None:
    """60 s after the fill the buy goes; 59 s after, it is refused naming the fill."""
    gone = context(recent_fills=(fill(ago_s=60),))
    assert RiskEngine(RiskLimits()).evaluate([BUY], gone).approved_count == 1
    ctx = context(recent_fills=(fill(ago_s=59),))
    (rejection,) = RiskEngine(RiskLimits()).evaluate([BUY], ctx).rejections
    at = fill(ago_s=59).timestamp.isoformat()
    assert (rejection.reason, rejection.detail) == (
        RejectReason.COOLDOWN,
        f"BTCTRY filled at {at}",
    )


def test_the_submit_window_excludes_its_far_edge_and_counts_this_cycle() -> None:
    """A submit exactly 60 s ago has left the window; one approved this cycle counts.

    Nine inside and one at the edge: nine count, the buy goes. Nine inside and one approved
    earlier this cycle: ten, refused, and the detail says ten.
    """
    nine = tuple(NOW - timedelta(seconds=s) for s in range(9))
    edge = context(recent_submits=(*nine, NOW - timedelta(seconds=60)))
    assert RiskEngine(RiskLimits()).evaluate([BUY], edge).approved_count == 1
    result = RiskEngine(RiskLimits()).evaluate(
        [signal(symbol="ETHTRY"), BUY], context(recent_submits=nine)
    )
    (rejection,) = result.rejections
    assert (rejection.reason, rejection.detail) == (
        RejectReason.SUBMIT_RATE,
        "10 submits in the last 60 s",
    )


def test_the_caps_and_the_cash_allow_an_order_that_reaches_them_exactly() -> None:
    """A cap is the most allowed, not a bound never touched: 1,000 TRY fits a 1,000 TRY cap."""
    flat = context(portfolio=portfolio(positions=()))
    caps = RiskLimits(max_position_notional_try=Decimal(1000), max_total_exposure_try=Decimal(1000))
    assert check_position_cap(_input(ctx=flat, limits=caps)) is None
    assert check_exposure_cap(_input(ctx=flat, limits=caps)) is None
    fee_lock = RiskLimits().fee_lock_factor
    exact = context(portfolio=portfolio(cash=1000 * fee_lock + RiskLimits().cash_reserve_try))
    assert check_cash(_input(ctx=exact)) is None
    short = context(portfolio=portfolio(cash=1000 * fee_lock + RiskLimits().cash_reserve_try - 1))
    assert _reason(check_cash(_input(ctx=short))) is RejectReason.INSUFFICIENT_CASH


def test_a_position_cap_counts_this_pairs_buys_only() -> None:
    """Open and approved ETHTRY buys leave BTCTRY's cap alone; an approved BTCTRY buy fills it."""
    flat = portfolio(positions=())
    cap = RiskLimits(max_position_notional_try=Decimal(1000))
    eth = context(portfolio=flat, open_orders=(order("ETHTRY", price="500000"),))
    eth_tally = CycleTally().add(intent("ETHTRY"))
    assert check_position_cap(_input(ctx=eth, tally=eth_tally, limits=cap)) is None
    btc_tally = CycleTally().add(intent(quantity="0.0001"))
    over = check_position_cap(_input(ctx=context(portfolio=flat), tally=btc_tally, limits=cap))
    assert _reason(over) is RejectReason.POSITION_CAP


def test_the_per_pair_open_order_limit_counts_this_pairs_orders_only() -> None:
    """Two ETHTRY orders leave BTCTRY room; one open and one approved BTCTRY order fill it."""
    limits = RiskLimits(max_open_orders=10, max_open_orders_per_symbol=2)
    eth = context(open_orders=(order("ETHTRY", order_id=1), order("ETHTRY", order_id=2)))
    approved_eth = CycleTally().add(intent("ETHTRY"))
    assert check_open_orders(_input(ctx=eth, tally=approved_eth, limits=limits)) is None
    one = context(open_orders=(order(order_id=1),))
    full = check_open_orders(_input(ctx=one, tally=CycleTally().add(intent()), limits=limits))
    assert _reason(full) is RejectReason.MAX_OPEN_ORDERS_PER_SYMBOL


@pytest.mark.parametrize(
    ("notional", "refusal", "expected", "detail"),
    [
        (
            "99.999",
            None,
            RejectReason.BELOW_MIN_NOTIONAL,
            "notional 99.999000000 below the venue minimum 100",
        ),
        ("100", None, None, None),  # the minimum itself is allowed
        ("500", QuantizeReason.BELOW_MIN_NOTIONAL, RejectReason.BELOW_MIN_NOTIONAL, None),
        ("500", QuantizeReason.PRICE_ABOVE_MAX, RejectReason.EXCHANGE_RULES, "the quantizer's"),
        ("500", QuantizeReason.PRICE_ABOVE_BAND, None, None),  # the band rule's to report
    ],
)
def test_the_exchange_rules_check_the_notional_itself_and_report_the_quantizer(
    notional: str, refusal: QuantizeReason | None, expected: RejectReason | None, detail: str | None
) -> None:
    """The rule checks the notional itself, and reports a refusal sizing carried as its own.

    Under the venue minimum is refused even when sizing carried no refusal; a band refusal is
    left to the band rule.
    """
    sized = intent(quantity=str(Decimal(notional) / 1_000_000))
    rejection = check_exchange_rules(_input(sized, refusal, detail="the quantizer's"))
    assert _reason(rejection) is expected
    if detail is not None:
        assert rejection is not None
        assert rejection.detail == detail


def test_data_exactly_as_old_as_the_limit_is_still_used() -> None:
    """30 s old data passes the 30 s age limit; a tenth of a second more is stale."""
    fresh = context(snapshots={"BTCTRY": snapshot(age_s=30)})
    assert RiskEngine(RiskLimits()).evaluate([BUY], fresh).approved_count == 1
    stale = context(snapshots={"BTCTRY": snapshot(age_s=30.1)})
    (rejection,) = RiskEngine(RiskLimits()).evaluate([BUY], stale).rejections
    assert (rejection.reason, rejection.detail) == (
        RejectReason.STALE_MARKET_DATA,
        "data is 30.1 s old (limit 30 s)",
    )


def test_an_approved_order_keeps_its_signals_strategy_and_reason() -> None:
    """The order's strategy and reason are the signal's: the trades and the journal name them."""
    sig = Signal("BTCTRY", Side.BUY, Decimal(1000), "fast SMA crossed up", "trend", NOW)
    (approved,) = RiskEngine(RiskLimits()).evaluate([sig], context()).approved
    assert (approved.intent.strategy, approved.intent.reason) == ("trend", "fast SMA crossed up")
