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
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from btcbot.adapters.clock import Clock
from btcbot.decision.depth import decide_with_books
from btcbot.domain.errors import ExchangeError
from btcbot.domain.market import MarketSnapshot
from btcbot.observability.logging import bound_context, get_logger
from btcbot.risk.kill_switch import KillSwitchProbe
from btcbot.services.cycle_report import (
    BookFigures,
    CycleOutcome,
    ExecutionReport,
    ReconcileReport,
    StartupCheck,
)

_log = get_logger(__name__)

ViewT = TypeVar("ViewT")
DecisionT = TypeVar("DecisionT", bound="DecisionFacts")
_V_co = TypeVar("_V_co", covariant=True)
_V_contra = TypeVar("_V_contra", contravariant=True)
_D_co = TypeVar("_D_co", bound="DecisionFacts", covariant=True)
_D_contra = TypeVar("_D_contra", bound="DecisionFacts", contravariant=True)


class DecisionFacts(Protocol):
    """What the cycle itself needs to know about a decision (the rest is for execution/book)."""

    @property
    def approved_count(self) -> int:
        """How many intents risk approved."""
        ...

    @property
    def rejection_reasons(self) -> tuple[str, ...]:
        """One reason per intent risk rejected."""
        ...

    @property
    def traded_symbols(self) -> frozenset[str]:
        """The symbols an approved intent would send an order to (they get an order book)."""
        ...


@dataclass(frozen=True, slots=True)
class CycleCommit(Generic[_D_co]):
    """Everything the book persists for one cycle in its one commit."""

    cycle_id: str
    number: int
    started_at: datetime
    finished_at: datetime
    observe_only_reason: str | None
    kill_reason: str | None
    snapshots: Mapping[str, MarketSnapshot]
    decision: _D_co | None
    execution: ExecutionReport
    reconcile: ReconcileReport


class MarketPort(Protocol):
    """Market snapshots for a set of symbols (stale or broken ones marked observe-only)."""

    def snapshots(self, symbols: Sequence[str]) -> Mapping[str, MarketSnapshot]:
        """One snapshot per symbol, taken now (the ticker's top of book)."""
        ...

    def with_books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> Mapping[str, MarketSnapshot]:
        """``snapshots`` with the order books of ``symbols`` fetched and checked."""
        ...


class DecidePort(Protocol[_V_contra, _D_co]):
    """The pure decision core: strategy then risk, no I/O."""

    def __call__(
        self, view: _V_contra, snapshots: Mapping[str, MarketSnapshot], now: datetime
    ) -> _D_co:
        """Signals, approved intents and typed rejections for this instant."""
        ...


class ExecutionPort(Protocol[_D_contra]):
    """The only code that submits or cancels (re-checks the armed policy and the kill file)."""

    def execute(self, cycle_id: str, decision: _D_contra) -> ExecutionReport:
        """Send the approved intents (and cancel orders past their TTL)."""
        ...

    def cancel_all(self, cycle_id: str, reason: str) -> ExecutionReport:
        """Cancel every open order (disarm, kill file)."""
        ...


class ReconcilePort(Protocol):
    """Brings the DB in line with the exchange: order states, fills, unknown orders."""

    def reconcile(self, cycle_id: str) -> ReconcileReport:
        """Reconcile now; raise ``ExchangeError`` when the exchange cannot be read."""
        ...

    def settle(self, cycle_id: str) -> ReconcileReport:
        """The final pass of a clean stop (compares the books with the account too)."""
        ...

    def startup(self, cycle_id: str) -> StartupCheck:
        """The startup pass (a longer window than a cycle's); a failure is a refusal."""
        ...


class BookPort(Protocol[_V_co, _D_contra]):
    """The live DB as the cycle sees it: the last booked state, and the one commit per cycle."""

    def view(self) -> _V_co:
        """The state decisions are made on (positions, ledger, trading state, open orders)."""
        ...

    def ensure_open(self) -> None:
        """Open the books (after the first successful startup reconciliation)."""
        ...

    def close_cycle(self, record: CycleCommit[_D_contra]) -> BookFigures:
        """Apply the record's fills to the ledger, persist everything in one commit, value it."""
        ...


