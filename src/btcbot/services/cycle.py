"""One LIVE cycle: reconcile, book, decide, execute, persist, observe — nothing sent on stale books.

Order of a cycle (ARCHITECTURE.md, "One LIVE cycle" and "The account is the truth"):

1. A cycle id (``<run tag>c<n>``) is bound to every log line; the kill file is read. If a kill
   file appeared, every open order is cancelled and no new order is placed this cycle (or any
   later one until ``btcbot arm`` removes it).
2. Until startup reconciliation has succeeded the cycle only observes: it refreshes market data
   and retries the reconciliation, but decides nothing and sends nothing. Startup
   reconciliation is the reconciler's own startup pass (a 7-day window, so orders and fills
   from a long downtime are found); the refusal's one-line reason is the observe-only reason.
3. **Reconcile** first: the exchange's order states, new fills and unknown orders, stored (a
   trade row that fails validation is quarantined and halts trading instead). If the exchange
   cannot be read, the cycle fails here, before anything is decided or sent.
4. **Book**: the view decisions are made on is the ledger with every stored, unbooked fill
   applied (in memory; a fill the ledger refuses is quarantined the same way).
   While the exchange's clock is untrusted (``btcbot.exchange.clock``: not measured, or
   known less well than CLOCK_UNCERTAINTY_LIMIT_SECONDS) the cycle observes only, like step 2.
5. Market snapshots for every symbol (one ticker request for all); the pure decision core
   (strategy, then risk) turns them and the current books into signals, approved intents and
   rejections. Each symbol an intent would trade then gets its order book, checked, and the
   decision runs again on it (``btcbot.decision.depth``; the backtest decides the same way).
6. **Execute** (armed or dry run only): it commits each intent with its client order id
   *before* its POST, so a crash can never lose an accepted order.
7. **Persist**: the cycle record, signals, risk decisions and the ledger with those fills marked
   booked, in ONE commit; then the observer writes metrics and the status file.

Cycle ids are ``<run tag>c<n>`` (plain alphanumerics, so client order ids embed them
verbatim). The run tag is the process start time from the injected clock, so cycle ids - and
the client order ids derived from them - never repeat across restarts, and repeat exactly
across two identical demo runs (which start their ManualClock at the same instant).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from btcbot.adapters.clock import Clock
from btcbot.decision import Decision, LedgerView
from btcbot.decision.depth import decide_with_books
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.errors import ExchangeError
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Balance, Fill
from btcbot.domain.trading import ApprovedOrderIntent
from btcbot.execution.report import ExecutionReport
from btcbot.market_data.service import MarketDataResult
from btcbot.observability.logging import bound_context, get_logger
from btcbot.risk.kill_switch import KillSwitchProbe
from btcbot.services.reconciliation import (
    STARTUP_LOOKBACK,
    ReconciliationReport,
    StartupVerdict,
)

_log = get_logger(__name__)

# --- What each step hands on --------------------------------------------------------------
# reconcile: ``ReconciliationReport`` (+ the account's balances); decide: ``Decision``;
# execute: ``ExecutionReport``; persist: ``BookFigures``; observe: ``CycleOutcome``.


@dataclass(frozen=True, slots=True)
class CycleCommit:
    """Everything the book persists for one cycle in its one commit."""

    cycle_id: str
    number: int
    started_at: datetime
    finished_at: datetime
    observe_only_reason: str | None
    kill_reason: str | None
    snapshots: Mapping[str, MarketSnapshot]
    decision: Decision | None
    execution: ExecutionReport
    reconcile: ReconciliationReport
    # The account's balances, read after every order, trade and transfer of the pass: what
    # the book compares itself with (None when they were not read this cycle).
    balances: tuple[Balance, ...] | None = None


@dataclass(frozen=True, slots=True)
class BookFigures:
    """The ledger valued at this cycle's marks, in the quote currency (TRY)."""

    realized_pnl: Decimal
    unrealized_pnl: Decimal
    equity: Decimal
    drawdown_pct: Decimal
    daily_pnl: Decimal
    exposure: Mapping[str, Decimal] = field(default_factory=dict)
    # What the commit left standing: the trading state and the foreign orders still resting.
    trading_state: TradingStateChange | None = None
    foreign_orders: int = 0


@dataclass(frozen=True, slots=True)
class CycleOutcome:
    """What one cycle did, for the loop's reporter; ``error`` is set when the cycle failed."""

    cycle_id: str
    number: int
    error: str | None = None
    error_kind: str | None = None
    observe_only: str | None = None
    kill_reason: str | None = None
    risk_rejections: tuple[str, ...] = ()
    execution: ExecutionReport = field(default_factory=ExecutionReport)
    fills: tuple[Fill, ...] = ()
    open_orders: int = 0
    figures: BookFigures | None = None
    # One line per strategy that failed this cycle (``StrategyFault.line``): the status file
    # carries the first, so the MONITOR warns while a strategy keeps a symbol observing.
    strategy_faults: tuple[str, ...] = ()


