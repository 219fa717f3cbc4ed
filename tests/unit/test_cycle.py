"""One LIVE cycle's orchestration over fakes: order of steps, kill file, startup reconciliation."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from cycle_fakes import decision, empty_view, market_data, submitted

from btcbot.adapters.clock import ManualClock
from btcbot.decision import Decision, LedgerView
from btcbot.domain.enums import Side
from btcbot.domain.errors import ExchangeUnavailableError
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Balance, Fill
from btcbot.domain.trading import ApprovedOrderIntent, RejectReason
from btcbot.execution.report import CancelOutcome, CancelResult, ExecutionReport
from btcbot.market_data.service import MarketDataResult
from btcbot.services.cycle import BookFigures, CycleCommit, CycleParts, LiveCycle, run_tag
from btcbot.services.reconciliation import ReconciliationReport, StartupVerdict
from btcbot.strategy.engine import StrategyFault

START = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


class Journal:
    """Every part in one fake that records the calls made to it, in order."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.trading: tuple[str, ...] = ("BTCTRY",)  # each decision buys in these
        self.kill: str | None = None
        self.recon_failures = 0
        self.market_error: Exception | None = None
        self.open_error: Exception | None = None
        self.records: list[CycleCommit] = []
        self.open_orders = 0
        self.view_seen: LedgerView | None = None
        self.booked = empty_view()
        self.balances: tuple[Balance, ...] = ()
        self.ids: list[str] = []  # the cycle id each reconciliation and account read ran under
        self.stale: tuple[CancelOutcome, ...] = ()  # orders past their TTL
        self.sent_under: list[str] = []  # the cycle id of each cancel or submit call
        self.verdict: StartupVerdict | None = None  # the startup pass's answer, when forced
        self.kills_seen = 0
        self.new_fills: tuple[Fill, ...] = ()  # what reconciliation finds
        self.faults: tuple[StrategyFault, ...] = ()  # strategies failing in each decision

    # market
    def snapshots(self, symbols: Sequence[str]) -> MarketDataResult:
        """No snapshots; records the call (or fails like an unreachable exchange)."""
        del symbols
        self.calls.append("market")
        if self.market_error is not None:
            raise self.market_error
        return market_data()

    def with_books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> Mapping[str, MarketSnapshot]:
        """Records which symbols got their order book."""
        self.calls.append(f"books:{','.join(sorted(symbols))}")
        return snapshots

    # decide
    def __call__(
        self, view: LedgerView, snapshots: Mapping[str, MarketSnapshot], now: datetime
    ) -> Decision:
        """Approve one buy in each symbol of ``trading``; refuse one signal."""
        del snapshots, now
        self.calls.append("decide")
        self.view_seen = view
        made = decision(self.trading, rejected=(RejectReason.MAX_OPEN_ORDERS,))
        return replace(made, faults=self.faults)

    # execution
    def cancel_stale(self, cycle_id: str) -> ExecutionReport:
        """Cancel the orders of ``stale``."""
        self.calls.append("cancel_stale")
        self.sent_under.append(cycle_id)
        return ExecutionReport(cancels=self.stale)

    def execute(self, cycle_id: str, intents: Sequence[ApprovedOrderIntent]) -> ExecutionReport:
        """Pretend every approved intent was submitted."""
        self.calls.append("execute")
        self.sent_under.append(cycle_id)
        self.open_orders += len(intents)
        return submitted(*(i.symbol for i in intents))

    def cancel_all_open(self, cycle_id: str, why: str) -> ExecutionReport:
        """Pretend every open order was cancelled."""
        self.calls.append("cancel_all")
        self.sent_under.append(cycle_id)
        canceled, self.open_orders = self.open_orders, 0
        outcome = CancelOutcome("bb-fake", "BTCTRY", CancelResult.REQUESTED, why)
        return ExecutionReport(cancels=(outcome,) * canceled)

    # reconciler
    def reconcile(self, cycle_id: str, symbols: Collection[str]) -> ReconciliationReport:
        """Fail ``recon_failures`` times, then report the open orders."""
        del symbols
        self.calls.append("reconcile")
        self.ids.append(cycle_id)
        if self.recon_failures:
            self.recon_failures -= 1
            raise ExchangeUnavailableError("503", endpoint="GET /api/v1/openOrders")
        return ReconciliationReport(new_fills=self.new_fills, open_orders=self.open_orders)

    def startup(self, cycle_id: str, symbols: Collection[str]) -> StartupVerdict:
        """The startup pass: a refusal with its reason while ``recon_failures`` last."""
        self.calls.append("startup_reconcile")
        if self.verdict is not None:
            return self.verdict
        try:
            report = self.reconcile(cycle_id, symbols)
        except ExchangeUnavailableError as exc:
            why = f"startup reconciliation failed, trading refused: {exc}"
            return StartupVerdict(trading_allowed=False, reason=why, report=None)
        return StartupVerdict(trading_allowed=True, reason=None, report=report)

    # account
    def due(self) -> bool:
        """A routine comparison is due every other cycle (even record counts)."""
        return len(self.records) % 2 == 0

    def collect(self, cycle_id: str, *, lookback: timedelta | None = None) -> tuple[Balance, ...]:
        """The account's balances (``balances``)."""
        self.calls.append("account" if lookback is None else "account:startup")
        self.ids.append(cycle_id)
        return self.balances

    # book
    def view(self) -> LedgerView:
        """The booked state."""
        return self.booked

    def ensure_open(self) -> None:
        """Open the books (or fail reading the exchange while ``open_error`` is set)."""
        self.calls.append("open_books")
        if self.open_error is not None:
            raise self.open_error

    def close_cycle(self, record: CycleCommit) -> BookFigures:
        """Keep the record: this is the cycle's one commit."""
        self.calls.append("commit")
        self.records.append(record)
        zero = Decimal(0)
        return BookFigures(zero, zero, Decimal(1000), zero, zero)

    # kill probe
    def kill_seen(self) -> None:
        """What the wiring does on a new kill file: disarm (counted here)."""
        self.kills_seen += 1

    def probe(self) -> str | None:
        """The kill file's reason."""
        return self.kill


