"""Submitting: intent committed before the POST, one POST per intent, ambiguity never resent."""

from __future__ import annotations

from execution_fakes import FakeDb, FakeGateway, KillFile, approved, live_facts
from execution_fixtures import *  # noqa: F403 - the shared fixtures (no conftest: see its docstring)
from execution_fixtures import Facts

from btcbot.domain.enums import Side
from btcbot.domain.errors import (
    AmbiguousOrderError,
    ExchangeRejectError,
    ExchangeUnavailableError,
    MalformedResponseError,
)
from btcbot.domain.models import OrderAck, OrderRequest
from btcbot.domain.orders import LocalOrderState
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
