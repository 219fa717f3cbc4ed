"""The account is the truth: the bot trades only what it owns, and its books match the account.

Judged at the emulator - its balances, its orders and trades - against the books in the DB:
for every asset, exchange balance = the bot's books + what lies outside them. Each scenario
is one the review read in the code: holdings already in the account were seeded as the bot's
(and sold); deposits and withdrawals were never seen; nothing ever compared the two again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
from exchange_truth import account_problems

from btcbot.adapters.clock import Clock
from btcbot.domain.account import outside_totals
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.ledger import Ledger
from btcbot.domain.models import OrderRequest
from btcbot.domain.trading import RiskLimits, TradingState
from btcbot.exchange.transport import EmulatorTransport
from btcbot.observability.audit import AuditKind
from btcbot.services.arming import arm
from btcbot.services.cycle import LiveCycle
from btcbot.settings import Settings
from btcbot.state.repositories.trading_uow import trading_uow_factory
from btcbot.state.uow import UnitOfWork
from btcbot.strategy.params import StrategyParams
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DemoOptions, InProcessLive, in_process_live
from btcbot.wiring.live_cycle import build_cycle

OPERATOR_BTC = Decimal("0.05")


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    return build_live(settings, clock=clock, transport=transport)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[InProcessLive]:
    """The demo's LIVE stack, trading freely, on an account that already holds 0.05 BTC."""
    limits = RiskLimits(cooldown_after_fill_seconds=0, max_submits_per_window=1000)
    with in_process_live(DemoOptions(workspace=tmp_path), _build, limits=limits) as stack:
        stack.sim_app.sim.deposit("BTC", OPERATOR_BTC)
        stack.clock.advance(60)
        yield stack


def _started(live: InProcessLive) -> LiveCycle:
    cycle = build_cycle(live.options, live.deps, live.client)
    assert cycle.startup()
    return cycle


def _books(live: InProcessLive) -> tuple[Ledger, dict[str, Decimal], TradingState]:
    uows = trading_uow_factory(live.deps.db.connection_factory(), live.deps.db.audit_context())
    with uows(None) as uow:
        stored = uow.ledger.latest()
        outside = outside_totals(uow.movements.outside())
        state = uow.trading_state.current_state()
    assert stored is not None
    return Ledger.from_snapshot(stored.snapshot), outside, state


def _audited(live: InProcessLive, kind: AuditKind) -> int:
    uows = trading_uow_factory(live.deps.db.connection_factory(), live.deps.db.audit_context())
    with uows(None) as uow:
        return len(uow.audit.recent(1000, kind=kind))


def _problems(live: InProcessLive) -> list[str]:
    ledger, outside, _ = _books(live)
    balances = {b.asset: b.total for b in live.client.balances()}
    return account_problems(balances, ledger.amounts(), outside)


def _btc(live: InProcessLive) -> Decimal:
    return live.sim_app.sim.account.total("BTC")


def _bot_orders(live: InProcessLive) -> int:
    return sum(1 for o in live.sim_app.sim.orders.values() if o.client_id.startswith("bb-"))


def test_the_bot_never_sells_what_the_operator_held_before_it(live: InProcessLive) -> None:
    """300 cycles of trading: the account never holds less than the operator's 0.05 BTC."""
    cycle = _started(live)
    lowest = _btc(live)
    for n in range(1, 301):
        assert cycle(n).error is None
        live.clock.advance(60)
        lowest = min(lowest, _btc(live))
    cycle.settle(301)  # the last cycle's own fills, booked as a clean stop books them
    sells = [t for t in live.sim_app.sim.trades if t.side == "sell"]
    assert sells, "the strategy never sold: the test proves nothing"
    assert lowest >= OPERATOR_BTC, f"the bot sold the operator's BTC (lowest {lowest})"
    _, outside, _ = _books(live)
    assert outside["BTC"] == OPERATOR_BTC
    assert _problems(live) == []


def test_deposits_withdrawals_and_a_manual_trade_are_flows_not_pnl(live: InProcessLive) -> None:
    """Each is booked as what it is; the books still equal the account; nothing halts."""
    sim = live.sim_app.sim
    cycle = _started(live)
    for n in range(1, 60):
        cycle(n)
        live.clock.advance(60)
    before, outside_before, _ = _books(live)
    sim.deposit("TRY", Decimal(5000))
    sim.withdraw("BTC", Decimal("0.01"), fee=Decimal("0.0005"))
    manual = OrderRequest("BTCTRY", Side.BUY, OrderMethod.MARKET, Decimal(800), None, "by-hand")
    live.client.submit_order(manual)
    sim.withdraw("TRY", Decimal(1200))
    for n in range(60, 120):
        assert cycle(n).error is None
        live.clock.advance(60)
    cycle.settle(120)
    after, outside, state = _books(live)
    assert _problems(live) == []
    assert state is not TradingState.HALTED
    assert _audited(live, AuditKind.BOOKS_DIFFER) == 0
    (trade,) = [t for t in sim.trades if t.client_id == "by-hand"]
    spent = trade.price * trade.amount + trade.fee + trade.tax
    # Capital moved by exactly the TRY flows: the deposit, the withdrawal, the manual buy.
    assert after.capital("TRY") - before.capital("TRY") == Decimal(5000) - 1200 - spent
    # The coins moved outside the books, never into the bot's inventory.
    moved = outside["BTC"] - outside_before["BTC"]
    assert moved == trade.amount - Decimal("0.0105")