def _cycle(journal: Journal, clock_check: Callable[[], str | None] = lambda: None) -> LiveCycle:
    parts = CycleParts(
        clock=ManualClock(START),
        symbols=("BTCTRY",),
        reconciler=journal,
        account=journal,
        book=journal,
        market=journal,
        decide=journal,
        execution=journal,
        kill_probe=journal.probe,
        on_kill_seen=journal.kill_seen,
        clock_check=clock_check,
    )
    return LiveCycle(parts, tag=run_tag(START))


def test_a_cycle_runs_its_steps_in_order_and_commits_once() -> None:
    """After startup: reconcile, the account, market, decide on the books, execute, commit."""
    journal = Journal()
    cycle = _cycle(journal)
    assert cycle.startup()
    assert journal.calls == ["startup_reconcile", "reconcile", "account:startup", "open_books"]
    journal.calls.clear()
    outcome = cycle(1)
    assert journal.calls == [
        "reconcile",
        "account",
        "market",
        "decide",
        "books:BTCTRY",  # the decision to trade is made again on the symbol's order book
        "decide",
        "cancel_stale",
        "execute",
        "commit",
    ]
    assert journal.view_seen is journal.booked
    assert outcome.cycle_id == "260102030405678c1"
    assert [(s.symbol, s.side.value) for s in outcome.execution.submits] == [("BTCTRY", "buy")]
    assert outcome.risk_rejections == ("max_open_orders",)
    assert outcome.figures is not None
    assert journal.records[0].cycle_id == outcome.cycle_id
    assert journal.records[0].execution == outcome.execution


def test_a_decision_that_approves_nothing_fetches_no_order_book() -> None:
    """Order books are fetched only for the symbols an approved intent would trade."""
    journal = Journal()
    journal.trading = ()
    cycle = _cycle(journal)
    assert cycle.startup()
    journal.calls.clear()
    cycle(1)
    assert journal.calls == [
        "reconcile",
        "account",
        "market",
        "decide",
        "cancel_stale",
        "execute",
        "commit",
    ]


def test_the_balances_reach_the_commit_only_when_the_account_was_read() -> None:
    """The books compare themselves with the account when it is due, and not otherwise."""
    journal = Journal()
    cycle = _cycle(journal)
    assert cycle.startup()
    cycle(1)
    cycle(2)
    assert [r.balances for r in journal.records] == [(), None]
    assert journal.calls.count("account") == 1


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
    assert "decide" not in journal.calls
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
    assert journal.calls == ["reconcile", "account", "market", "commit"]
    assert journal.records[-1].decision is None
    assert journal.records[-1].observe_only_reason == "final reconciliation before stopping"


