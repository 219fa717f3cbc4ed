"""What a cycle reports: execution and reconciliation results, book figures, the cycle outcome.

Plain frozen records shared by the cycle, the loop and the observer (metrics, status file), so
none of them needs to know the others' internals.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.models import Balance, Fill


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """What execution did this cycle.

    ``submitted`` has one ``(symbol, side)`` per order the exchange accepted; ``rejected`` one
    reason per order refused (by the exchange, the armed policy, or an ambiguous outcome);
    ``canceled`` one reason per cancel sent (``ttl``, ``kill file``, ...).
    """

    submitted: tuple[tuple[str, str], ...] = ()
    rejected: tuple[str, ...] = ()
    canceled: tuple[str, ...] = ()

    def merged(self, other: ExecutionReport) -> ExecutionReport:
        """Both reports' actions (a kill-file cancel and the cycle's own execution)."""
        return ExecutionReport(
            submitted=self.submitted + other.submitted,
            rejected=self.rejected + other.rejected,
            canceled=self.canceled + other.canceled,
        )


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """The exchange's view after reconciliation.

    ``fills`` are the fills seen for the first time (each trade id exactly once);
    ``unresolved`` counts orders still in an unknown state; ``adopted`` counts exchange orders
    the DB did not know and now does.
    """

    fills: tuple[Fill, ...] = ()
    open_orders: int = 0
    unresolved: int = 0
    adopted: int = 0
    foreign: int = 0
    # The account's balances, read after every order, trade and transfer of the pass: what
    # the book compares itself with (None when they were not read).
    balances: tuple[Balance, ...] | None = None


@dataclass(frozen=True, slots=True)
class StartupCheck:
    """The startup reconciliation's verdict: its report, or why trading is refused."""

    report: ReconcileReport | None = None
    refused: str | None = None


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
    """What one cycle did, for the loop's observer; ``error`` is set when the cycle failed."""

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
