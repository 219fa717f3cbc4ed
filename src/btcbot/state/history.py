"""The trading history of a LIVE database, read for reports: read-only, no lock, no writes.

Opened with SQLite's read-only URI, so a report can run while the LIVE loop writes (WAL lets a
reader see the last committed state). Values stay as the text the writers stored; the report
turns them into numbers. A database of another role, or one that never traded, is refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from btcbot.domain.enums import Role
from btcbot.domain.errors import StateError
from btcbot.state.faults import storage_error
from btcbot.state.meta import read_meta
from btcbot.state.sqlite import connect_readonly

Row = dict[str, str | None]


@dataclass(frozen=True, slots=True)
class History:
    """Per-cycle valuations, fills and orders of one LIVE database, oldest first."""

    path: Path
    config_hash: str | None
    valuations: list[Row]
    fills: list[Row]
    orders: list[Row]


def _rows(conn: sqlite3.Connection, sql: str, *params: object) -> list[Row]:
    cursor = conn.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [
        {n: (None if v is None else str(v)) for n, v in zip(names, r, strict=True)}
        for r in cursor.fetchall()
    ]


def read_history(path: Path, *, start: str | None = None, end: str | None = None) -> History:
    """Valuations, fills and orders with ``start <= time < end`` (DB time text), oldest first."""
    conn = connect_readonly(path)
    try:
        meta = read_meta(conn, path)
        if meta.db_role is not Role.LIVE:
            raise StateError(
                f"{path} is the {meta.db_role.value.upper()} role's database: a report reads "
                "the LIVE database (its STATE_DB_PATH)"
            )
        lo, hi = start or "", end or "9999"
        valuations = _rows(
            conn,
            "SELECT taken_at, equity, cash, realized_pnl, unrealized_pnl, fees, tax, "
            "drawdown_pct, exposure, config_hash FROM valuations "
            "WHERE quote = 'TRY' AND taken_at >= ? AND taken_at < ? ORDER BY id",
            lo,
            hi,
        )
        fills = _rows(
            conn,
            "SELECT trade_id, exchange_order_id, client_order_id, symbol, side, price, quantity, "
            "fee, tax, traded_at FROM fills WHERE traded_at >= ? AND traded_at < ? "
            "ORDER BY traded_at, trade_id",
            lo,
            hi,
        )
        orders = _rows(
            conn,
            "SELECT client_order_id, origin, symbol, side, method, price, quantity, "
            "filled_quantity, state, exchange_order_id, created_at FROM orders "
            "WHERE created_at >= ? AND created_at < ? ORDER BY id",
            lo,
            hi,
        )
    except sqlite3.Error as exc:
        raise storage_error(exc, path, "read") from exc
    finally:
        conn.close()
    config = valuations[-1]["config_hash"] if valuations else None
    return History(path, config, valuations, fills, orders)
