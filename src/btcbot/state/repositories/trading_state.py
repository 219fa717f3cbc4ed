"""The persistent trading state (ACTIVE / REDUCING / HALTED): newest change wins, kept forever."""

from __future__ import annotations

import sqlite3

from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.trading import StateCause, TradingState
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


def _change(row: sqlite3.Row) -> TradingStateChange:
    return TradingStateChange(
        state=TradingState(row["state"]),
        reason=row["reason"],
        changed_at=from_db_time(row["changed_at"]),
        cause=StateCause(row["cause"]),
    )


class TradingStateRepository(Repository):
    """Record state changes; the newest row is the current state (none recorded: ACTIVE)."""

    def record(self, change: TradingStateChange) -> None:
        """Append ``change``; it becomes the current state."""
        self._insert(
            "trading_state_changes",
            {
                "state": change.state.value,
                "reason": change.reason,
                "changed_at": to_db_time(change.changed_at),
                "cause": change.cause.value,
            },
        )

    def current(self) -> TradingStateChange | None:
        """The newest change, or ``None`` when the state was never changed (ACTIVE)."""
        row = self._conn.execute(
            "SELECT * FROM trading_state_changes ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return None if row is None else _change(row)

    def current_state(self) -> TradingState:
        """The current state, ACTIVE when none was ever recorded."""
        change = self.current()
        return TradingState.ACTIVE if change is None else change.state

    def history(self, limit: int = 20) -> list[TradingStateChange]:
        """The newest ``limit`` changes, newest first."""
        rows = self._conn.execute(
            "SELECT * FROM trading_state_changes ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_change(r) for r in rows]