def test_each_read_of_the_exchange_runs_under_its_cycles_id() -> None:
    """Rows stored by reconciliation and the account watch carry the cycle that read them."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    cycle(1)
    tag = run_tag(START)
    assert journal.ids == [f"{tag}c0", f"{tag}c0", f"{tag}c1", f"{tag}c1"]


def test_a_cycles_report_keeps_the_stale_cancels_beside_its_submits() -> None:
    """Orders cancelled for their age are in the outcome (metrics, status) with the new ones."""
    journal = Journal()
    journal.stale = (CancelOutcome("bb-old", "BTCTRY", CancelResult.REQUESTED, "ttl"),)
    cycle = _cycle(journal)
    cycle.startup()
    outcome = cycle(1)
    assert outcome.execution.cancels == journal.stale
    assert outcome.execution.cancel_requested == 1
    assert outcome.execution.submitted == 1
    assert journal.records[-1].execution == outcome.execution


def test_a_clean_stop_commits_what_its_final_pass_read() -> None:
    """The final pass's report, the account's balances and the standing kill file are booked."""
    journal = Journal()
    journal.balances = (Balance("TRY", Decimal(1000), Decimal(1000), Decimal(0)),)
    cycle = _cycle(journal)
    cycle.startup()
    journal.kill = "operator"
    cycle(1)
    journal.open_orders = 2  # cancels BtcTurk has not finished yet
    journal.ids.clear()
    cycle.settle(2)
    record = journal.records[-1]
    assert journal.ids == [f"{run_tag(START)}c2"] * 2
    assert record.cycle_id == f"{run_tag(START)}c2"
    assert record.reconcile == ReconciliationReport(open_orders=2)
    assert record.balances == journal.balances
    assert record.kill_reason == "operator"
    assert cycle.last_open_orders == 2


def test_a_clean_stop_that_cannot_read_the_exchange_books_nothing() -> None:
    """The next start's reconciliation finds the same orders and fills: nothing is lost."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    cycle(1)
    journal.recon_failures = 1
    cycle.settle(2)
    assert len(journal.records) == 1


def test_a_process_that_never_reconciled_does_not_settle() -> None:
    """Without a successful startup there are no books to bring up to date."""
    journal = Journal()
    journal.recon_failures = 5
    cycle = _cycle(journal)
    assert not cycle.startup()
    journal.calls.clear()
    cycle.settle(1)
    assert journal.calls == []


def test_every_order_call_carries_its_cycles_id() -> None:
    """Client order ids and cancel records are derived from the cycle id execution is given."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    cycle(1)
    journal.kill = "operator"
    cycle(2)
    tag = run_tag(START)
    assert journal.sent_under == [f"{tag}c1", f"{tag}c1", f"{tag}c2"]


def test_a_cycle_commits_and_reports_what_reconciliation_found() -> None:
    """The report, the decision and the open orders reach the commit and the loop's reporter."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    journal.open_orders = 3
    outcome = cycle(1)
    record = journal.records[-1]
    assert record.reconcile == ReconciliationReport(open_orders=3)
    assert outcome.open_orders == 3
    assert cycle.last_open_orders == 3
    assert record.decision is not None
    assert record.decision.approved_count == 1
    assert outcome.risk_rejections == ("max_open_orders",)


def test_a_failed_cycle_reports_its_number_kind_and_the_standing_state() -> None:
    """The status file and the metrics still show the kill file and the open orders."""
    journal = Journal()
    cycle = _cycle(journal)
    cycle.startup()
    cycle(1)
    journal.kill = "operator"
    journal.recon_failures = 1
    outcome = cycle(2)
    assert (outcome.cycle_id, outcome.number) == (f"{run_tag(START)}c2", 2)
    assert outcome.error == "ExchangeUnavailableError: GET /api/v1/openOrders: 503"
    assert outcome.error_kind == "ExchangeUnavailableError"
    assert (outcome.kill_reason, outcome.open_orders) == ("operator", 0)
    journal.kill = None
    journal.open_orders = 4
    cycle(3)
    journal.recon_failures = 1
    failed = cycle(4)
    assert (failed.kill_reason, failed.open_orders) == (None, 4)


