"""``btcbot inspect``'s trading sections: orders, positions, PnL, recent cycles, risk decisions.

Read from the LIVE database without its lock (SQLite WAL lets a reader see the last commit
while the loop writes), only after the caller has run the read-only guards. Every value is text
exactly as stored (Decimals as their exact strings), so ``--json`` loses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from btcbot.domain.account import outside_totals
from btcbot.domain.orders import TrackedOrder
from btcbot.domain.records import AuditContext
from btcbot.state.repositories.account import ForeignOrderRepository, MovementRepository
from btcbot.state.repositories.cycles import CycleRepository, DecisionRepository
from btcbot.state.repositories.ledger_snapshots import LedgerSnapshotRepository
from btcbot.state.repositories.orders import OrderRepository
from btcbot.state.repositories.trading_state import TradingStateRepository
from btcbot.state.sqlite import reading

Row = dict[str, Any]


def _order(o: TrackedOrder) -> Row:
    return {
        "client_order_id": o.client_order_id,
        "symbol": o.symbol,
        "side": o.side.value,
        "price": None if o.price is None else str(o.price),
        "quantity": str(o.quantity),
        "filled": str(o.filled_quantity),
        "state": o.state.value,
        "exchange_id": o.exchange_order_id,
        "created_at": o.created_at.isoformat(),
    }


def trading_sections(db_path: Path, audit: AuditContext, *, limit: int = 10) -> dict[str, Any]:
    """The trading tables of the LIVE database, newest first, at most ``limit`` rows each."""
    with reading(db_path) as conn:
        orders = OrderRepository(conn, audit).recent(limit)
        stored = LedgerSnapshotRepository(conn, audit).latest()
        valuations = LedgerSnapshotRepository(conn, audit).recent_valuations(1)
        cycles = CycleRepository(conn, audit).recent(limit)
        decisions = DecisionRepository(conn, audit).recent_decisions(limit)
        state = TradingStateRepository(conn, audit).current()
        movements = MovementRepository(conn, audit)
        outside = outside_totals(movements.outside())
        recent_movements = movements.all()[-limit:]
        foreign = ForeignOrderRepository(conn, audit).open_rows()
    positions = [] if stored is None else stored.snapshot.positions
    return {
        "trading_state": None
        if state is None
        else {
            "state": state.state.value,
            "cause": state.cause.value,
            "reason": state.reason,
            "at": state.changed_at.isoformat(),
        },
        "pnl": valuations[0] if valuations else None,
        "positions": [
            {
                "symbol": p.symbol,
                "quantity": str(p.quantity),
                "avg_cost": str(p.avg_cost),
                "realized_pnl": str(p.realized_pnl),
                "fees": str(p.fees),
            }
            for p in positions
            if not p.is_flat or p.realized_pnl
        ],
        "orders": [_order(o) for o in orders],
        # What the account holds beyond the bot's books (never the bot's to sell).
        "outside_the_books": [
            {"asset": asset, "amount": str(amount)}
            for asset, amount in sorted(outside.items())
            if amount
        ],
        "account_movements": [
            {
                "at": m.at.isoformat(),
                "kind": m.kind.value,
                "asset": m.asset,
                "delta": str(m.delta),
                "target": m.target.value,
            }
            for m in reversed(recent_movements)
        ],
        "foreign_orders": [
            {
                "exchange_id": r["exchange_order_id"],
                "client_id": r["exchange_client_id"],
                "symbol": r["symbol"],
                "side": r["side"],
                "price": r["price"],
                "quantity": r["quantity"],
                "status": r["status"],
                "first_seen": r["first_seen"],
            }
            for r in foreign
        ],
        "recent_cycles": [
            {
                "cycle_id": c.cycle_id,
                "started_at": c.started_at.isoformat(),
                "outcome": c.outcome,
                "orders": c.orders_submitted,
                "fills": c.fills,
                "error": c.error,
            }
            for c in cycles
        ],
        "risk_decisions": decisions,
    }


_SHOWN_PLACES = 8  # BtcTurk's finest scale: more digits than this are noise to a reader


def plain(value: object) -> str:
    """How a value reads on screen: a decimal as a plain number, never ``0E-16``.

    At most 8 places, trailing zeros dropped; ``None`` is empty. ``--json`` keeps the exact
    stored strings.
    """
    if value is None:
        return ""
    text = str(value)
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite() or text.strip().lower() in {"true", "false"}:
        return text
    shown = number.quantize(Decimal(1).scaleb(-_SHOWN_PLACES), rounding=ROUND_HALF_EVEN)
    out = format(shown.normalize(), "f")
    return "0" if out in {"-0", ""} else out


def render_section(title: str, value: object) -> str:
    """One section as text: a fixed-width table for rows, ``key: value`` lines for a record."""
    if value is None or value == []:
        return f"{title}: (none)"
    if isinstance(value, Mapping):
        width = max(len(str(k)) for k in value) + 2
        lines = [f"  {str(k) + ':':<{width}} {plain(v)}" for k, v in value.items()]
        return "\n".join([f"{title}:", *lines])
    if isinstance(value, Sequence) and not isinstance(value, str):
        rows = [dict(r) for r in value]
        columns = list(rows[0])
        cells = [[plain(r.get(c)) for c in columns] for r in rows]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
        header = "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))
        body = ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
        return "\n".join([f"{title}:", "  " + header, *("  " + line for line in body)])
    return f"{title}: {value}"
