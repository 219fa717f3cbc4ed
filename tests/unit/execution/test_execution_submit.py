"""Submitting: intent committed before the POST, one POST per intent, ambiguity never resent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from execution_fakes import T0, FakeDb, FakeGateway, KillFile, approved, live_facts
from execution_fixtures import *  # noqa: F403 - the shared fixtures (no conftest: see its docstring)
from execution_fixtures import Facts

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import Side
from btcbot.domain.errors import (
    AmbiguousOrderError,
    AuthenticationError,
    ExchangeRejectError,
    ExchangeUnavailableError,
    MalformedResponseError,
)
from btcbot.domain.models import OrderAck, OrderRequest
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.execution.client_ids import client_order_id
from btcbot.execution.report import SubmitResult
from btcbot.execution.service import ExecutionService

_ENDPOINT = "POST /api/v1/order"


def _ambiguous(request: OrderRequest) -> OrderAck:
    raise AmbiguousOrderError(
        "timed out", endpoint=_ENDPOINT, client_order_id=request.client_order_id
    )


def test_intent_is_committed_before_the_post(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb
) -> None:
    """At the moment of the POST the intent is already committed as PENDING_SUBMIT."""
    seen_at_post: list[LocalOrderState | None] = []

    def inspect(request: OrderRequest) -> OrderAck:
        stored = db.committed.orders.get(request.client_order_id)
        seen_at_post.append(None if stored is None else stored.state)
        return gateway.accept(request)

    gateway.on_submit = inspect
    service.execute("c1", [approved(0)])
    assert seen_at_post == [LocalOrderState.PENDING_SUBMIT]


def test_the_recorded_intent_is_the_approved_order_and_moves_at_the_answer(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb, clock: ManualClock
) -> None:
    """The row committed before the POST carries the intent whole; the ack stamps its time."""
    cid = client_order_id("c1", 0, "BTCTRY", Side.BUY)
    at_post: list[TrackedOrder] = []

    def slow(request: OrderRequest) -> OrderAck:
        at_post.append(db.committed.orders[cid])
        clock.advance(2)  # the exchange takes two seconds to answer
        return gateway.accept(request)

    gateway.on_submit = slow
    intent = approved(0)
    service.execute("c1", [intent])
    row = at_post[0]
    assert (row.symbol, row.side, row.method) == ("BTCTRY", Side.BUY, intent.intent.method)
    assert (row.price, row.quantity) == (intent.intent.price, intent.intent.quantity)
    assert (row.cycle_id, row.intent_index, row.exchange_client_id) == ("c1", 0, cid)
    assert row.origin is OrderOrigin.BOT
    acked = db.committed.orders[cid]
    assert (acked.created_at, acked.updated_at) == (T0, T0 + timedelta(seconds=2))


def test_ack_records_exchange_id(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb
) -> None:
    """An acknowledged order is SUBMITTED under the exchange's order id."""
    report = service.execute("c1", [approved(0)])
    cid = client_order_id("c1", 0, "BTCTRY", Side.BUY)
    order = db.committed.orders[cid]
    assert report.submitted == 1
    assert order.state is LocalOrderState.SUBMITTED
    assert order.exchange_order_id == gateway.next_id
    assert gateway.submitted[0].client_order_id == cid


def test_ambiguous_post_is_unknown_and_never_resent(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb
) -> None:
    """A timed-out POST leaves the order UNKNOWN; running the cycle again sends nothing."""
    gateway.on_submit = _ambiguous
    first = service.execute("c1", [approved(0)])
    gateway.on_submit = gateway.accept
    again = service.execute("c1", [approved(0)])
    cid = client_order_id("c1", 0, "BTCTRY", Side.BUY)
    assert first.submits[0].result is SubmitResult.UNKNOWN
    assert db.committed.orders[cid].state is LocalOrderState.UNKNOWN
    assert again.submits[0].result is SubmitResult.SYMBOL_UNRESOLVED
    assert again.submits[0].client_order_id == cid
    assert len(gateway.submitted) == 1


def test_unknown_order_blocks_its_symbol_only(
    service: ExecutionService, gateway: FakeGateway
) -> None:
    """After an UNKNOWN, later intents for that symbol are refused; other symbols still go."""
    gateway.on_submit = _ambiguous
    service.execute("c1", [approved(0)])
    gateway.on_submit = gateway.accept
    report = service.execute(
        "c2", [approved(0, "BTCTRY"), approved(1, "ETHTRY"), approved(2, "BTCTRY", Side.SELL)]
    )
    results = [s.result for s in report.submits]
    assert results == [
        SubmitResult.SYMBOL_UNRESOLVED,
        SubmitResult.SUBMITTED,
        SubmitResult.SYMBOL_UNRESOLVED,
    ]
    assert service.unresolved_symbols() == frozenset({"BTCTRY"})


