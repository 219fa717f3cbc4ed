"""Our own record of an order: its local lifecycle state, separate from the exchange's status.

The exchange reports ``OrderStatus`` (open / partially filled / filled / canceled). The bot also
has to know about the moments the exchange cannot see: an intent written but not yet sent
(``PENDING_SUBMIT``), a POST whose outcome is unknown (``UNKNOWN``), an intent proved never to
have reached the exchange (``NOT_PLACED``). docs/EXECUTION.md draws the state machine.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from btcbot.domain.enums import OrderMethod, OrderStatus, Side


class LocalOrderState(StrEnum):
    """Where an order stands in the bot's own books."""

    PENDING_SUBMIT = "pending_submit"
    SUBMITTED = "submitted"
    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    CANCEL_REQUESTED = "cancel_requested"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    NOT_PLACED = "not_placed"

    @property
    def is_unresolved(self) -> bool:
        """True when nobody knows whether the order exists: it blocks new submits for its symbol."""
        return self in _UNRESOLVED

    @property
    def is_live(self) -> bool:
        """True when the order rests (or may rest) on the exchange under a known exchange id."""
        return self in _LIVE

    @property
    def is_terminal(self) -> bool:
        """True when nothing can happen to the order any more."""
        return self in _TERMINAL

    @classmethod
    def from_exchange(cls, status: OrderStatus) -> LocalOrderState:
        """The local state an exchange status maps to (Closed means FILLED, never UNKNOWN)."""
        return _FROM_EXCHANGE[status]


_UNRESOLVED = frozenset({LocalOrderState.PENDING_SUBMIT, LocalOrderState.UNKNOWN})
_LIVE = frozenset(
    {
        LocalOrderState.SUBMITTED,
        LocalOrderState.OPEN,
        LocalOrderState.PARTIALLY_FILLED,
        LocalOrderState.CANCEL_REQUESTED,
    }
)
_TERMINAL = frozenset(
    {
        LocalOrderState.FILLED,
        LocalOrderState.CANCELED,
        LocalOrderState.REJECTED,
        LocalOrderState.NOT_PLACED,
    }
)
_FROM_EXCHANGE = {
    OrderStatus.OPEN: LocalOrderState.OPEN,
    OrderStatus.PARTIALLY_FILLED: LocalOrderState.PARTIALLY_FILLED,
    OrderStatus.FILLED: LocalOrderState.FILLED,
    OrderStatus.CANCELED: LocalOrderState.CANCELED,
}


class OrderOrigin(StrEnum):
    """Who created the order: this bot, or someone else (found on the exchange and adopted)."""

    BOT = "bot"
    ADOPTED = "adopted"


@dataclass(frozen=True, slots=True)
class TrackedOrder:
    """One order as the bot tracks it.

    ``client_order_id`` is the local key (unique in the database). For the bot's own orders it
    is the id sent as ``newOrderClientId``; an adopted order gets ``adopted-<exchange id>`` and
    keeps the exchange's free-text client id in ``exchange_client_id``. ``absent_checks`` counts
    reconciliation passes that looked for an unresolved order and did not find it.
    """

    client_order_id: str
    origin: OrderOrigin
    symbol: str
    side: Side
    method: OrderMethod
    price: Decimal | None
    quantity: Decimal
    state: LocalOrderState
    created_at: datetime
    updated_at: datetime
    cycle_id: str | None = None
    intent_index: int | None = None
    exchange_order_id: int | None = None
    exchange_client_id: str | None = None
    filled_quantity: Decimal = Decimal(0)
    reject_code: str | None = None
    reject_reason: str | None = None
    absent_checks: int = 0
    cancel_requested_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class OrderEvent:
    """One line of an order's history (append-only in the database)."""

    client_order_id: str
    at: datetime
    event: str
    from_state: LocalOrderState | None
    to_state: LocalOrderState
    detail: str = ""
