"""Fakes for execution and reconciliation unit tests.

An in-memory store with real commit semantics, a scripted exchange gateway and reader, and
builders for intents, exchange orders and fills.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Self

from btcbot.adapters.clock import ManualClock
from btcbot.domain.account import Movement
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.enums import ExchangeKind, OrderMethod, OrderStatus, Role, Side
from btcbot.domain.errors import OrderNotFoundError, StateError
from btcbot.domain.models import Fill, Order, OrderAck, OrderRequest
from btcbot.domain.orders import LocalOrderState, OrderEvent, OrderOrigin, TrackedOrder
from btcbot.domain.trading import ApprovedOrderIntent, OrderIntent, TradingState
from btcbot.observability.audit import AuditEvent, AuditKind
from btcbot.risk.policies import TradingFacts

T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@dataclass
class Tables:
    """The fake database's contents."""

    orders: dict[str, TrackedOrder] = field(default_factory=dict)
    events: list[OrderEvent] = field(default_factory=list)
    # The cycle id of the unit of work that wrote each of ``events`` (the real store stamps it).
    event_cycles: list[str | None] = field(default_factory=list)
    fills: dict[int, Fill] = field(default_factory=dict)
    applied: set[int] = field(default_factory=set)
    audit: list[AuditEvent] = field(default_factory=list)
    trading_state: TradingState = TradingState.ACTIVE
    movements: dict[str, Movement] = field(default_factory=dict)
    foreign: dict[int, Order] = field(default_factory=dict)


class FakeDb:
    """What has been committed; every unit of work works on a private copy until commit."""

    def __init__(self) -> None:
        """Fake ``__init__``."""
        self.committed = Tables()
        self.commits = 0


class FakeOrders:
    """The ``OrderStore`` port over a working copy."""

    def __init__(self, tables: Tables, cycle_id: str | None = None) -> None:
        """Fake ``__init__``."""
        self._t = tables
        self._cycle_id = cycle_id

    def add(self, order: TrackedOrder, *, event: str = "created", detail: str = "") -> None:
        """Fake ``add``."""
        if order.client_order_id in self._t.orders:
            raise StateError(f"order {order.client_order_id} is already recorded")
        self._t.orders[order.client_order_id] = order
        self._t.events.append(
            OrderEvent(order.client_order_id, order.updated_at, event, None, order.state, detail)
        )
        self._t.event_cycles.append(self._cycle_id)

    def save(self, order: TrackedOrder, *, event: str, detail: str = "") -> None:
        """Fake ``save``."""
        before = self._t.orders[order.client_order_id]
        self._t.orders[order.client_order_id] = order
        self._t.events.append(
            OrderEvent(
                order.client_order_id, order.updated_at, event, before.state, order.state, detail
            )
        )
        self._t.event_cycles.append(self._cycle_id)

    def get(self, client_order_id: str) -> TrackedOrder | None:
        """Fake ``get``."""
        return self._t.orders.get(client_order_id)

    def by_exchange_id(self, exchange_order_id: int) -> TrackedOrder | None:
        """Fake ``by_exchange_id``."""
        found = [o for o in self._t.orders.values() if o.exchange_order_id == exchange_order_id]
        return found[0] if found else None

    def in_states(self, states: Collection[LocalOrderState]) -> list[TrackedOrder]:
        """Fake ``in_states``."""
        return [o for o in self._t.orders.values() if o.state in states]

    def unresolved_symbols(self) -> frozenset[str]:
        """Fake ``unresolved_symbols``."""
        return frozenset(o.symbol for o in self._t.orders.values() if o.state.is_unresolved)


class FakeFills:
    """The ``FillStore`` port over a working copy."""

    def __init__(self, tables: Tables) -> None:
        """Fake ``__init__``."""
        self._t = tables

    def add(self, fill: Fill) -> bool:
        """Fake ``add``."""
        if fill.trade_id in self._t.fills:
            return False
        self._t.fills[fill.trade_id] = fill
        return True

    def mark_applied(self, trade_ids: Iterable[int]) -> None:
        """Fake ``mark_applied``."""
        self._t.applied.update(trade_ids)


