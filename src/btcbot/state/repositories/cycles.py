"""The cycle journal: cycles, the strategy's signals and what risk made of them."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from btcbot.domain.cycle_records import CycleRecord
from btcbot.domain.errors import StateError
from btcbot.domain.trading import ApprovedOrderIntent, DustPosition, RiskDecision, Signal
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


def _cycle(row: sqlite3.Row) -> CycleRecord:
    return CycleRecord(
        cycle_id=row["cycle_key"],
        number=row["number"],
        started_at=from_db_time(row["started_at"]),
        finished_at=None if row["finished_at"] is None else from_db_time(row["finished_at"]),
        outcome=row["outcome"],
        error=row["error"],
        orders_submitted=row["orders_submitted"],
        fills=row["fills"],
    )


class CycleRepository(Repository):
    """Start and finish cycle records; read the recent ones."""

    def start(self, record: CycleRecord) -> None:
        """Insert a cycle; ``StateError`` if the id was used before (ids must be unique)."""
        try:
            self._insert(
                "cycles",
                {
                    "cycle_key": record.cycle_id,
                    "number": record.number,
                    "started_at": to_db_time(record.started_at),
                },
            )
        except sqlite3.IntegrityError as exc:
            raise StateError(f"cycle id {record.cycle_id} is already recorded") from exc

    def finish(self, record: CycleRecord) -> None:
        """Store how ``record`` ended (``finished_at`` and ``outcome`` must be set)."""
        if record.finished_at is None or record.outcome is None:
            raise StateError(f"cycle {record.cycle_id}: finish needs finished_at and outcome")
        cursor = self._conn.execute(
            "UPDATE cycles SET finished_at = ?, outcome = ?, error = ?, orders_submitted = ?,"
            " fills = ? WHERE cycle_key = ?",
            (
                to_db_time(record.finished_at),
                record.outcome,
                record.error,
                record.orders_submitted,
                record.fills,
                record.cycle_id,
            ),
        )
        if cursor.rowcount != 1:
            raise StateError(f"cycle {record.cycle_id} was never started")

    def get(self, cycle_id: str) -> CycleRecord | None:
        """The cycle stored under ``cycle_id``."""
        row = self._conn.execute("SELECT * FROM cycles WHERE cycle_key = ?", (cycle_id,)).fetchone()
        return None if row is None else _cycle(row)

    def recent(self, limit: int = 20) -> list[CycleRecord]:
        """The newest ``limit`` cycles, newest first."""
        rows = self._conn.execute("SELECT * FROM cycles ORDER BY id DESC LIMIT ?", (limit,))
        return [_cycle(r) for r in rows.fetchall()]

    def last_number(self) -> int:
        """The highest cycle number recorded (0 for a fresh database)."""
        row = self._conn.execute("SELECT max(number) FROM cycles").fetchone()
        return int(row[0] or 0)


class DecisionRepository(Repository):
    """Append the strategy's signals and risk's decisions of a cycle."""

    def add_signal(self, signal: Signal) -> None:
        """Record one signal as the strategy produced it."""
        self._insert(
            "signals",
            {
                "symbol": signal.symbol,
                "side": signal.side.value,
                "size_hint": str(signal.size_hint),
                "reason": signal.reason,
                "strategy": signal.strategy,
                "as_of": to_db_time(signal.as_of),
            },
        )

    def add_decision(self, decision: RiskDecision, *, at: datetime) -> None:
        """Record what risk made of one signal: approved, rejected (typed reason) or dust."""
        outcome = decision.outcome
        row: dict[str, object] = {
            "decided_at": to_db_time(at),
            "symbol": decision.signal.symbol,
            "side": decision.signal.side.value,
        }
        if isinstance(outcome, ApprovedOrderIntent):
            intent = outcome.intent
            row |= {
                "outcome": "approved",
                "reason": None,
                "detail": intent.reason,
                "intent_index": outcome.index,
                "price": str(intent.price),
                "quantity": str(intent.quantity),
            }
        elif isinstance(outcome, DustPosition):
            row |= {
                "outcome": "dust",
                "reason": "dust",
                "detail": f"{outcome.quantity} worth {outcome.notional} < {outcome.min_notional}",
                "quantity": str(outcome.quantity),
            }
        else:
            row |= {"outcome": "rejected", "reason": outcome.reason.value, "detail": outcome.detail}
        self._insert("risk_decisions", row)

    def decisions(self, cycle_id: str) -> list[dict[str, str | None]]:
        """The decisions of one cycle as plain text fields, in the order they were made."""
        rows = self._conn.execute(
            "SELECT symbol, side, outcome, reason, detail, price, quantity FROM risk_decisions"
            " WHERE cycle_id = ? ORDER BY id",
            (cycle_id,),
        ).fetchall()
        return [dict(r) for r in rows]

    def recent_decisions(self, limit: int = 50) -> list[dict[str, str | None]]:
        """The newest ``limit`` decisions, newest first, as plain text fields."""
        rows = self._conn.execute(
            "SELECT cycle_id, decided_at, symbol, side, outcome, reason, detail, price, quantity"
            " FROM risk_decisions ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [dict(r) for r in rows]