@dataclass
class CycleParts(Generic[ViewT, DecisionT]):
    """The ports one cycle drives; built by ``btcbot.wiring.build_live``."""

    clock: Clock
    symbols: tuple[str, ...]
    market: MarketPort
    decide: DecidePort[ViewT, DecisionT]
    execution: ExecutionPort[DecisionT]
    reconciler: ReconcilePort
    book: BookPort[ViewT, DecisionT]
    kill_probe: KillSwitchProbe
    on_kill_seen: Callable[[], None] | None = None
    # Why the exchange's clock is not known well enough to decide on (``btcbot.exchange.clock``
    # measures it when due); ``None`` when it is.
    clock_check: Callable[[], str | None] = lambda: None


def run_tag(start: datetime) -> str:
    """A compact, sortable tag of the process start (ms precision) for cycle ids."""
    return start.strftime("%y%m%d%H%M%S") + f"{start.microsecond // 1000:03d}"


class LiveCycle(Generic[ViewT, DecisionT]):
    """Callable once per cycle number; remembers whether startup reconciliation succeeded."""

    def __init__(self, parts: CycleParts[ViewT, DecisionT], *, tag: str) -> None:
        self._p = parts
        self._tag = tag
        self._reconciled = False
        self._refused = "startup reconciliation has not run"
        self._killed_seen: str | None = None
        self.last_open_orders = 0
        self.last_kill_reason: str | None = None

    def startup(self) -> bool:
        """Startup reconciliation before the first decision; False (observe only) if refused."""
        cycle_id = f"{self._tag}c0"
        with bound_context(cycle_id=cycle_id):
            self._p.clock_check()  # the startup window is on the exchange's clock too
            check = self._p.reconciler.startup(cycle_id)
            if check.report is None:
                self._refused = check.refused or "startup reconciliation has not succeeded"
                _log.error(
                    "startup_reconciliation_refused",
                    reason=self._refused,
                    consequence="no order is placed until reconciliation succeeds",
                )
                return False
            report = check.report
            try:
                # Opening the books may read the exchange (balances to seed, pairs to register).
                self._p.book.ensure_open()
            except ExchangeError as exc:
                self._refused = f"the books cannot be opened: {type(exc).__name__}: {exc}"
                _log.error("books_not_opened", reason=self._refused)
                return False
            self._reconciled = True
            self.last_open_orders = report.open_orders
            _log.info(
                "startup_reconciliation_done",
                open_orders=report.open_orders,
                unresolved=report.unresolved,
                adopted=report.adopted,
                fills=len(report.fills),
            )
            return True

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
        # Reconcile before anything is decided: a failure here fails the cycle with nothing sent.
        reconcile = p.reconciler.reconcile(cycle_id) if self._reconciled else ReconcileReport()
        self.last_open_orders = reconcile.open_orders
        snapshots = p.market.snapshots(p.symbols)
        decision: DecisionT | None = None
        if observe_only is None:
            view = p.book.view()
            decision, snapshots = decide_with_books(
                lambda snaps: p.decide(view, snaps, started), snapshots, p.market.with_books
            )
            execution = execution.merged(p.execution.execute(cycle_id, decision))
        record = CycleCommit(
            cycle_id=cycle_id,
            number=number,
            started_at=started,
            finished_at=p.clock.now(),
            observe_only_reason=observe_only,
            kill_reason=kill_reason,
            snapshots=snapshots,
            decision=decision,
            execution=execution,
            reconcile=reconcile,
        )
        figures = p.book.close_cycle(record)
        _log.info(
            "cycle_done",
            observe_only=observe_only,
            approved=decision.approved_count if decision is not None else 0,
            submitted=len(execution.submitted),
            canceled=len(execution.canceled),
            fills=len(reconcile.fills),
            open_orders=reconcile.open_orders,
            equity=str(figures.equity),
        )
        return CycleOutcome(
            cycle_id=cycle_id,
            number=number,
            observe_only=observe_only,
            kill_reason=kill_reason,
            risk_rejections=decision.rejection_reasons if decision is not None else (),
            execution=execution,
            fills=reconcile.fills,
            open_orders=reconcile.open_orders,
            figures=figures,
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
                reconcile = self._p.reconciler.settle(cycle_id)
                snapshots = self._p.market.snapshots(self._p.symbols)
            except ExchangeError as exc:
                # Nothing lost: the next start's reconciliation finds the same orders and fills.
                _log.warning("final_reconciliation_failed", error=str(exc))
                return
            self.last_open_orders = reconcile.open_orders
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
                    reconcile=reconcile,
                )
            )
            _log.info("final_reconciliation_done", fills=len(reconcile.fills))

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
        return self._p.execution.cancel_all(cycle_id, f"kill file: {kill_reason}")

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