class FakeAudit:
    """The ``AuditLog`` port over a working copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def append(self, event: AuditEvent) -> int:
        """Fake ``append``."""
        self._t.audit.append(event)
        return len(self._t.audit)

    def recent(self, limit: int = 50, *, kind: AuditKind | None = None) -> list[AuditEvent]:
        """Fake ``recent``: newest first."""
        events = [e for e in reversed(self._t.audit) if kind is None or e.kind is kind]
        return events[:limit]


class FakeTradingState:
    """The ``TradingStateStore`` port over a working copy."""

    def __init__(self, tables: Tables) -> None:
        self._t = tables

    def current_state(self) -> TradingState:
        """Fake ``current_state``."""
        return self._t.trading_state

    def record(self, change: TradingStateChange) -> None:
        """Fake ``record``."""
        self._t.trading_state = change.state


class FakeMovements:
    """Account movements by id."""

    def __init__(self, tables: Tables) -> None:
        """Fake ``__init__``."""
        self._t = tables

    def add(self, movement: Movement, *, state: str = "pending") -> bool:
        """Fake ``add``."""
        del state
        if movement.movement_id in self._t.movements:
            return False
        self._t.movements[movement.movement_id] = movement
        return True


class FakeForeignOrders:
    """Foreign orders by exchange id."""

    def __init__(self, tables: Tables) -> None:
        """Fake ``__init__``."""
        self._t = tables

    def seen(self, order: Order, now: datetime) -> bool:
        """Fake ``seen``."""
        del now
        new = order.order_id not in self._t.foreign
        self._t.foreign[order.order_id] = order
        return new

    def ids(self) -> frozenset[int]:
        """Fake ``ids``."""
        return frozenset(self._t.foreign)


class FakeUnitOfWork:
    """Copies the committed tables on enter; ``commit`` publishes; leaving discards the rest."""

    def __init__(self, db: FakeDb, cycle_id: str | None = None) -> None:
        """Fake ``__init__``."""
        self._db = db
        self._cycle_id = cycle_id
        self._work = Tables()

    @property
    def orders(self) -> FakeOrders:
        """Fake ``orders``."""
        return FakeOrders(self._work, self._cycle_id)

    @property
    def fills(self) -> FakeFills:
        """Fake ``fills``."""
        return FakeFills(self._work)

    @property
    def trading_state(self) -> FakeTradingState:
        """Fake ``trading_state``."""
        return FakeTradingState(self._work)

    @property
    def audit(self) -> FakeAudit:
        """Fake ``audit``."""
        return FakeAudit(self._work)

    @property
    def movements(self) -> FakeMovements:
        """Fake ``movements``."""
        return FakeMovements(self._work)

    @property
    def foreign_orders(self) -> FakeForeignOrders:
        """Fake ``foreign_orders``."""
        return FakeForeignOrders(self._work)

    def commit(self) -> None:
        """Fake ``commit``."""
        self._db.committed = copy.deepcopy(self._work)
        self._db.commits += 1

    def __enter__(self) -> Self:
        """Fake ``__enter__``."""
        self._work = copy.deepcopy(self._db.committed)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Fake ``__exit__``."""
        self._work = Tables()


def uow_factory(db: FakeDb) -> Callable[[str | None], FakeUnitOfWork]:
    """A factory of fake units of work over ``db``."""
    return lambda cycle_id: FakeUnitOfWork(db, cycle_id)


Behaviour = Callable[[OrderRequest], OrderAck]


class FakeGateway:
    """Records every POST and cancel; ``on_submit`` decides each POST's answer."""

    def __init__(self, clock: ManualClock) -> None:
        """Fake ``__init__``."""
        self.clock = clock
        self.submitted: list[OrderRequest] = []
        self.cancelled: list[int] = []
        self.next_id = 25_000_000_001
        self.on_submit: Behaviour = self.accept
        self.on_cancel: Callable[[int], None] = lambda _order_id: None

    def accept(self, request: OrderRequest) -> OrderAck:
        """Fake ``accept``."""
        self.next_id += 1
        return OrderAck(
            order_id=self.next_id,
            client_order_id=request.client_order_id,
            symbol=request.symbol,
            side=request.side,
            method=request.method,
            price=request.price,
            quantity=request.quantity,
            created_at=self.clock.now(),
        )

    def submit_order(self, request: OrderRequest) -> OrderAck:
        """Fake ``submit_order``."""
        self.submitted.append(request)
        return self.on_submit(request)

    def cancel_order(self, order_id: int) -> None:
        """Fake ``cancel_order``."""
        self.cancelled.append(order_id)
        self.on_cancel(order_id)