# --- The parts a cycle drives (the real ones are built by ``btcbot.wiring.live_cycle``; the
# --- Protocols exist for the tests' fakes) ---------------------------------------------------


class Reconciler(Protocol):
    """``ReconciliationService``: brings the DB in line with the exchange."""

    def reconcile(self, cycle_id: str, symbols: Collection[str]) -> ReconciliationReport:
        """One pass; raise ``ExchangeError`` when the exchange cannot be read."""
        ...

    def startup(self, cycle_id: str, symbols: Collection[str]) -> StartupVerdict:
        """The startup pass (a longer window than a cycle's); a failure is a refusal."""
        ...


class AccountReader(Protocol):
    """``AccountWatch``: the account's transfers stored, then its balances read."""

    def due(self) -> bool:
        """Whether a routine comparison is due."""
        ...

    def collect(self, cycle_id: str, *, lookback: timedelta | None = None) -> tuple[Balance, ...]:
        """Store the window's new movements; the balances read after them."""
        ...


class Books(Protocol):
    """``Bookkeeper``: the last booked state, and the one commit per cycle."""

    def ensure_open(self) -> None:
        """Open the books (after the first successful startup reconciliation)."""
        ...

    def view(self) -> LedgerView:
        """The state decisions are made on (ledger with this cycle's fills, open orders...)."""
        ...

    def close_cycle(self, record: CycleCommit) -> BookFigures:
        """Apply the record's fills to the ledger, persist everything in one commit, value it."""
        ...


class Market(Protocol):
    """``MarketDataService``: snapshots of every symbol, order books on request."""

    def snapshots(self, symbols: Sequence[str]) -> MarketDataResult:
        """One snapshot (or a gap) per symbol, taken now (the ticker's top of book)."""
        ...

    def with_books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> Mapping[str, MarketSnapshot]:
        """``snapshots`` with the order books of ``symbols`` fetched and checked."""
        ...


class Execution(Protocol):
    """``ExecutionService``: the only code that submits or cancels (re-checks the policy)."""

    def cancel_stale(self, cycle_id: str) -> ExecutionReport:
        """Cancel the bot's orders older than their TTL."""
        ...

    def execute(self, cycle_id: str, intents: Sequence[ApprovedOrderIntent]) -> ExecutionReport:
        """Submit the approved intents, in order."""
        ...

    def cancel_all_open(self, cycle_id: str, why: str) -> ExecutionReport:
        """Cancel every live order (kill file)."""
        ...


Decide = Callable[[LedgerView, Mapping[str, MarketSnapshot], datetime], Decision]
"""The pure decision core (``btcbot.decision.decide_on`` with the process's core)."""


@dataclass
class CycleParts:
    """What one cycle drives; built by ``btcbot.wiring.live_cycle.build_cycle``."""

    clock: Clock
    symbols: tuple[str, ...]
    reconciler: Reconciler
    account: AccountReader | None
    book: Books
    market: Market
    decide: Decide
    execution: Execution
    kill_probe: KillSwitchProbe
    on_kill_seen: Callable[[], None] | None = None
    # Why the exchange's clock is not known well enough to decide on (``btcbot.exchange.clock``
    # measures it when due); ``None`` when it is.
    clock_check: Callable[[], str | None] = lambda: None


def run_tag(start: datetime) -> str:
    """A compact, sortable tag of the process start (ms precision) for cycle ids."""
    return start.strftime("%y%m%d%H%M%S") + f"{start.microsecond // 1000:03d}"


@dataclass(frozen=True, slots=True)
class _Reconciled:
    """The reconcile step's result: the pass's report and, when read, the account's balances."""

    report: ReconciliationReport
    balances: tuple[Balance, ...] | None = None


