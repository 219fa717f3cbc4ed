"""Execution and reconciliation against the in-process emulator and a real SQLite database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from execution_rig import DRY_RUN, TTL, Rig, open_rig

from btcbot.domain.enums import Role, Side
from btcbot.domain.models import OrderAck, OrderRequest
from btcbot.domain.orders import LocalOrderState, OrderOrigin
from btcbot.domain.records import AuditContext
from btcbot.execution.report import CancelResult, SubmitResult
from btcbot.execution.service import ExecutionService
from btcbot.observability.audit import AuditKind
from btcbot.risk.policies import TradingArmedPolicy
from btcbot.sim.exchange import SimConfig
from btcbot.sim.faults import FaultPlan
from btcbot.sim.validation import OrderParams
from btcbot.state.repositories.trading_uow import trading_uow_factory
from btcbot.state.sqlite import connect


def _state(rig: Rig, client_order_id: str) -> LocalOrderState:
    with rig.uow() as uow:
        order = uow.orders.get(client_order_id)
    assert order is not None
    return order.state


def test_timeout_after_accept_is_resolved_by_client_id(tmp_path: Path) -> None:
    """An accepted-then-timed-out POST stays UNKNOWN, is never resent, and reconciles to OPEN."""
    with open_rig(tmp_path, faults="timeout_after_accept:#1") as rig:
        first = rig.execution.execute("c1", [rig.intent(0)]).submits[0]
        blocked = rig.execution.execute("c2", [rig.intent(0)]).submits[0]
        report = rig.reconciler.reconcile("c2", ["BTCTRY"])
        with rig.uow() as uow:
            order = uow.orders.get(first.client_order_id)
        assert first.result is SubmitResult.UNKNOWN
        assert blocked.result is SubmitResult.SYMBOL_UNRESOLVED
        assert order is not None
        assert order.state is LocalOrderState.OPEN
        assert order.exchange_order_id in rig.sim.orders
        assert report.unresolved_symbols == frozenset()
        assert rig.exchange_client_ids() == {first.client_order_id: 1}


@pytest.mark.parametrize(
    ("client_id", "ours"), [("bb-lost1-0-BTCTRY-b", True), ("placed-by-hand", False)]
)
def test_an_unknown_exchange_order_is_adopted_only_when_its_client_id_is_ours(
    tmp_path: Path, client_id: str, *, ours: bool
) -> None:
    """Our format (a lost intent): adopted. Anything else: foreign, recorded apart, not adopted."""
    with open_rig(tmp_path) as rig:
        spec = rig.sim.pairs["BTCTRY"]
        price = (rig.sim.price("BTCTRY") * Decimal("0.9")).quantize(spec.price_quantum)
        placed = rig.sim.submit(
            OrderParams(
                spec=spec,
                side="buy",
                method="limit",
                price=price,
                quantity=Decimal("0.001"),
                stop_price=None,
                client_id=client_id,
            )
        )
        report = rig.reconciler.reconcile("c1", ["BTCTRY"])
        with rig.uow() as uow:
            adopted = uow.orders.by_exchange_id(placed.id)
            events = [] if adopted is None else uow.orders.events(adopted.client_order_id)
            audited = uow.audit.recent(kind=AuditKind.ORDER_ADOPTED)
            foreign = uow.foreign_orders.ids()
        if not ours:
            assert adopted is None
            assert report.adopted == ()
            assert report.foreign == (placed.id,)
            assert foreign == {placed.id}
            return
        assert adopted is not None
        assert adopted.origin is OrderOrigin.ADOPTED
        assert adopted.exchange_client_id == client_id
        assert report.adopted == (adopted.client_order_id,)
        assert [e.event for e in events] == ["adopted"]
        assert [e.detail["exchange_order_id"] for e in audited] == [placed.id]
        assert foreign == frozenset()


def test_fills_are_stored_once_when_reconciliation_runs_twice(tmp_path: Path) -> None:
    """A filled order's trades are stored once and handed to the ledger once."""
    with open_rig(tmp_path) as rig:
        rig.execution.execute("c1", [rig.intent(0, offset="0.01")])
        first = rig.reconciler.reconcile("c2", ["BTCTRY"])
        second = rig.reconciler.reconcile("c3", ["BTCTRY"])
        rig.restart()
        third = rig.reconciler.reconcile("c4", ["BTCTRY"])
        with rig.uow() as uow:
            stored = uow.fills.count()
            unapplied = uow.fills.unapplied()
            uow.fills.mark_applied(f.trade_id for f in unapplied)
            uow.commit()
        with rig.uow() as uow:
            left = uow.fills.unapplied()
        assert len(first.new_fills) == len(rig.sim.trades) >= 1
        assert second.new_fills == third.new_fills == ()
        assert stored == len(rig.sim.trades)
        assert len(unapplied) == stored
        assert left == []


