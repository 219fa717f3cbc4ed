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
    order,
    portfolio,
    signal,
    snapshot,
)

from btcbot.domain.enums import Side
from btcbot.domain.trading import (
    ApprovedOrderIntent,
    PositionView,
    RejectReason,
    RiskLimits,
    Signal,
    TradingState,
)
from btcbot.risk.context import RiskContext
from btcbot.risk.engine import RiskEngine
from btcbot.risk.rules import DEFAULT_RULES

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