def test_unknown_blocks_the_rest_of_the_same_cycle(
    service: ExecutionService, gateway: FakeGateway
) -> None:
    """A second intent for the symbol in the same cycle is not sent after an ambiguous POST."""
    gateway.on_submit = _ambiguous
    report = service.execute("c1", [approved(0), approved(1, side=Side.SELL)])
    assert [s.result for s in report.submits] == [
        SubmitResult.UNKNOWN,
        SubmitResult.SYMBOL_UNRESOLVED,
    ]
    assert len(gateway.submitted) == 1


def test_reexecuting_an_acked_cycle_sends_nothing(
    service: ExecutionService, gateway: FakeGateway
) -> None:
    """The same cycle's intent, already recorded, is never sent a second time."""
    service.execute("c1", [approved(0)])
    report = service.execute("c1", [approved(0)])
    assert report.submits[0].result is SubmitResult.ALREADY_RECORDED
    assert report.submits[0].client_order_id == client_order_id("c1", 0, "BTCTRY", Side.BUY)
    assert len(gateway.submitted) == 1


def test_definitive_reject_is_recorded_with_its_code(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb
) -> None:
    """A 4xx refusal becomes REJECTED with the exchange's code and does not block the symbol."""

    def reject(_request: OrderRequest) -> OrderAck:
        raise ExchangeRejectError(
            "min total", endpoint=_ENDPOINT, code=1123, name="FAILED_MIN_TOTAL_AMOUNT"
        )

    gateway.on_submit = reject
    report = service.execute("c1", [approved(0)])
    order = db.committed.orders[report.submits[0].client_order_id]
    assert report.submits[0].result is SubmitResult.REJECTED
    assert order.state is LocalOrderState.REJECTED
    assert order.reject_code == "1123"
    assert service.unresolved_symbols() == frozenset()


def test_request_that_never_left_is_not_placed(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb
) -> None:
    """A connect failure (no byte sent) is NOT_PLACED at once and does not block the symbol."""

    def refuse(_request: OrderRequest) -> OrderAck:
        raise ExchangeUnavailableError("connect failed", endpoint=_ENDPOINT)

    gateway.on_submit = refuse
    report = service.execute("c1", [approved(0)])
    assert report.submits[0].result is SubmitResult.NOT_PLACED
    assert db.committed.orders[report.submits[0].client_order_id].state is (
        LocalOrderState.NOT_PLACED
    )


def test_unreadable_answer_is_unknown(service: ExecutionService, gateway: FakeGateway) -> None:
    """A garbled answer to a POST may hide an accepted order, so it is UNKNOWN."""

    def garble(_request: OrderRequest) -> OrderAck:
        raise MalformedResponseError("bad json", endpoint=_ENDPOINT)

    gateway.on_submit = garble
    report = service.execute("c1", [approved(0)])
    assert report.submits[0].result is SubmitResult.UNKNOWN
    assert service.unresolved_symbols() == frozenset({"BTCTRY"})


def test_kill_file_blocks_submit_before_any_write(
    service: ExecutionService, gateway: FakeGateway, kill: KillFile, db: FakeDb
) -> None:
    """With a kill file present nothing is written and nothing is sent."""
    kill.reason = "operator disarm"
    report = service.execute("c1", [approved(0), approved(1, "ETHTRY")])
    assert [s.result for s in report.submits] == [SubmitResult.BLOCKED, SubmitResult.BLOCKED]
    assert "kill file" in report.submits[0].detail
    assert [s.client_order_id for s in report.submits] == [
        client_order_id("c1", 0, "BTCTRY", Side.BUY),
        client_order_id("c1", 1, "ETHTRY", Side.BUY),
    ]
    assert gateway.submitted == []
    assert db.committed.orders == {}


def test_kill_file_is_rechecked_before_each_submit(
    service: ExecutionService, gateway: FakeGateway, kill: KillFile
) -> None:
    """A kill file written during the cycle stops the very next submit."""

    def accept_then_disarm(request: OrderRequest) -> OrderAck:
        kill.reason = "disarmed mid-cycle"
        return gateway.accept(request)

    gateway.on_submit = accept_then_disarm
    report = service.execute("c1", [approved(0), approved(1, "ETHTRY")])
    assert [s.result for s in report.submits] == [SubmitResult.SUBMITTED, SubmitResult.BLOCKED]
    assert len(gateway.submitted) == 1


