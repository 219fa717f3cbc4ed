"""Orders and their append-only history (``orders``, ``order_events``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Collection
from decimal import Decimal

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import StateError
from btcbot.domain.orders import LocalOrderState, OrderEvent, OrderOrigin, TrackedOrder
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time

_MUTABLE = (
    "exchange_order_id",
    "exchange_client_id",
    "state",
    "filled_quantity",
    "reject_code",
    "reject_reason",
    "absent_checks",
    "cancel_requested_at",
    "updated_at",
    "price",
    "quantity",
)


def _opt_dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _columns(order: TrackedOrder) -> dict[str, object]:
    return {
        "client_order_id": order.client_order_id,
        "origin": order.origin.value,
        "intent_cycle_id": order.cycle_id,
        "intent_index": order.intent_index,
        "exchange_order_id": order.exchange_order_id,
        "exchange_client_id": order.exchange_client_id,
        "symbol": order.symbol,
        "side": order.side.value,
        "method": order.method.value,
        "price": _opt_dec(order.price),
        "quantity": str(order.quantity),
        "filled_quantity": str(order.filled_quantity),
        "state": order.state.value,
        "reject_code": order.reject_code,
        "reject_reason": order.reject_reason,
        "absent_checks": order.absent_checks,
        "cancel_requested_at": (
            None if order.cancel_requested_at is None else to_db_time(order.cancel_requested_at)
        ),
        "created_at": to_db_time(order.created_at),
        "updated_at": to_db_time(order.updated_at),
    }


def _order(row: sqlite3.Row) -> TrackedOrder:
    return TrackedOrder(
        client_order_id=row["client_order_id"],
        origin=OrderOrigin(row["origin"]),
        cycle_id=row["intent_cycle_id"],
        intent_index=row["intent_index"],
        exchange_order_id=row["exchange_order_id"],
        exchange_client_id=row["exchange_client_id"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        method=OrderMethod(row["method"]),
        price=None if row["price"] is None else Decimal(row["price"]),
        quantity=Decimal(row["quantity"]),
        filled_quantity=Decimal(row["filled_quantity"]),
        state=LocalOrderState(row["state"]),
        reject_code=row["reject_code"],
        reject_reason=row["reject_reason"],
        absent_checks=row["absent_checks"],
        cancel_requested_at=(
            None if row["cancel_requested_at"] is None else from_db_time(row["cancel_requested_at"])
        ),
        created_at=from_db_time(row["created_at"]),
        updated_at=from_db_time(row["updated_at"]),
    )


class OrderRepository(Repository):
    """Add, change and find orders; every change appends an ``order_events`` row."""

    def add(self, order: TrackedOrder, *, event: str = "created", detail: str = "") -> None:
        """Insert a new order; ``StateError`` if its client order id is already stored."""
        try:
            self._insert("orders", _columns(order))
        except sqlite3.IntegrityError as exc:
            raise StateError(
                f"order {order.client_order_id} is already recorded: {exc}; never sent twice"
            ) from exc
        self._event(order, event=event, from_state=None, detail=detail)

    def save(self, order: TrackedOrder, *, event: str, detail: str = "") -> None:
        """Store ``order``'s new fields and append the transition from its stored state."""
        before = self.get(order.client_order_id)
        if before is None:
            raise StateError(f"order {order.client_order_id} is not recorded; cannot update it")
        values = _columns(order)
        assignments = ", ".join(
            f"{c} = ?"
            for c in (*_MUTABLE, "process_role", "process_instance_id", "cycle_id", "config_hash")
        )
        params = [values[c] for c in _MUTABLE]
        params += [
            self._audit.process_role.value,
            self._audit.process_instance_id,
            self._audit.cycle_id,
            self._audit.config_hash,
            order.client_order_id,
        ]
        # Column names come from _MUTABLE above, never from input; values are bound.
        sql = f"UPDATE orders SET {assignments} WHERE client_order_id = ?"  # noqa: S608 - see above
        try:
            self._conn.execute(sql, params)
        except sqlite3.IntegrityError as exc:
            raise StateError(f"order {order.client_order_id} cannot be updated: {exc}") from exc
        self._event(order, event=event, from_state=before.state, detail=detail)

    def get(self, client_order_id: str) -> TrackedOrder | None:
        """The order stored under ``client_order_id``."""
        row = self._conn.execute(
            "SELECT * FROM orders WHERE client_order_id = ?", (client_order_id,)
        ).fetchone()
        return None if row is None else _order(row)

    def by_exchange_id(self, exchange_order_id: int) -> TrackedOrder | None:
        """The order the exchange knows as ``exchange_order_id``."""
        row = self._conn.execute(
            "SELECT * FROM orders WHERE exchange_order_id = ?", (exchange_order_id,)
        ).fetchone()
        return None if row is None else _order(row)

    def in_states(self, states: Collection[LocalOrderState]) -> list[TrackedOrder]:
        """Every order in one of ``states``, oldest first."""
        wanted = [s.value for s in states]
        marks = ", ".join("?" for _ in wanted)
        # Only placeholders are formatted in; the states are bound values.
        sql = f"SELECT * FROM orders WHERE state IN ({marks}) ORDER BY id"  # noqa: S608 - see above
        return [_order(r) for r in self._conn.execute(sql, wanted).fetchall()]

    def unresolved_symbols(self) -> frozenset[str]:
        """Symbols with an order whose existence is unknown (they block new submits)."""
        rows = self._conn.execute(
            "SELECT DISTINCT symbol FROM orders WHERE state IN ('pending_submit', 'unknown')"
        ).fetchall()
        return frozenset(r["symbol"] for r in rows)

    def recent(self, limit: int = 50) -> list[TrackedOrder]:
        """The newest ``limit`` orders, newest first."""
        rows = self._conn.execute("SELECT * FROM orders ORDER BY id DESC LIMIT ?", (limit,))
        return [_order(r) for r in rows.fetchall()]

    def all(self) -> list[TrackedOrder]:
        """Every order, oldest first (histories, determinism fingerprints)."""
        return [_order(r) for r in self._conn.execute("SELECT * FROM orders ORDER BY id")]

    def events(self, client_order_id: str) -> list[OrderEvent]:
        """The history of one order, oldest first."""
        rows = self._conn.execute(
            "SELECT * FROM order_events WHERE client_order_id = ? ORDER BY id", (client_order_id,)
        ).fetchall()
        return [
            OrderEvent(
                client_order_id=r["client_order_id"],
                at=from_db_time(r["at"]),
                event=r["event"],
                from_state=None if r["from_state"] is None else LocalOrderState(r["from_state"]),
                to_state=LocalOrderState(r["to_state"]),
                detail=r["detail"],
            )
            for r in rows
        ]

    def _event(
        self,
        order: TrackedOrder,
        *,
        event: str,
        from_state: LocalOrderState | None,
        detail: str,
    ) -> None:
        self._insert(
            "order_events",
            {
                "client_order_id": order.client_order_id,
                "at": to_db_time(order.updated_at),
                "event": event,
                "from_state": None if from_state is None else from_state.value,
                "to_state": order.state.value,
                "detail": detail,
            },
        )
