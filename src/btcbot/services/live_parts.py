"""Adapters from the real parts (market data, execution, reconciliation) onto the cycle's ports.

Each is a few lines: it calls one service and translates its report into the cycle's small
report types, so ``btcbot.services.cycle`` stays independent of their internals.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from btcbot.decision import Decision, DecisionCore, LedgerView, decide_on
from btcbot.domain.errors import ExchangeError
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Balance
from btcbot.execution.report import CancelResult, SubmitResult
from btcbot.execution.report import ExecutionReport as ServiceReport
from btcbot.execution.service import ExecutionService
from btcbot.market_data.service import MarketDataService
from btcbot.observability.logging import get_logger
from btcbot.services.account_books import AccountWatch
from btcbot.services.cycle_report import ExecutionReport, ReconcileReport, StartupCheck
from btcbot.services.reconciliation import (
    STARTUP_LOOKBACK,
    ReconciliationReport,
    ReconciliationService,
)

_log = get_logger(__name__)


class MarketPart:
    """Market snapshots for the cycle; per-symbol problems are logged and kept observe-only."""

    def __init__(self, service: MarketDataService) -> None:
        self._service = service

    def snapshots(self, symbols: Sequence[str]) -> Mapping[str, MarketSnapshot]:
        """Every snapshot that arrived, usable or not (the strategy skips unusable ones)."""
        result = self._service.snapshots(symbols)
        for symbol, reason in sorted(result.problems().items()):
            _log.warning("market_data_unusable", symbol=symbol, reason=reason)
        return result.snapshots

    def with_books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> Mapping[str, MarketSnapshot]:
        """The order books of the symbols about to trade; a bad one is logged, observe-only."""
        out = self._service.with_books(snapshots, symbols)
        for symbol in sorted(symbols):
            before, after = snapshots.get(symbol), out.get(symbol)
            if after is None or after.unusable_reason is None:
                continue
            if before is None or before.unusable_reason is None:
                _log.warning("market_data_unusable", symbol=symbol, reason=after.unusable_reason)
        return out


class DecidePart:
    """The decision core fed from the booked view, this cycle's snapshots and the time."""

    def __init__(
        self, core: DecisionCore, symbols: tuple[str, ...], *, kill_switch_setting: bool
    ) -> None:
        self._core = core
        self._symbols = symbols
        self._kill = "KILL_SWITCH=true" if kill_switch_setting else None

    def __call__(
        self, view: LedgerView, snapshots: Mapping[str, MarketSnapshot], now: datetime
    ) -> Decision:
        """One pure decision (see ``btcbot.decision``); a failing strategy is logged by name."""
        decision = decide_on(
            self._core, self._symbols, view, snapshots, now, kill_switch_reason=self._kill
        )
        for fault in decision.faults:
            _log.warning(
                "strategy_failed",
                strategy=fault.strategy,
                symbol=fault.symbol,
                problem=fault.problem,
                consequence="no signal for this symbol this cycle (observe only)",
            )
        return decision


def _report(report: ServiceReport) -> ExecutionReport:
    submitted = tuple(
        (s.symbol, s.side.value) for s in report.submits if s.result is SubmitResult.SUBMITTED
    )
    rejected = tuple(
        s.result.value for s in report.submits if s.result is not SubmitResult.SUBMITTED
    )
    canceled = tuple(c.why for c in report.cancels if c.result is CancelResult.REQUESTED)
    return ExecutionReport(submitted=submitted, rejected=rejected, canceled=canceled)


class ExecutionPart:
    """Execution for the cycle: TTL cancels, then the approved intents; or cancel everything."""

    def __init__(self, service: ExecutionService) -> None:
        self._service = service

    def execute(self, cycle_id: str, decision: Decision) -> ExecutionReport:
        """Cancel orders past their TTL, then submit the approved intents in order."""
        stale = self._service.cancel_stale(cycle_id)
        return _report(stale.merged(self._service.execute(cycle_id, decision.approved)))

    def cancel_all(self, cycle_id: str, reason: str) -> ExecutionReport:
        """Cancel every live order (kill file / disarm)."""
        return _report(self._service.cancel_all_open(cycle_id, reason))


class ReconcilePart:
    """Reconciliation for the cycle, with the count of orders still live afterwards."""

    def __init__(
        self,
        service: ReconciliationService,
        symbols: tuple[str, ...],
        watch: AccountWatch | None = None,
    ) -> None:
        self._service = service
        self._symbols = symbols
        self._watch = watch

    def reconcile(self, cycle_id: str) -> ReconcileReport:
        """One pass, then the account's movements and balances; ``ExchangeError`` if unread."""
        report = self._service.reconcile(cycle_id, self._symbols)
        balances = None
        if self._watch is not None and self._watch.due():
            balances = self._watch.collect(cycle_id)
        return _translate(report, balances)

    def settle(self, cycle_id: str) -> ReconcileReport:
        """A clean stop's final pass: reconcile, and always compare with the account."""
        report = self._service.reconcile(cycle_id, self._symbols)
        balances = None if self._watch is None else self._watch.collect(cycle_id)
        return _translate(report, balances)

    def startup(self, cycle_id: str) -> StartupCheck:
        """The service's startup pass (its 7-day window); a refusal carries its one-line reason."""
        verdict = self._service.startup(cycle_id, self._symbols)
        if not verdict.trading_allowed or verdict.report is None:
            return StartupCheck(refused=verdict.reason or "startup reconciliation refused")
        balances = None
        if self._watch is not None:
            try:
                balances = self._watch.collect(cycle_id, lookback=STARTUP_LOOKBACK)
            except ExchangeError as exc:
                reason = f"startup reconciliation failed, trading refused: {exc}"
                return StartupCheck(refused=reason)
        return StartupCheck(report=_translate(verdict.report, balances))


def _translate(
    report: ReconciliationReport, balances: tuple[Balance, ...] | None
) -> ReconcileReport:
    """The service's report as the cycle's (counts, and the balances the book compares with)."""
    return ReconcileReport(
        fills=report.new_fills,
        open_orders=report.open_orders,
        unresolved=len(report.unresolved_symbols),
        adopted=len(report.adopted),
        foreign=len(report.foreign),
        balances=balances,
    )
