"""One LIVE cycle's orchestration over fakes: order of steps, kill file, startup reconciliation."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from btcbot.adapters.clock import ManualClock
from btcbot.domain.errors import ExchangeUnavailableError
from btcbot.domain.market import MarketSnapshot
from btcbot.services.cycle import CycleCommit, CycleParts, LiveCycle, run_tag
from btcbot.services.cycle_report import (
    BookFigures,
    ExecutionReport,
    ReconcileReport,
    StartupCheck,
)

START = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


@dataclass(frozen=True)
class FakeDecision:
    """A decision that approved ``approved_count`` intents."""

    approved_count: int
    rejection_reasons: tuple[str, ...] = ("max_open_orders",)
    traded_symbols: frozenset[str] = frozenset()


class Journal:
    """Every port in one fake that records the calls made to it, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.trading: frozenset[str] = frozenset()  # what each decision would trade
        self.kill: str | None = None
        self.recon_failures = 0
        self.market_error: Exception | None = None
        self.open_error: Exception | None = None
        self.records: list[CycleCommit[FakeDecision]] = []
        self.open_orders = 0

    # market
    def snapshots(self, symbols: Sequence[str]) -> Mapping[str, MarketSnapshot]:
        """No snapshots; records the call (or fails like an unreachable exchange)."""
        del symbols
        self.calls.append("market")
        if self.market_error is not None:
            raise self.market_error
        return {}

    def with_books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> Mapping[str, MarketSnapshot]:
        """Records which symbols got their order book."""
        self.calls.append(f"books:{','.join(sorted(symbols))}")
        return snapshots

    # decide
    def __call__(
        self, view: str, snapshots: Mapping[str, MarketSnapshot], now: datetime
    ) -> FakeDecision:
        """Approve one intent."""
        del snapshots, now
        self.calls.append(f"decide:{view}")
        return FakeDecision(approved_count=1, traded_symbols=self.trading)

    # execution
    def execute(self, cycle_id: str, decision: FakeDecision) -> ExecutionReport:
        """Pretend every approved intent was submitted."""
        del cycle_id
        self.calls.append("execute")
        self.open_orders += decision.approved_count
        return ExecutionReport(submitted=(("BTCTRY", "buy"),) * decision.approved_count)

    def cancel_all(self, cycle_id: str, reason: str) -> ExecutionReport:
        """Pretend every open order was cancelled."""
        del cycle_id, reason
        self.calls.append("cancel_all")
        canceled, self.open_orders = self.open_orders, 0
        return ExecutionReport(canceled=("kill file",) * canceled)

    # reconciler
    def reconcile(self, cycle_id: str) -> ReconcileReport:
        """Fail ``recon_failures`` times, then report the open orders."""
        del cycle_id
        self.calls.append("reconcile")
        if self.recon_failures:
            self.recon_failures -= 1
            raise ExchangeUnavailableError("503", endpoint="GET /api/v1/openOrders")
        return ReconcileReport(open_orders=self.open_orders)

    def settle(self, cycle_id: str) -> ReconcileReport:
        """A clean stop's final pass: the same as a cycle's here."""
        return self.reconcile(cycle_id)

    def startup(self, cycle_id: str) -> StartupCheck:
        """The startup pass: a refusal with its reason while ``recon_failures`` last."""
        self.calls.append("startup_reconcile")
        try:
            return StartupCheck(report=self.reconcile(cycle_id))
        except ExchangeUnavailableError as exc:
            return StartupCheck(refused=f"startup reconciliation failed, trading refused: {exc}")

    # book
    def view(self) -> str:
        """The booked state (a label)."""
        return "state"

    def ensure_open(self) -> None:
        """Open the books (or fail reading the exchange while ``open_error`` is set)."""
        self.calls.append("open_books")
        if self.open_error is not None:
            raise self.open_error

    def close_cycle(self, record: CycleCommit[FakeDecision]) -> BookFigures:
        """Keep the record: this is the cycle's one commit."""
        self.calls.append("commit")
        self.records.append(record)
        zero = Decimal(0)
        return BookFigures(zero, zero, Decimal(1000), zero, zero)

    # kill probe
    def probe(self) -> str | None:
        """The kill file's reason."""
        return self.kill


def _cycle(journal: Journal) -> LiveCycle[str, FakeDecision]:
    parts: CycleParts[str, FakeDecision] = CycleParts(
        clock=ManualClock(START),
        symbols=("BTCTRY",),
        market=journal,
        decide=journal,
        execution=journal,
        reconciler=journal,
        book=journal,
        kill_probe=journal.probe,
    )
    return LiveCycle(parts, tag=run_tag(START))


