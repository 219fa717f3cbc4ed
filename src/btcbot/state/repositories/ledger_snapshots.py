"""Ledger persistence: full snapshots when fills were booked, small valuation rows every cycle.

The ledger (``LedgerSnapshot``) changes only when a fill is booked, but its JSON grows with the
fill history, so it is appended only when its number of applied trade ids changed. The
valuation and the equity watermarks (peak, day open), which move with prices, go to one small
``valuations`` row per save, so a restart never loses a higher peak.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from btcbot.domain.ledger.codec import (
    snapshot_from_dict,
    snapshot_to_dict,
    watermark_from_dict,
    watermark_to_dict,
)
from btcbot.domain.ledger.types import LedgerSnapshot
from btcbot.domain.ledger.valuation import EquityWatermark, Valuation
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class StoredLedger:
    """The newest stored ledger, the newest watermarks and when the ledger was stored."""

    snapshot: LedgerSnapshot
    watermarks: tuple[EquityWatermark, ...]
    taken_at: datetime


class LedgerSnapshotRepository(Repository):
    """Store the ledger and its valuations; load the newest to rebuild after a restart."""

    def save(
        self,
        snapshot: LedgerSnapshot,
        *,
        at: datetime,
        watermarks: Sequence[EquityWatermark] = (),
        valuation: Valuation | None = None,
        moved: bool = False,
    ) -> bool:
        """Store ``snapshot`` if it booked new fills (or ``moved``), and a valuation row.

        ``moved`` says a capital flow changed the books without a fill (a deposit, a
        withdrawal, an accepted difference): the snapshot must be written then too.
        Returns True when a new ledger snapshot row was written.
        """
        written = self.save_snapshot(snapshot, at=at, moved=moved)
        if valuation is not None or watermarks:
            self.save_valuation(valuation, watermarks=watermarks, at=at)
        return written

    def save_snapshot(self, snapshot: LedgerSnapshot, *, at: datetime, moved: bool = False) -> bool:
        """Append ``snapshot`` unless nothing moved and the newest holds as many fills."""
        applied = len(snapshot.applied_trade_ids)
        row = self._conn.execute(
            "SELECT fills_applied FROM ledger_snapshots ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if not moved and row is not None and row["fills_applied"] == applied:
            return False
        snapshot_id = self._insert(
            "ledger_snapshots",
            {
                "taken_at": to_db_time(at),
                "fills_applied": applied,
                # Without the trade ids: the fills table marks them (linear storage).
                "snapshot": _json(snapshot_to_dict(snapshot, trade_ids=False)),
            },
        )
        for position in snapshot.positions:
            self._insert(
                "position_snapshots",
                {
                    "ledger_snapshot_id": snapshot_id,
                    "symbol": position.symbol,
                    "quantity": str(position.quantity),
                    "cost_basis": str(position.cost_basis),
                    "realized_pnl": str(position.realized_pnl),
                    "fees": str(position.fees),
                    "tax": str(position.tax),
                },
            )
        return True

    def save_valuation(
        self,
        valuation: Valuation | None,
        *,
        watermarks: Sequence[EquityWatermark],
        at: datetime,
    ) -> None:
        """Append one valuation row (figures as exact Decimal text) with the watermarks."""
        figures: dict[str, object] = {}
        if valuation is not None:
            figures = {
                "quote": valuation.quote,
                "equity": str(valuation.equity),
                "cash": str(valuation.cash),
                "realized_pnl": str(valuation.realized_pnl),
                "unrealized_pnl": str(valuation.unrealized_pnl),
                "fees": str(valuation.fees),
                "tax": str(valuation.tax),
                "peak_equity": str(valuation.peak_equity),
                "drawdown_pct": str(valuation.drawdown_pct),
                "daily_pnl": str(valuation.daily_pnl),
                "exposure": str(valuation.exposure),
            }
        self._insert(
            "valuations",
            {
                "taken_at": to_db_time(at),
                "watermarks": _json([watermark_to_dict(w) for w in watermarks]),
                **figures,
            },
        )

    def latest(self) -> StoredLedger | None:
        """The newest snapshot with the newest watermarks, or ``None`` before the first one."""
        row = self._conn.execute(
            "SELECT taken_at, snapshot FROM ledger_snapshots ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        marks = self._conn.execute(
            "SELECT watermarks FROM valuations ORDER BY id DESC LIMIT 1"
        ).fetchone()
        watermarks = () if marks is None else json.loads(marks["watermarks"])
        return StoredLedger(
            snapshot=snapshot_from_dict(json.loads(row["snapshot"])),
            watermarks=tuple(watermark_from_dict(w) for w in watermarks),
            taken_at=from_db_time(row["taken_at"]),
        )

    def recent_valuations(self, limit: int = 20) -> list[dict[str, str | None]]:
        """The newest ``limit`` valuation rows' figures, newest first, as exact text."""
        rows = self._conn.execute(
            "SELECT cycle_id, taken_at, quote, equity, cash, realized_pnl, unrealized_pnl, fees,"
            " tax, peak_equity, drawdown_pct, daily_pnl, exposure FROM valuations"
            " ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [dict(r) for r in rows]
