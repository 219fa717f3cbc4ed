"""Crash recovery: state left by a process that died mid-submit, then a restart against it."""

from __future__ import annotations

from pathlib import Path

from execution_rig import RECON, Rig, open_rig

from btcbot.domain.orders import LocalOrderState, TrackedOrder
from btcbot.domain.trading import ApprovedOrderIntent
from btcbot.execution.client_ids import client_order_id
from btcbot.execution.report import SubmitResult
from btcbot.execution.service import pending_order


def _commit_intent(rig: Rig, cycle_id: str, approved: ApprovedOrderIntent) -> str:
    """What execution commits before its POST: the intent as PENDING_SUBMIT."""
    cid = client_order_id(cycle_id, approved.index, approved.symbol, approved.side)
    with rig.uow() as uow:
        uow.orders.add(
            pending_order(cycle_id, approved, cid, rig.clock.now()), event="intent_recorded"
        )
        uow.commit()
    return cid


def _order(rig: Rig, cid: str) -> TrackedOrder:
    with rig.uow() as uow:
        order = uow.orders.get(cid)
    assert order is not None
    return order


def _settle_passes(rig: Rig, passes: int) -> None:
    rig.clock.advance(RECON.settle.total_seconds())
    for n in range(passes):
        rig.reconciler.reconcile(f"settle-{n}", ["BTCTRY"])
        rig.clock.advance(5)


def test_crash_between_commit_and_post_ends_not_placed(tmp_path: Path) -> None:
    """An intent committed but never sent blocks its symbol, then becomes NOT_PLACED, unsent."""
    with open_rig(tmp_path) as rig:
        cid = _commit_intent(rig, "c1", rig.intent(0))
        rig.restart()
        verdict = rig.reconciler.startup("c2", ["BTCTRY"])
        blocked = rig.execution.execute("c2", [rig.intent(0)])
        _settle_passes(rig, RECON.absent_passes)
        after = rig.execution.execute("c3", [rig.intent(0)])
        assert verdict.trading_allowed
        assert verdict.report is not None
        assert verdict.report.unresolved_symbols == frozenset({"BTCTRY"})
        assert blocked.submits[0].result is SubmitResult.SYMBOL_UNRESOLVED
        assert _order(rig, cid).state is LocalOrderState.NOT_PLACED
        assert after.submits[0].result is SubmitResult.SUBMITTED
        assert cid not in rig.exchange_client_ids()
        assert max(rig.exchange_client_ids().values()) == 1


def test_crash_after_accepted_post_is_found_not_resent(tmp_path: Path) -> None:
    """An order the exchange accepted before the process died is found by client id at restart."""
    with open_rig(tmp_path) as rig:
        approved = rig.intent(0)
        cid = _commit_intent(rig, "c1", approved)
        ack = rig.client.submit_order(approved.to_request(cid))  # ... and then the process died
        rig.restart()
        verdict = rig.reconciler.startup("c2", ["BTCTRY"])
        rig.execution.execute("c1", [approved])  # even replaying the same cycle sends nothing
        order = _order(rig, cid)
        assert verdict.trading_allowed
        assert (order.state, order.exchange_order_id) == (LocalOrderState.OPEN, ack.order_id)
        assert rig.exchange_client_ids() == {cid: 1}


def test_timeout_before_accept_ends_not_placed_with_nothing_on_the_exchange(
    tmp_path: Path,
) -> None:
    """A POST lost before the exchange saw it is UNKNOWN, then NOT_PLACED; nothing was placed."""
    with open_rig(tmp_path, faults="timeout:#1@/api/v1/order") as rig:
        sub = rig.execution.execute("c1", [rig.intent(0)]).submits[0]
        rig.restart()
        _settle_passes(rig, RECON.absent_passes)
        assert sub.result is SubmitResult.UNKNOWN
        assert _order(rig, sub.client_order_id).state is LocalOrderState.NOT_PLACED
        assert rig.sim.orders == {}


def test_not_placed_needs_the_full_bound(tmp_path: Path) -> None:
    """One pass short of the bound the order is still UNKNOWN and its symbol still blocked."""
    with open_rig(tmp_path, faults="timeout:#1@/api/v1/order") as rig:
        sub = rig.execution.execute("c1", [rig.intent(0)]).submits[0]
        _settle_passes(rig, RECON.absent_passes - 1)
        assert _order(rig, sub.client_order_id).state is LocalOrderState.UNKNOWN
        assert rig.execution.unresolved_symbols() == frozenset({"BTCTRY"})
