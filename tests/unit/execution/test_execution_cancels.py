"""Cancelling: TTL cancels, disarm cancels, and cancels allowed whatever the arming state."""

from __future__ import annotations

from datetime import timedelta

import pytest
from execution_fakes import FakeDb, FakeGateway, KillFile, approved, live_facts
from execution_fixtures import *  # noqa: F403 - the shared fixtures (no conftest: see its docstring)
from execution_fixtures import TTL, Facts, make_service

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import ExchangeKind, Role
from btcbot.domain.errors import (
    AmbiguousOrderError,
    ExchangeRejectError,
    OrderNotFoundError,
    RateLimitedError,
)
from btcbot.domain.models import OrderAck, OrderRequest
from btcbot.domain.orders import LocalOrderState
from btcbot.domain.trading import TradingState
from btcbot.execution.report import CancelResult, SubmitResult
from btcbot.execution.service import ExecutionService
from btcbot.risk.policies import TradingFacts

_DELETE = "DELETE /api/v1/order"


def _place(service: ExecutionService, cycle: str, index: int = 0, symbol: str = "BTCTRY") -> str:
    return service.execute(cycle, [approved(index, symbol)]).submits[0].client_order_id


def test_orders_past_ttl_are_cancelled_younger_ones_kept(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb, clock: ManualClock
) -> None:
    """Only orders at least one TTL old are cancelled; the cancel is recorded as requested."""
    old = _place(service, "c1")
    clock.advance(TTL.total_seconds() - 60)
    young = _place(service, "c2", symbol="ETHTRY")
    clock.advance(60)
    report = service.cancel_stale("c3")
    assert [c.client_order_id for c in report.cancels] == [old]
    assert gateway.cancelled == [db.committed.orders[old].exchange_order_id]
    assert db.committed.orders[old].state is LocalOrderState.CANCEL_REQUESTED
    assert db.committed.orders[young].state is LocalOrderState.SUBMITTED
    assert db.committed.event_cycles[-1] == "c3"  # the cancel is stamped with its cycle
    assert db.committed.events[-1].to_state is LocalOrderState.CANCEL_REQUESTED


def test_accepted_cancel_is_resent_only_after_another_ttl(
    service: ExecutionService, gateway: FakeGateway, clock: ManualClock
) -> None:
    """An async cancel still pending is not re-sent every cycle, only after one more TTL."""
    _place(service, "c1")
    clock.advance(TTL.total_seconds())
    service.cancel_stale("c2")
    clock.advance(TTL.total_seconds() / 2)
    service.cancel_stale("c3")
    assert len(gateway.cancelled) == 1
    clock.advance(TTL.total_seconds() / 2)
    service.cancel_stale("c4")
    assert len(gateway.cancelled) == 2


def test_kill_file_blocks_submit_but_not_cancel(
    service: ExecutionService, gateway: FakeGateway, kill: KillFile, db: FakeDb
) -> None:
    """With the kill file present, cancel_all_open still cancels every live order."""
    first = _place(service, "c1")
    second = _place(service, "c1", 1, "ETHTRY")
    kill.reason = "operator disarm"
    blocked = service.execute("c2", [approved(0)])
    report = service.cancel_all_open("c2", "disarm")
    assert blocked.submits[0].result.value == "blocked"
    assert {c.client_order_id for c in report.cancels} == {first, second}
    assert all(c.result is CancelResult.REQUESTED for c in report.cancels)
    assert {c.why for c in report.cancels} == {"disarm"}
    assert len(gateway.submitted) == 2
    # Each cancel's history line is stamped with the cycle that asked for it.
    cancel_cycles = [c for e, c in zip(db.committed.events, db.committed.event_cycles, strict=True)
                     if e.to_state.value == "cancel_requested"]  # fmt: skip
    assert cancel_cycles == ["c2", "c2"]


def test_cancel_allowed_when_disarmed_live(
    service: ExecutionService, gateway: FakeGateway, facts: Facts
) -> None:
    """A disarmed real-trading process may still cancel (cancels only cut exposure)."""
    facts.current = live_facts(armed=True)
    _place(service, "c1")
    facts.current = live_facts(armed=False)
    report = service.cancel_all_open("c2", "disarm")
    assert [c.result for c in report.cancels] == [CancelResult.REQUESTED]