def test_policy_blocks_unarmed_live_trading(
    service: ExecutionService, gateway: FakeGateway, facts: Facts
) -> None:
    """Real trading that is not armed is refused by TradingArmedPolicy before the POST."""
    facts.current = live_facts(armed=False)
    report = service.execute("c1", [approved(0)])
    assert report.submits[0].result is SubmitResult.BLOCKED
    assert "not armed" in report.submits[0].detail
    assert gateway.submitted == []


def test_armed_live_trading_submits(
    service: ExecutionService, gateway: FakeGateway, facts: Facts
) -> None:
    """The same intent goes out once the LIVE database is armed."""
    facts.current = live_facts(armed=True)
    report = service.execute("c1", [approved(0)])
    assert report.submits[0].result is SubmitResult.SUBMITTED


class _CrashError(Exception):
    """A bug inside the POST (not an exchange error)."""


_OUTCOMES = {
    "acked": (None, SubmitResult.SUBMITTED, LocalOrderState.SUBMITTED, "submit_acked"),
    "ambiguous": (
        AmbiguousOrderError("timed out", endpoint=_ENDPOINT, client_order_id="x"),
        SubmitResult.UNKNOWN,
        LocalOrderState.UNKNOWN,
        "submit_ambiguous",
    ),
    "rejected": (
        ExchangeRejectError("min total", endpoint=_ENDPOINT, code=1123, name="FAILED_MIN"),
        SubmitResult.REJECTED,
        LocalOrderState.REJECTED,
        "submit_rejected",
    ),
    "refused key": (
        AuthenticationError("bad signature", endpoint=_ENDPOINT),
        SubmitResult.REJECTED,
        LocalOrderState.REJECTED,
        "submit_rejected",
    ),
    "never sent": (
        ExchangeUnavailableError("connect failed", endpoint=_ENDPOINT),
        SubmitResult.NOT_PLACED,
        LocalOrderState.NOT_PLACED,
        "submit_not_sent",
    ),
    "unreadable": (
        MalformedResponseError("bad json", endpoint=_ENDPOINT),
        SubmitResult.UNKNOWN,
        LocalOrderState.UNKNOWN,
        "submit_unclear",
    ),
}


@pytest.mark.parametrize("case", sorted(_OUTCOMES))
def test_every_post_outcome_is_in_the_orders_history_under_its_cycle(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb, case: str
) -> None:
    """The intent line, then one line for how the POST ended, with the error, stamped c1."""
    error, result, state, event = _OUTCOMES[case]

    def answer(request: OrderRequest) -> OrderAck:
        if error is not None:
            raise error
        return gateway.accept(request)

    gateway.on_submit = answer
    report = service.execute("c1", [approved(0)])
    cid = client_order_id("c1", 0, "BTCTRY", Side.BUY)
    detail = "" if error is None else str(error)
    assert report.submits[0].result is result
    assert report.submits[0].detail == detail
    assert (report.submits[0].symbol, report.submits[0].side) == ("BTCTRY", Side.BUY)
    assert report.submits[0].client_order_id == cid
    history = [(e.event, e.from_state, e.to_state, e.detail) for e in db.committed.events]
    assert history == [
        ("intent_recorded", None, LocalOrderState.PENDING_SUBMIT, ""),
        (event, LocalOrderState.PENDING_SUBMIT, state, detail),
    ]
    assert db.committed.event_cycles == ["c1", "c1"]
    order = db.committed.orders[cid]
    assert order.state is state
    if state is LocalOrderState.REJECTED:  # the exchange's code, else the error's kind
        code = "1123" if case == "rejected" else "AuthenticationError"
        assert (order.reject_code, order.reject_reason) == (code, str(error))


def test_a_crash_inside_the_post_leaves_the_order_unknown_and_is_raised(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb
) -> None:
    """A bug mid-POST: the order may exist, so it is UNKNOWN (its symbol blocked), never absent."""
    crash = _CrashError("bug in the transport")

    def explode(_request: OrderRequest) -> OrderAck:
        raise crash

    gateway.on_submit = explode
    with pytest.raises(_CrashError):
        service.execute("c1", [approved(0)])
    cid = client_order_id("c1", 0, "BTCTRY", Side.BUY)
    assert db.committed.orders[cid].state is LocalOrderState.UNKNOWN
    last = db.committed.events[-1]
    assert (last.event, last.to_state, last.detail) == (
        "submit_crashed",
        LocalOrderState.UNKNOWN,
        repr(crash),
    )
    assert db.committed.event_cycles == ["c1", "c1"]
    assert service.unresolved_symbols() == frozenset({"BTCTRY"})