class LiveCycle:
    """Callable once per cycle number; remembers whether startup reconciliation succeeded."""

    def __init__(self, parts: CycleParts, *, tag: str) -> None:
        self._p = parts
        self._tag = tag
        self._reconciled = False
        self._refused = "startup reconciliation has not run"
        self._killed_seen: str | None = None
        self.last_open_orders = 0
        self.last_kill_reason: str | None = None

    # --- start-up ---------------------------------------------------------------------------

    def startup(self) -> bool:
        """Startup reconciliation before the first decision; False (observe only) if refused."""
        cycle_id = f"{self._tag}c0"
        with bound_context(cycle_id=cycle_id):
            self._p.clock_check()  # the startup window is on the exchange's clock too
            refused = self._startup(cycle_id)
            if refused is not None:
                self._refused = refused
                _log.error(
                    "startup_reconciliation_refused",
                    reason=refused,
                    consequence="no order is placed until reconciliation succeeds",
                )
                return False
            return True

    def _startup(self, cycle_id: str) -> str | None:
        """The startup pass, the account's movements of its window, the books opened."""
        p = self._p
        verdict = p.reconciler.startup(cycle_id, p.symbols)
        report = verdict.report
        if not verdict.trading_allowed or report is None:
            return verdict.reason or "startup reconciliation refused"
        try:
            if p.account is not None:
                p.account.collect(cycle_id, lookback=STARTUP_LOOKBACK)
        except ExchangeError as exc:
            return f"startup reconciliation failed, trading refused: {exc}"
        try:
            # Opening the books may read the exchange (balances to seed, pairs to register).
            p.book.ensure_open()
        except ExchangeError as exc:
            _log.error("books_not_opened", error=f"{type(exc).__name__}: {exc}")
            return f"the books cannot be opened: {type(exc).__name__}: {exc}"
        self._reconciled = True
        self.last_open_orders = report.open_orders
        _log.info(
            "startup_reconciliation_done",
            open_orders=report.open_orders,
            unresolved=len(report.unresolved_symbols),
            adopted=len(report.adopted),
            fills=len(report.new_fills),
        )
        return None

    # --- one cycle, top to bottom -------------------------------------------------------------

    def __call__(self, number: int) -> CycleOutcome:
        """Run cycle ``number`` (see the module docstring for the order of steps)."""
        cycle_id = f"{self._tag}c{number}"
        with bound_context(cycle_id=cycle_id):
            try:
                return self._run(cycle_id, number)
            except ExchangeError as exc:
                # Nothing of this cycle is booked (the unit of work never committed); intents
                # already committed before their POST are found again by the next reconciliation.
                _log.warning("cycle_failed", error_type=type(exc).__name__, error=str(exc))
                return CycleOutcome(
                    cycle_id=cycle_id,
                    number=number,
                    error=f"{type(exc).__name__}: {exc}",
                    error_kind=type(exc).__name__,
                    kill_reason=self.last_kill_reason,
                    open_orders=self.last_open_orders,
                )

    def _run(self, cycle_id: str, number: int) -> CycleOutcome:
        p = self._p
        untrusted_clock = p.clock_check()  # measured first: every time below is the exchange's
        started = p.clock.now()
        kill_reason = p.kill_probe()
        self.last_kill_reason = kill_reason
        execution = self._on_kill(cycle_id, kill_reason)
        observe_only = self._observe_only_reason(kill_reason, untrusted_clock)
        # 1. Reconcile before anything is decided: a failure here fails the cycle, nothing sent.
        reconciled = self._reconcile(cycle_id) if self._reconciled else None
        report = reconciled.report if reconciled is not None else ReconciliationReport()
        self.last_open_orders = report.open_orders
        snapshots = self._snapshots()
        decision: Decision | None = None
        if observe_only is None:
            # 2. Book: the view holds every fill reconciled so far. 3. Decide on it.
            view = p.book.view()
            decision, snapshots = decide_with_books(
                lambda snaps: p.decide(view, snaps, started), snapshots, self._with_books
            )
            _log_faults(decision)
            # 4. Execute: orders past their TTL cancelled, then the approved intents sent.
            stale = p.execution.cancel_stale(cycle_id)
            sent = p.execution.execute(cycle_id, decision.approved)
            execution = execution.merged(stale).merged(sent)
        # 5. Persist: the cycle, its decisions and its fills booked, in one commit.
        figures = p.book.close_cycle(
            CycleCommit(
                cycle_id=cycle_id,
                number=number,
                started_at=started,
                finished_at=p.clock.now(),
                observe_only_reason=observe_only,
                kill_reason=kill_reason,
                snapshots=snapshots,
                decision=decision,
                execution=execution,
                reconcile=report,
                balances=reconciled.balances if reconciled is not None else None,
            )
        )
        _log.info(
            "cycle_done",
            observe_only=observe_only,
            approved=decision.approved_count if decision is not None else 0,
            submitted=execution.submitted,
            canceled=execution.cancel_requested,
            fills=len(report.new_fills),
            open_orders=report.open_orders,
            equity=str(figures.equity),
        )
        # 6. Observe: the loop hands this to the reporter (metrics, status file).
        return CycleOutcome(
            cycle_id=cycle_id,
            number=number,
            observe_only=observe_only,
            kill_reason=kill_reason,
            risk_rejections=decision.rejection_reasons if decision is not None else (),
            execution=execution,
            fills=report.new_fills,
            open_orders=report.open_orders,
            figures=figures,
            strategy_faults=tuple(f.line() for f in decision.faults) if decision else (),
        )

    def settle(self, number: int) -> None:
        """After the last cycle of a clean stop: reconcile and book once more, deciding nothing.

        Reconciliation runs first in a cycle, so what the last cycle's orders did is otherwise
        only seen at the next start; a clean stop leaves the books current instead.
        """
        if not self._reconciled:
            return
        cycle_id = f"{self._tag}c{number}"
        with bound_context(cycle_id=cycle_id):
            started = self._p.clock.now()
            try:
                reconciled = self._reconcile(cycle_id, compare=True)
                snapshots = self._snapshots()
            except ExchangeError as exc:
                # Nothing lost: the next start's reconciliation finds the same orders and fills.
                _log.warning("final_reconciliation_failed", error=str(exc))
                return
            self.last_open_orders = reconciled.report.open_orders
            self._p.book.close_cycle(
                CycleCommit(
                    cycle_id=cycle_id,
                    number=number,
                    started_at=started,
                    finished_at=self._p.clock.now(),
                    observe_only_reason="final reconciliation before stopping",
                    kill_reason=self.last_kill_reason,
                    snapshots=snapshots,
                    decision=None,
                    execution=ExecutionReport(),
                    reconcile=reconciled.report,
                    balances=reconciled.balances,
                )
            )
            _log.info("final_reconciliation_done", fills=len(reconciled.report.new_fills))

    # --- the steps' details -------------------------------------------------------------------

    def _reconcile(self, cycle_id: str, *, compare: bool = False) -> _Reconciled:
        """One pass; then the account's movements and balances when due (always on ``compare``).

        Raises ``ExchangeError`` when the exchange cannot be read.
        """
        p = self._p
        report = p.reconciler.reconcile(cycle_id, p.symbols)
        account = p.account
        if account is None or not (compare or account.due()):
            return _Reconciled(report)
        return _Reconciled(report, account.collect(cycle_id))

    def _snapshots(self) -> Mapping[str, MarketSnapshot]:
        """Every snapshot that arrived, usable or not (the strategy skips unusable ones)."""
        result = self._p.market.snapshots(self._p.symbols)
        for symbol, reason in sorted(result.problems().items()):
            _log.warning("market_data_unusable", symbol=symbol, reason=reason)
        return result.snapshots

    def _with_books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> Mapping[str, MarketSnapshot]:
        """The order books of the symbols about to trade; a bad one is logged, observe-only."""
        out = self._p.market.with_books(snapshots, symbols)
        for symbol in sorted(symbols):
            before, after = snapshots.get(symbol), out.get(symbol)
            if after is None or after.unusable_reason is None:
                continue
            if before is None or before.unusable_reason is None:
                _log.warning("market_data_unusable", symbol=symbol, reason=after.unusable_reason)
        return out

    def _on_kill(self, cycle_id: str, kill_reason: str | None) -> ExecutionReport:
        """Cancel every open order when a kill file appears, and again while orders remain."""
        if kill_reason is None:
            self._killed_seen = None
            return ExecutionReport()
        first = self._killed_seen != kill_reason
        self._killed_seen = kill_reason
        if first:
            _log.warning("kill_file_seen", reason=kill_reason, action="cancel all open orders")
            if self._p.on_kill_seen is not None:
                self._p.on_kill_seen()
        elif self.last_open_orders == 0:
            return ExecutionReport()
        return self._p.execution.cancel_all_open(cycle_id, f"kill file: {kill_reason}")

    def _observe_only_reason(self, kill_reason: str | None, untrusted: str | None) -> str | None:
        if kill_reason is not None:
            return f"kill file: {kill_reason}"
        if not self._reconciled and not self.startup():
            return self._refused
        if untrusted is not None:
            # A forming candle taken for a closed one, or a stamp the exchange refuses: decide
            # nothing until the offset is known again (cancels already sent still stand).
            _log.warning("clock_untrusted", reason=untrusted, consequence="no new order")
            return untrusted
        return None


def _log_faults(decision: Decision) -> None:
    """A failing strategy is logged by name; its symbol observes only this cycle."""
    for fault in decision.faults:
        _log.warning(
            "strategy_failed",
            strategy=fault.strategy,
            symbol=fault.symbol,
            problem=fault.problem,
            consequence="no signal for this symbol this cycle (observe only)",
        )