def test_while_startup_reconciliation_fails_a_cycle_observes_instead_of_failing() -> None:
    """The exchange is not read a second time: the cycle is journaled with the refusal."""
    journal = Journal()
    journal.recon_failures = 5
    cycle = _cycle(journal)
    assert not cycle.startup()
    journal.calls.clear()
    outcome = cycle(1)
    assert outcome.error is None
    assert outcome.observe_only is not None
    assert journal.calls.count("reconcile") == 1  # the startup pass's retry, nothing more
    assert journal.calls[-1] == "commit"


def test_a_refusing_startup_verdict_refuses_even_with_a_report() -> None:
    """Only ``trading_allowed`` lets the books open; a refusal without words still says why."""
    journal = Journal()
    cycle = _cycle(journal)
    report = ReconciliationReport(open_orders=1)
    journal.verdict = StartupVerdict(
        trading_allowed=False, reason="unresolved BTCTRY", report=report
    )
    assert not cycle.startup()
    assert "open_books" not in journal.calls
    cycle(1)
    assert journal.records[-1].observe_only_reason == "unresolved BTCTRY"
    journal.verdict = StartupVerdict(trading_allowed=False, reason=None, report=report)
    cycle(2)
    assert journal.records[-1].observe_only_reason == "startup reconciliation refused"
    assert "execute" not in journal.calls


def test_startup_counts_the_open_orders_it_found() -> None:
    """A kill file in the first cycle cancels them: the count comes from the startup pass."""
    journal = Journal()
    journal.open_orders = 2
    cycle = _cycle(journal)
    assert cycle.startup()
    assert cycle.last_open_orders == 2


def test_books_that_cannot_be_opened_say_which_error() -> None:
    """The observe-only reason the status file shows names the error and the call."""
    journal = Journal()
    journal.open_error = ExchangeUnavailableError("503", endpoint="GET /api/v1/users/balances")
    cycle = _cycle(journal)
    cycle(1)
    assert journal.records[-1].observe_only_reason == (
        "the books cannot be opened: ExchangeUnavailableError: GET /api/v1/users/balances: 503"
    )


def test_a_kill_file_without_a_reason_is_still_a_kill_file() -> None:
    """An empty reason (a hand-written file) disarms and cancels like any other, once."""
    journal = Journal()
    journal.open_orders = 1
    cycle = _cycle(journal)
    cycle.startup()
    journal.kill = ""  # there at the first cycle
    journal.calls.clear()
    cycle(1)
    assert journal.kills_seen == 1
    assert journal.calls[0] == "cancel_all"
    assert journal.records[-1].observe_only_reason == "kill file: "
    assert journal.records[-1].execution.cancels[0].why == "kill file: "
    cycle(2)
    assert journal.kills_seen == 1
    journal.kill = None  # 'btcbot arm' removed it; then the operator writes another
    cycle(3)
    journal.kill = ""
    cycle(4)
    assert journal.kills_seen == 2


def test_a_cycle_failing_before_it_reads_anything_reports_no_kill_file_and_no_orders() -> None:
    """The exchange's clock cannot be measured in the very first cycle: nothing is invented."""
    journal = Journal()
    outcome = _cycle(journal, clock_check=_unmeasurable)(1)
    assert outcome.error == "ExchangeUnavailableError: GET /api/v2/server/exchangeinfo: timeout"
    assert (outcome.kill_reason, outcome.open_orders) == (None, 0)


def _unmeasurable() -> str | None:
    raise ExchangeUnavailableError("timeout", endpoint="GET /api/v2/server/exchangeinfo")


def test_the_outcome_carries_the_fills_the_faults_and_the_kill_file() -> None:
    """What the status file and the metrics show: the number, fills, failing strategies."""
    journal = Journal()
    journal.new_fills = (
        Fill(
            9,
            1,
            "bb-fake-1",
            "BTCTRY",
            Side.BUY,
            Decimal(1000),
            Decimal("0.1"),
            Decimal(1),
            Decimal(0),
            "TRY",
            START,
        ),
    )
    journal.faults = (StrategyFault("trend", "BTCTRY", "ValueError: bad"),)
    cycle = _cycle(journal)
    cycle.startup()
    outcome = cycle(5)
    assert (outcome.number, outcome.fills) == (5, journal.new_fills)
    assert outcome.strategy_faults == ("strategy trend failed on BTCTRY: ValueError: bad",)
    assert outcome.kill_reason is None
    journal.kill = "operator"
    killed = cycle(6)
    assert (killed.kill_reason, killed.observe_only) == ("operator", "kill file: operator")
    assert killed.strategy_faults == ()  # nothing was decided