def test_a_cycle_runs_its_steps_in_order_and_commits_once() -> None:
    """After startup: reconcile, market, decide on the current books, execute, book."""
    journal = Journal()
    cycle = _cycle(journal)
    assert cycle.startup()
    assert journal.calls == ["startup_reconcile", "reconcile", "open_books"]
    journal.calls.clear()
    outcome = cycle(1)
    assert journal.calls == ["reconcile", "market", "decide:state", "execute", "commit"]
    assert outcome.cycle_id == "260102030405678c1"
    assert outcome.execution.submitted == (("BTCTRY", "buy"),)
    assert outcome.risk_rejections == ("max_open_orders",)
    assert outcome.figures is not None
    assert journal.records[0].cycle_id == outcome.cycle_id


def test_a_decision_to_trade_is_made_again_on_the_symbols_order_book() -> None:
    """The first decision runs on the tickers; the one executed was decided on the book."""
    journal = Journal()
    journal.trading = frozenset({"BTCTRY"})
    cycle = _cycle(journal)
    assert cycle.startup()
    journal.calls.clear()
    cycle(1)
    assert journal.calls == [
        "reconcile",
        "market",
        "decide:state",
        "books:BTCTRY",
        "decide:state",
        "execute",
        "commit",
    ]


def test_no_decision_before_startup_reconciliation_succeeds() -> None:
    """While startup reconciliation fails the cycle only observes; it trades once it succeeds."""
    journal = Journal()
    journal.recon_failures = 2
    cycle = _cycle(journal)
    assert not cycle.startup()
    journal.calls.clear()
    cycle(1)
    assert "execute" not in journal.calls
    reason = journal.records[-1].observe_only_reason
    assert reason is not None
    assert reason.startswith("startup reconciliation failed, trading refused: ")
    assert "openOrders" in reason
    journal.calls.clear()
    cycle(2)
    assert "execute" in journal.calls
    assert journal.records[-1].observe_only_reason is None


def test_kill_file_cancels_open_orders_and_blocks_new_ones() -> None:
    """A kill file seen at cycle start cancels every open order and no intent is executed."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    cycle(1)
    assert journal.open_orders == 1
    journal.kill = "operator said so"
    journal.calls.clear()
    cycle(2)
    assert journal.calls[0] == "cancel_all"
    assert "execute" not in journal.calls
    assert journal.open_orders == 0
    assert journal.records[-1].kill_reason == "operator said so"
    journal.calls.clear()
    cycle(3)
    assert "cancel_all" not in journal.calls
    assert "execute" not in journal.calls


def test_nothing_is_decided_or_sent_when_reconciliation_fails() -> None:
    """The exchange's books cannot be read: the cycle fails before any decision or order."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    journal.calls.clear()
    journal.recon_failures = 1
    outcome = cycle(3)
    assert outcome.error is not None
    assert "decide:state" not in journal.calls
    assert "execute" not in journal.calls


def test_an_exchange_failure_fails_the_cycle_without_a_commit() -> None:
    """Unreachable market data fails this cycle with its own id and books nothing."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    journal.market_error = ExchangeUnavailableError("timeout", endpoint="GET /api/v2/ticker")
    outcome = cycle(7)
    assert outcome.error is not None
    assert outcome.cycle_id.endswith("c7")
    assert journal.records == []


def test_trading_resumes_once_the_kill_file_is_gone() -> None:
    """After ``btcbot arm`` removes the kill file, the next cycle decides and executes again."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    journal.kill = "paused"
    cycle(1)
    assert "execute" not in journal.calls
    journal.kill = None
    journal.calls.clear()
    cycle(2)
    assert "execute" in journal.calls
    assert journal.records[-1].kill_reason is None


def test_books_that_cannot_be_opened_keep_the_cycle_observing() -> None:
    """An exchange failure while opening the books is a refusal with its reason, then a retry."""
    journal = Journal()
    journal.open_error = ExchangeUnavailableError("503", endpoint="GET /api/v1/users/balances")
    cycle = _cycle(journal)
    assert not cycle.startup()
    cycle(1)
    reason = journal.records[-1].observe_only_reason
    assert reason is not None
    assert reason.startswith("the books cannot be opened")
    journal.open_error = None
    cycle(2)
    assert journal.records[-1].observe_only_reason is None


def test_a_clean_stop_reconciles_and_books_once_more_without_deciding() -> None:
    """Reconciliation runs first, so settle() books what the last cycle's orders did."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    cycle(1)
    journal.calls.clear()
    cycle.settle(2)
    assert journal.calls == ["reconcile", "market", "commit"]
    assert journal.records[-1].decision is None
    assert journal.records[-1].observe_only_reason == "final reconciliation before stopping"