def test_an_unexplained_difference_halts_until_arm_accepts_it(live: InProcessLive) -> None:
    """0.01 BTC appears with no record: two cycles later HALTED; after arm, accepted once."""
    cycle = _started(live)
    for n in range(1, 20):
        cycle(n)
        live.clock.advance(60)
    live.sim_app.sim.account.credit("BTC", Decimal("0.01"))  # no transfer, no trade: unexplained
    cycle(20)
    live.clock.advance(60)
    assert _books(live)[2] is not TradingState.HALTED, "one sighting may be a racing fill"
    cycle(21)
    live.clock.advance(60)
    _, _, state = _books(live)
    assert state is TradingState.HALTED
    assert _audited(live, AuditKind.BOOKS_DIFFER) == 1
    placed = _bot_orders(live)
    for n in range(22, 60):
        cycle(n)
        live.clock.advance(60)
    assert _bot_orders(live) == placed, "an order went out while the books were halted"
    assert _audited(live, AuditKind.BOOKS_DIFFER) == 1
    assert _audited(live, AuditKind.BOOKS_DIFFERENCE_ACCEPTED) == 0, "accepted before arm"
    db = live.deps.db
    arm(
        UnitOfWork(db.connection_factory(), db.audit_context()),
        control_dir=live.options.control_dir,
        clock=live.clock,
        actor="test",
        reason="the 0.01 BTC was a gift; accept it",
        live=False,
    )
    for n in range(60, 70):
        cycle(n)
        live.clock.advance(60)
    cycle.settle(70)
    _, outside, state = _books(live)
    assert state is not TradingState.HALTED
    assert _audited(live, AuditKind.BOOKS_DIFFERENCE_ACCEPTED) == 1
    assert outside["BTC"] == OPERATOR_BTC + Decimal("0.01")
    assert _problems(live) == []


def test_a_flow_in_a_cycle_without_fills_survives_a_restart(tmp_path: Path) -> None:
    """Observe-only (no fill ever): a TRY deposit is booked, persisted, and there after restart."""
    observe = StrategyParams(enabled=())
    with in_process_live(DemoOptions(workspace=tmp_path), _build, strategy=observe) as live:
        cycle = _started(live)
        cycle(1)
        live.clock.advance(60)
        live.sim_app.sim.deposit("TRY", Decimal(2500))
        for n in range(2, 5):
            cycle(n)
            live.clock.advance(60)
        restarted = _started(live)  # the books reopen from the stored snapshot
        for n in range(5, 8):
            restarted(n)
            live.clock.advance(60)
        assert _problems(live) == []
        assert _books(live)[2] is not TradingState.HALTED
        assert _audited(live, AuditKind.BOOKS_DIFFER) == 0


def test_handed_over_holdings_are_the_bots_and_only_those(live: InProcessLive) -> None:
    """HANDOVER_HOLDINGS=BTC:0.02 of the 0.05 held: 0.02 in the books, 0.03 outside, audited."""
    opts = replace(live.options, handover=(("BTC", Decimal("0.02")),))
    cycle = build_cycle(opts, live.deps, live.client)
    assert cycle.startup()
    cycle(1)
    live.clock.advance(60)
    cycle.settle(2)
    ledger, outside, _ = _books(live)
    assert [(h.symbol, h.quantity) for h in ledger.opening.holdings] == [
        ("BTCTRY", Decimal("0.02"))
    ]
    assert outside["BTC"] == Decimal("0.03")
    assert _audited(live, AuditKind.HOLDINGS_HANDED_OVER) == 1
    assert _problems(live) == []


def test_a_manual_trade_in_a_pair_outside_symbols_is_booked_as_movements(tmp_path: Path) -> None:
    """SYMBOLS=BTCTRY; the operator buys ETH by hand: its TRY is a flow, its ETH lies outside.

    Reconciliation reads the account's trades of every pair once a cycle; a foreign order's
    trade in a pair it does not trade is still a manual trade. Without it the books would
    differ from the account (TRY spent, ETH gained) and trading would halt.
    """
    limits = RiskLimits(cooldown_after_fill_seconds=0, max_submits_per_window=1000)
    opts = DemoOptions(workspace=tmp_path)
    with in_process_live(opts, _build, limits=limits) as stack:
        live = replace(stack, options=replace(stack.options, symbols=("BTCTRY",)))
        cycle = _started(live)
        for n in range(1, 4):
            assert cycle(n).error is None
            live.clock.advance(60)
        before, _, _ = _books(live)
        manual = OrderRequest(
            "ETHTRY", Side.BUY, OrderMethod.MARKET, Decimal(900), None, "eth-hand"
        )
        live.client.submit_order(manual)
        for n in range(4, 8):
            assert cycle(n).error is None
            live.clock.advance(60)
        after, outside, state = _books(live)
        (trade,) = [t for t in live.sim_app.sim.trades if t.client_id == "eth-hand"]
        assert _problems(live) == []
        assert state is not TradingState.HALTED
        assert _audited(live, AuditKind.BOOKS_DIFFER) == 0
        spent = trade.price * trade.amount + trade.fee + trade.tax
        assert before.capital("TRY") - after.capital("TRY") == spent
        assert outside["ETH"] == trade.amount