def test_monitor_role_cannot_cancel(
    service: ExecutionService, gateway: FakeGateway, facts: Facts
) -> None:
    """The MONITOR role is refused even a cancel, before any call to the exchange."""
    cid = _place(service, "c1")
    facts.current = TradingFacts(
        role=Role.MONITOR,
        live_trading=False,
        ack=False,
        safe_mode=True,
        kill_switch=True,
        armed=False,
        kill_file_present=False,
        exchange=ExchangeKind.SIM,
    )
    report = service.cancel_all_open("c2", "disarm")
    assert [c.result for c in report.cancels] == [CancelResult.BLOCKED]
    blocked = report.cancels[0]
    assert (blocked.client_order_id, blocked.symbol, blocked.why) == (cid, "BTCTRY", "disarm")
    assert blocked.detail == "cancel blocked: APP_ROLE is not live"
    assert gateway.cancelled == []


def test_unresolved_and_terminal_orders_are_not_cancelled(
    service: ExecutionService, gateway: FakeGateway
) -> None:
    """Orders without an exchange id (UNKNOWN) cannot be cancelled and are skipped."""

    def ambiguous(request: OrderRequest) -> OrderAck:
        raise AmbiguousOrderError(
            "timeout", endpoint="POST /api/v1/order", client_order_id=request.client_order_id
        )

    gateway.on_submit = ambiguous
    _place(service, "c1")
    report = service.cancel_all_open("c2", "disarm")
    assert report.cancels == ()
    assert gateway.cancelled == []


def test_cancel_outcomes_are_typed(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb, clock: ManualClock
) -> None:
    """Each cancel's answer is reported by type; only an accepted or ambiguous one moves state."""
    symbols = ("BTCTRY", "ETHTRY", "XRPTRY", "AVAXTRY", "SOLTRY")
    ids = [_place(service, "c1", i, s) for i, s in enumerate(symbols)]
    errors: list[Exception | None] = [
        ExchangeRejectError("closed", endpoint=_DELETE, code=None, name="NOT_CANCELABLE"),
        AmbiguousOrderError("timeout", endpoint=_DELETE, client_order_id=None),
        RateLimitedError("slow down", endpoint=_DELETE, retry_after=1.0),
        OrderNotFoundError("no such order", endpoint=_DELETE, code=None, name="NOT_FOUND"),
        None,  # accepted
    ]
    answers = iter(errors)

    def answer(_order_id: int) -> None:
        error = next(answers)
        if error is not None:
            raise error

    gateway.on_cancel = answer
    clock.advance(TTL.total_seconds() + 1)
    report = service.cancel_stale("c2")
    expected = [
        CancelResult.REFUSED,
        CancelResult.AMBIGUOUS,
        CancelResult.FAILED,
        CancelResult.NOT_FOUND,
        CancelResult.REQUESTED,
    ]
    assert [c.result for c in report.cancels] == expected
    details = ["" if e is None else str(e) for e in errors]
    assert [(c.client_order_id, c.symbol, c.why, c.detail) for c in report.cancels] == [
        (cid, symbol, "ttl", detail)
        for cid, symbol, detail in zip(ids, symbols, details, strict=True)
    ]
    orders = [db.committed.orders[i] for i in ids]
    moved = (LocalOrderState.CANCEL_REQUESTED, LocalOrderState.SUBMITTED)
    assert [o.state for o in orders] == [moved[1], moved[0], moved[1], moved[1], moved[0]]
    assert all(o.updated_at == clock.now() for o in orders)  # every attempt is in the row
    assert [o.cancel_requested_at for o in orders] == [None, clock.now(), None, None, clock.now()]
    history = [(e.event, e.detail) for e in db.committed.events[-5:]]
    assert history == [
        (f"cancel_{r.value}", f"ttl: {d}") for r, d in zip(expected, details, strict=True)
    ]


def test_an_order_ttl_must_be_positive(
    db: FakeDb, gateway: FakeGateway, kill: KillFile, facts: Facts, clock: ManualClock
) -> None:
    """A zero TTL would cancel every order the moment it rests: refused at construction."""
    with pytest.raises(ValueError, match="order_ttl must be positive"):
        make_service(db, gateway, kill, facts, clock, order_ttl=timedelta(0))


def test_halted_state_refuses_submits_but_not_cancels(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb
) -> None:
    """In HALTED nothing new is sent (even if risk let an intent through); cancels still go."""
    _place(service, "c1")
    db.committed.trading_state = TradingState.HALTED
    report = service.execute("c2", [approved(0, "ETHTRY")])
    cancels = service.cancel_all_open("c2", "halt")
    assert report.submits[0].result is SubmitResult.BLOCKED
    assert report.submits[0].detail == "trading state is HALTED"
    assert len(gateway.submitted) == 1
    assert [c.result for c in cancels.cancels] == [CancelResult.REQUESTED]
