"""Account movements and foreign orders (migration 0003; rules in ``btcbot.domain.account``)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal

from btcbot.domain.account import Movement, MovementKind, Target
from btcbot.domain.models import Order
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


def _movement(row: sqlite3.Row) -> Movement:
    return Movement(
        movement_id=row["movement_id"],
        kind=MovementKind(row["kind"]),
        asset=row["asset"],
        delta=Decimal(row["delta"]),
        at=from_db_time(row["at"]),
        target=Target(row["target"]),
        detail=row["detail"],
    )


class MovementRepository(Repository):
    """Each movement once by id; capital flows handed to the ledger once."""

    def add(self, movement: Movement, *, state: str = "pending") -> bool:
        """Store ``movement``; False (nothing written) when its id is stored already."""
        found = self._conn.execute(
            "SELECT 1 FROM account_movements WHERE movement_id = ?", (movement.movement_id,)
        ).fetchone()
        if found is not None:
            return False
        self._insert(
            "account_movements",
            {
                "movement_id": movement.movement_id,
                "kind": movement.kind.value,
                "asset": movement.asset,
                "delta": str(movement.delta),
                "target": movement.target.value,
                "at": to_db_time(movement.at),
                "detail": movement.detail,
                "state": state,
            },
        )
        return True

    def pending(self) -> list[Movement]:
        """Movements not yet booked, in time order."""
        rows = self._conn.execute(
            "SELECT * FROM account_movements WHERE state = 'pending' ORDER BY at, id"
        ).fetchall()
        return [_movement(r) for r in rows]

    def mark(self, movement_ids: Iterable[str], state: str) -> None:
        """Set the state of these movements (in the ledger's commit)."""
        self._conn.executemany(
            "UPDATE account_movements SET state = ? WHERE movement_id = ?",
            [(state, m) for m in movement_ids],
        )

    def outside(self) -> list[Movement]:
        """Every booked movement of what the account holds outside the books."""
        rows = self._conn.execute(
            "SELECT * FROM account_movements WHERE target = 'outside' AND state = 'applied' "
            "ORDER BY at, id"
        ).fetchall()
        return [_movement(r) for r in rows]

    def all(self) -> list[Movement]:
        """Every movement, in time order (inspect)."""
        rows = self._conn.execute("SELECT * FROM account_movements ORDER BY at, id").fetchall()
        return [_movement(r) for r in rows]


class ForeignOrderRepository(Repository):
    """Orders of the account the bot did not place; kept current by reconciliation."""

    def seen(self, order: Order, now: datetime) -> bool:
        """Record or refresh ``order``; True when it is new."""
        updated = self._conn.execute(
            "UPDATE foreign_orders SET status = ?, last_seen = ? WHERE exchange_order_id = ?",
            (order.status.value, to_db_time(now), order.order_id),
        )
        if updated.rowcount:
            return False
        self._insert(
            "foreign_orders",
            {
                "exchange_order_id": order.order_id,
                "exchange_client_id": order.client_order_id,
                "symbol": order.symbol,
                "side": order.side.value,
                "method": order.method.value,
                "price": None if order.price is None else str(order.price),
                "quantity": str(order.quantity),
                "status": order.status.value,
                "first_seen": to_db_time(now),
                "last_seen": to_db_time(now),
            },
        )
        return True

    def ids(self) -> frozenset[int]:
        """Exchange ids of every foreign order seen."""
        rows = self._conn.execute("SELECT exchange_order_id FROM foreign_orders").fetchall()
        return frozenset(int(r[0]) for r in rows)

    def open_rows(self) -> list[sqlite3.Row]:
        """Foreign orders last seen resting (inspect, the status file)."""
        return self._conn.execute(
            "SELECT * FROM foreign_orders WHERE status IN ('open', 'partially_filled') "
            "ORDER BY exchange_order_id"
        ).fetchall()
