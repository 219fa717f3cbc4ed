"""Our own trades (``fills``): stored once by trade id, then marked once as booked by the ledger."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from decimal import Decimal

from btcbot.domain.enums import Side
from btcbot.domain.models import Fill
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


def _fill(row: sqlite3.Row) -> Fill:
    return Fill(
        trade_id=row["trade_id"],
        order_id=row["exchange_order_id"],
        client_order_id=row["client_order_id"],
        symbol=row["symbol"],
        side=Side(row["side"]),
        price=Decimal(row["price"]),
        quantity=Decimal(row["quantity"]),
        fee=Decimal(row["fee"]),
        tax=Decimal(row["tax"]),
        fee_asset=row["fee_asset"],
        timestamp=from_db_time(row["traded_at"]),
    )


class FillRepository(Repository):
    """Record fills exactly once; hand the ledger those it has not booked yet."""

    def add(self, fill: Fill) -> bool:
        """Store ``fill``; False (and nothing written) when its trade id is already stored."""
        exists = self._conn.execute(
            "SELECT 1 FROM fills WHERE trade_id = ?", (fill.trade_id,)
        ).fetchone()
        if exists is not None:
            return False
        self._insert(
            "fills",
            {
                "trade_id": fill.trade_id,
                "exchange_order_id": fill.order_id,
                "client_order_id": fill.client_order_id,
                "symbol": fill.symbol,
                "side": fill.side.value,
                "price": str(fill.price),
                "quantity": str(fill.quantity),
                "fee": str(fill.fee),
                "tax": str(fill.tax),
                "fee_asset": fill.fee_asset,
                "traded_at": to_db_time(fill.timestamp),
            },
        )
        return True

    def unapplied(self) -> list[Fill]:
        """Fills the ledger has not booked yet, in trade order (time, then trade id)."""
        rows = self._conn.execute(
            "SELECT * FROM fills WHERE ledger_applied = 0 ORDER BY traded_at, trade_id"
        ).fetchall()
        return [_fill(r) for r in rows]

    def mark_applied(self, trade_ids: Iterable[int]) -> None:
        """Record that the ledger booked these fills (commit it with the ledger snapshot)."""
        self._conn.executemany(
            "UPDATE fills SET ledger_applied = 1 WHERE trade_id = ?",
            [(t,) for t in trade_ids],
        )

    def all(self) -> list[Fill]:
        """Every fill, in trade order (histories, determinism fingerprints)."""
        rows = self._conn.execute("SELECT * FROM fills ORDER BY traded_at, trade_id").fetchall()
        return [_fill(r) for r in rows]

    def applied_ids(self) -> frozenset[int]:
        """The trade ids the ledger has booked (or set aside), as marked in the same commits."""
        rows = self._conn.execute("SELECT trade_id FROM fills WHERE ledger_applied = 1")
        return frozenset(int(r[0]) for r in rows.fetchall())

    def count(self) -> int:
        """How many fills are stored."""
        return int(self._conn.execute("SELECT count(*) FROM fills").fetchone()[0])
