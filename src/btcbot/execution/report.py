"""What execution did in one call: one typed outcome per intent and per cancel attempt."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from btcbot.domain.enums import Side


class SubmitResult(StrEnum):
    """How one approved intent ended."""

    SUBMITTED = "submitted"  # the exchange acknowledged it with an order id
    REJECTED = "rejected"  # the exchange refused it definitively
    UNKNOWN = "unknown"  # the POST's outcome is unknown; reconciliation resolves it
    NOT_PLACED = "not_placed"  # the request provably never reached the exchange
    BLOCKED = "blocked"  # TradingArmedPolicy or the kill file refused it before any I/O
    SYMBOL_UNRESOLVED = "symbol_unresolved"  # an unresolved order of the symbol blocks it
    ALREADY_RECORDED = "already_recorded"  # this cycle's intent exists already: never resent


class CancelResult(StrEnum):
    """How one cancel attempt ended."""

    REQUESTED = "requested"  # accepted; BtcTurk finishes cancels asynchronously
    NOT_FOUND = "not_found"  # the exchange does not know the id (reconciliation decides)
    REFUSED = "refused"  # e.g. ORDER_COULD_NOT_BE_CANCELED: already filled or a market order
    AMBIGUOUS = "ambiguous"  # outcome unknown; reconciliation sees the real status
    FAILED = "failed"  # not sent or transient failure; retried on a later cycle
    BLOCKED = "blocked"  # the role or mode forbids cancels (never arming or kill state)


@dataclass(frozen=True, slots=True)
class SubmitOutcome:
    """One intent's fate."""

    client_order_id: str
    symbol: str
    side: Side
    result: SubmitResult
    detail: str = ""
    exchange_order_id: int | None = None


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """One cancel attempt's fate; ``why`` is what asked for it (ttl, disarm, ...)."""

    client_order_id: str
    symbol: str
    result: CancelResult
    why: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class ExecutionReport:
    """Everything one ``execute`` / ``cancel_*`` call did."""

    submits: tuple[SubmitOutcome, ...] = ()
    cancels: tuple[CancelOutcome, ...] = ()

    def count(self, result: SubmitResult) -> int:
        """How many intents ended with ``result``."""
        return sum(1 for s in self.submits if s.result is result)

    @property
    def submitted(self) -> int:
        """Intents the exchange acknowledged."""
        return self.count(SubmitResult.SUBMITTED)

    @property
    def cancel_requested(self) -> int:
        """Cancels the exchange accepted."""
        return sum(1 for c in self.cancels if c.result is CancelResult.REQUESTED)

    def merged(self, other: ExecutionReport) -> ExecutionReport:
        """This report followed by ``other``."""
        return ExecutionReport(self.submits + other.submits, self.cancels + other.cancels)