class FakeReader:
    """An exchange's view for reconciliation: orders and trades set by the test."""

    def __init__(self) -> None:
        """Fake ``__init__``."""
        self.orders: dict[int, Order] = {}
        self.trades: list[Fill] = []
        self.hidden_from_history: set[int] = set()
        self.failure: Exception | None = None

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Fake ``open_orders``."""
        return [
            o
            for o in self.orders.values()
            if o.status.is_open and (symbol is None or o.symbol == symbol)
        ]

    def all_orders(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Order]:
        """Fake ``all_orders``; raises ``failure`` when the test set one."""
        if self.failure is not None:
            raise self.failure
        found = [
            o
            for o in self.orders.values()
            if o.symbol == symbol
            and o.order_id not in self.hidden_from_history
            and (start is None or o.created_at is None or o.created_at >= start)
            and (end is None or o.created_at is None or o.created_at <= end)
        ]
        return found[:limit]

    def get_order(self, order_id: int) -> Order:
        """Fake ``get_order``."""
        if order_id not in self.orders:
            raise OrderNotFoundError(
                "Order not found", endpoint="GET /api/v1/order", code=1152, name="NOT_FOUND"
            )
        return self.orders[order_id]

    def own_trades(
        self,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        order_id: int | None = None,
    ) -> list[Fill]:
        """Fake ``own_trades``: every trade of ``symbol`` (the window is not modelled)."""
        del start, end, order_id
        return [t for t in self.trades if symbol is None or t.symbol == symbol]


def exchange_order(
    order_id: int,
    client_id: str | None,
    *,
    symbol: str = "BTCTRY",
    status: OrderStatus = OrderStatus.OPEN,
    quantity: str = "0.01",
    left: str | None = None,
    created_at: datetime = T0,
    method: OrderMethod = OrderMethod.LIMIT,
) -> Order:
    """An exchange order as the client maps it."""
    return Order(
        order_id=order_id,
        client_order_id=client_id,
        symbol=symbol,
        side=Side.BUY,
        method=method,
        price=Decimal(3_000_000),
        stop_price=None,
        quantity=Decimal(quantity),
        left_quantity=Decimal(quantity if left is None else left),
        status=status,
        created_at=created_at,
        updated_at=created_at,
    )


def tracked_order(
    cid: str,
    state: LocalOrderState,
    created: datetime,
    *,
    method: OrderMethod = OrderMethod.LIMIT,
    exchange_order_id: int | None = None,
) -> TrackedOrder:
    """A BTCTRY buy of the bot's, as the database holds it."""
    return TrackedOrder(
        client_order_id=cid,
        origin=OrderOrigin.BOT,
        symbol="BTCTRY",
        side=Side.BUY,
        method=method,
        price=Decimal(3_000_000),
        quantity=Decimal("0.01"),
        state=state,
        created_at=created,
        updated_at=created,
        exchange_order_id=exchange_order_id,
        exchange_client_id=cid,
    )


def fill(trade_id: int, order_id: int, quantity: str = "0.004") -> Fill:
    """One of our trades."""
    return Fill(
        trade_id=trade_id,
        order_id=order_id,
        client_order_id=None,
        symbol="BTCTRY",
        side=Side.BUY,
        price=Decimal(3_000_000),
        quantity=Decimal(quantity),
        fee=Decimal(12),
        tax=Decimal("2.16"),
        fee_asset="TRY",
        timestamp=T0 + timedelta(seconds=trade_id % 1000),
    )


def approved(index: int, symbol: str = "BTCTRY", side: Side = Side.BUY) -> ApprovedOrderIntent:
    """An approved limit intent."""
    return ApprovedOrderIntent(
        index=index,
        intent=OrderIntent(
            symbol=symbol,
            side=side,
            method=OrderMethod.LIMIT,
            price=Decimal(3_000_000),
            quantity=Decimal("0.01"),
            strategy="test",
            reason="test intent",
        ),
    )


def dry_run_facts() -> TradingFacts:
    """Facts of an allowed dry run on the emulator."""
    return TradingFacts(
        role=Role.LIVE,
        live_trading=False,
        ack=False,
        safe_mode=False,
        kill_switch=False,
        armed=False,
        kill_file_present=False,
        exchange=ExchangeKind.SIM,
    )


class KillFile:
    """A kill-switch probe the test can engage."""

    def __init__(self) -> None:
        """Fake ``__init__``."""
        self.reason: str | None = None

    def __call__(self) -> str | None:
        """Fake ``__call__``."""
        return self.reason


def live_facts(*, armed: bool) -> TradingFacts:
    """Facts of real trading on BtcTurk with every flag right; ``armed`` as given."""
    return TradingFacts(
        role=Role.LIVE,
        live_trading=True,
        ack=True,
        safe_mode=False,
        kill_switch=False,
        armed=armed,
        kill_file_present=False,
        exchange=ExchangeKind.BTCTURK,
    )
