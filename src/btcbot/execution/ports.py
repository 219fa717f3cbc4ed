"""The ports execution and reconciliation use: the exchange's order calls and the order store.

``BtcturkClient`` satisfies ``OrderGateway`` and ``ExchangeOrderReader`` structurally; the
state package's ``TradingUnitOfWork`` satisfies ``TradingUnitOfWorkPort``. Tests pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

from btcbot.domain.account import Movement
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.models import Fill, Order, OrderAck, OrderRequest
from btcbot.domain.orders import LocalOrderState, TrackedOrder
from btcbot.domain.trading import TradingState
from btcbot.observability.audit import AuditEvent, AuditKind


class OrderGateway(Protocol):
    """The two calls that change orders on the exchange (never retried by the client)."""

    def submit_order(self, request: OrderRequest) -> OrderAck:
        """POST the order; ``AmbiguousOrderError`` when the outcome is unknown."""
        ...

    def cancel_order(self, order_id: int) -> None:
        """Ask for a cancel (asynchronous on BtcTurk: success means 'accepted for cancel')."""
        ...


class ExchangeOrderReader(Protocol):
    """The read calls reconciliation compares the database against."""

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Orders resting now (Untouched/Partial)."""
        ...

    def all_orders(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Order]:
        """Orders of ``symbol`` created in [start, end], any status."""
        ...

    def get_order(self, order_id: int) -> Order:
        """One order by exchange id; ``OrderNotFoundError`` when unknown."""
        ...

    def own_trades(
        self,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        order_id: int | None = None,
    ) -> list[Fill]:
        """Our trades in [start, end] (or of one order)."""
        ...


class OrderStore(Protocol):
    """Orders as the database keeps them (``btcbot.state.repositories.orders``)."""

    def add(self, order: TrackedOrder, *, event: str = "created", detail: str = "") -> None:
        """Insert a new order; raises ``StateError`` when its client order id exists."""
        ...

    def save(self, order: TrackedOrder, *, event: str, detail: str = "") -> None:
        """Store a changed order and append the transition to its history."""
        ...

    def get(self, client_order_id: str) -> TrackedOrder | None:
        """The order under ``client_order_id``."""
        ...

    def by_exchange_id(self, exchange_order_id: int) -> TrackedOrder | None:
        """The order the exchange knows as ``exchange_order_id``."""
        ...

    def in_states(self, states: Collection[LocalOrderState]) -> list[TrackedOrder]:
        """Every order in one of ``states``, oldest first."""
        ...

    def unresolved_symbols(self) -> frozenset[str]:
        """Symbols with a PENDING_SUBMIT or UNKNOWN order."""
        ...


class FillStore(Protocol):
    """Fills as the database keeps them (``btcbot.state.repositories.fills``)."""

    def add(self, fill: Fill) -> bool:
        """Store ``fill``; False when its trade id is already stored."""
        ...

    def mark_applied(self, trade_ids: Iterable[int]) -> None:
        """Record that the ledger booked these fills."""
        ...


class MovementStore(Protocol):
    """Account movements (``btcbot.state.repositories.account``)."""

    def add(self, movement: Movement, *, state: str = "pending") -> bool:
        """Store ``movement`` once by id; False when stored already."""
        ...


class ForeignOrderStore(Protocol):
    """Orders the bot did not place (``btcbot.state.repositories.account``)."""

    def seen(self, order: Order, now: datetime) -> bool:
        """Record or refresh ``order``; True when it is new."""
        ...

    def ids(self) -> frozenset[int]:
        """Exchange ids of every foreign order seen."""
        ...


class TradingStateStore(Protocol):
    """The persistent trading state (``btcbot.state.repositories.trading_state``)."""

    def current_state(self) -> TradingState:
        """ACTIVE, REDUCING or HALTED (ACTIVE when never set)."""
        ...

    def record(self, change: TradingStateChange) -> None:
        """Store a new trading state."""
        ...


class AuditLog(Protocol):
    """The append-only audit trail (``btcbot.state.repositories.audit``)."""

    def append(self, event: AuditEvent) -> int:
        """Store ``event``; returns its id."""
        ...

    def recent(self, limit: int = 50, *, kind: AuditKind | None = None) -> list[AuditEvent]:
        """The newest ``limit`` events (optionally of one kind), newest first."""
        ...


class TradingUnitOfWorkPort(Protocol):
    """One transaction: changes are durable only after ``commit()``."""

    @property
    def orders(self) -> OrderStore:
        """The order store of this transaction."""
        ...

    @property
    def fills(self) -> FillStore:
        """The fill store of this transaction."""
        ...

    @property
    def trading_state(self) -> TradingStateStore:
        """The trading state of this transaction."""
        ...

    @property
    def movements(self) -> MovementStore:
        """The account movements of this transaction."""
        ...

    @property
    def foreign_orders(self) -> ForeignOrderStore:
        """The foreign orders of this transaction."""
        ...

    @property
    def audit(self) -> AuditLog:
        """The audit trail of this transaction."""
        ...

    def commit(self) -> None:
        """Make everything written so far durable."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


UnitOfWorkFactory = Callable[[str | None], TradingUnitOfWorkPort]
"""Opens a unit of work whose rows carry the given cycle id (``None`` outside a cycle)."""