def test_partial_fills_accumulate_until_filled_or_cancelled(tmp_path: Path) -> None:
    """A resting order filled piece by piece is PARTIALLY_FILLED with the exchange's amount."""
    config = SimConfig(participation=Decimal("0.001"))
    with open_rig(tmp_path, config=config) as rig:
        sub = rig.execution.execute("c1", [rig.intent(0, offset="-0.0005", notional=50_000)])
        cid = sub.submits[0].client_order_id
        fills = 0
        for n in range(3):
            rig.clock.advance(60)
            fills += len(rig.reconciler.reconcile(f"r{n}", ["BTCTRY"]).new_fills)
        with rig.uow() as uow:
            order = uow.orders.get(cid)
        assert order is not None
        sim_order = rig.sim.orders[order.exchange_order_id or 0]
        assert order.state is LocalOrderState.PARTIALLY_FILLED
        assert Decimal(0) < order.filled_quantity < order.quantity
        assert order.filled_quantity == sim_order.quantity - sim_order.left
        assert fills == len(rig.sim.trades) >= 2


def test_async_cancel_is_confirmed_by_reconciliation(tmp_path: Path) -> None:
    """A TTL cancel is CANCEL_REQUESTED until the emulator finishes it, then CANCELED."""
    with open_rig(tmp_path, config=SimConfig(cancel_delay=30.0)) as rig:
        cid = rig.execution.execute("c1", [rig.intent(0)]).submits[0].client_order_id
        rig.clock.advance(TTL.total_seconds())
        cancels = rig.execution.cancel_stale("c2").cancels
        rig.reconciler.reconcile("c2", ["BTCTRY"])
        pending = _state(rig, cid)
        rig.clock.advance(31)
        rig.reconciler.reconcile("c3", ["BTCTRY"])
        assert [c.result for c in cancels] == [CancelResult.REQUESTED]
        assert pending is LocalOrderState.CANCEL_REQUESTED
        assert _state(rig, cid) is LocalOrderState.CANCELED


def test_ambiguous_cancel_is_settled_by_reconciliation(tmp_path: Path) -> None:
    """A cancel whose answer was lost is reported AMBIGUOUS and reconciled to CANCELED."""
    with open_rig(tmp_path) as rig:
        cid = rig.execution.execute("c1", [rig.intent(0)]).submits[0].client_order_id
        rig.app.faults = FaultPlan.parse("timeout_after_accept:#1")
        cancels = rig.execution.cancel_all_open("c2", "disarm").cancels
        rig.app.faults = FaultPlan()
        rig.reconciler.reconcile("c3", ["BTCTRY"])
        assert [c.result for c in cancels] == [CancelResult.AMBIGUOUS]
        assert _state(rig, cid) is LocalOrderState.CANCELED


def test_kill_file_stops_submits_and_cancels_open_orders(tmp_path: Path) -> None:
    """With the kill file present nothing new reaches the emulator and open orders are cancelled."""
    with open_rig(tmp_path) as rig:
        rig.execution.execute("c1", [rig.intent(0), rig.intent(1, symbol="ETHTRY")])
        rig.kill.reason = "operator disarm"
        blocked = rig.execution.execute("c2", [rig.intent(0, side=Side.SELL)])
        rig.execution.cancel_all_open("c2", "disarm")
        rig.reconciler.reconcile("c3", ["BTCTRY", "ETHTRY"])
        assert blocked.submits[0].result is SubmitResult.BLOCKED
        assert len(rig.sim.orders) == 2
        assert not rig.sim.open


def test_startup_reconciliation_failure_refuses_trading(tmp_path: Path) -> None:
    """When allOrders keeps failing at startup the verdict refuses trading and names the cause."""
    with open_rig(tmp_path, faults="5xx:1.0@/api/v1/allOrders") as rig:
        verdict = rig.reconciler.startup("c0", ["BTCTRY"])
        assert not verdict.trading_allowed
        assert verdict.reason is not None
        assert "allOrders" in verdict.reason


class _PeekingGateway:
    """The real client, but each POST first reads the order from SQLite on another connection."""

    def __init__(self, rig: Rig) -> None:
        self._rig = rig
        self.seen: list[LocalOrderState | None] = []

    def submit_order(self, request: OrderRequest) -> OrderAck:
        """Record what another process would read now, then POST for real."""
        with self._rig.uow() as uow:
            stored = uow.orders.get(request.client_order_id)
        self.seen.append(None if stored is None else stored.state)
        return self._rig.client.submit_order(request)

    def cancel_order(self, order_id: int) -> None:
        """Cancel for real."""
        self._rig.client.cancel_order(order_id)


def test_intent_is_durable_in_sqlite_before_the_post(tmp_path: Path) -> None:
    """At POST time another connection already reads the intent as PENDING_SUBMIT."""
    with open_rig(tmp_path) as rig:
        peeking = _PeekingGateway(rig)
        service = ExecutionService(
            gateway=peeking,
            uow_factory=trading_uow_factory(
                lambda: connect(rig.db_path), AuditContext(Role.LIVE, "peek", "cfg-hash")
            ),
            policy=TradingArmedPolicy(),
            facts=lambda: DRY_RUN,
            kill_probe=rig.kill,
            clock=rig.clock,
            order_ttl=TTL,
        )
        report = service.execute("c1", [rig.intent(0), rig.intent(1, symbol="ETHTRY")])
        assert peeking.seen == [LocalOrderState.PENDING_SUBMIT, LocalOrderState.PENDING_SUBMIT]
        assert report.submitted == 2
