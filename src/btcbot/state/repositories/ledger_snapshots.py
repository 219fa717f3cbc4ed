"""Ledger snapshots: the whole ledger as JSON per cycle, with its positions and headline figures."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from btcbot.domain.ledger_codec import (
    snapshot_from_dict,
    snapshot_to_dict,
    watermark_from_dict,
    watermark_to_dict,
)
from btcbot.domain.ledger_types import LedgerSnapshot
from btcbot.domain.ledger_valuation import EquityWatermark, Valuation
from btcbot.state.repositories.base import Repository, from_db_time, to_db_time


@dataclass(frozen=True, slots=True)
class StoredLedger:
    """The newest stored ledger: the snapshot, its watermarks and when it was taken."""

    snapshot: LedgerSnapshot
    watermarks: tuple[EquityWatermark, ...]
    taken_at: datetime


class LedgerSnapshotRepository(Repository):
    """Append a ledger snapshot per cycle; load the newest to rebuild the ledger after a restart."""

    def save(
        self,
        snapshot: LedgerSnapshot,
        *,
        at: datetime,
        watermarks: Sequence[EquityWatermark] = (),
        valuation: Valuation | None = None,
    ) -> int:
        """Store ``snapshot`` (plus ``valuation``'s headline figures, if given); returns its id."""
        document = {
            "ledger": snapshot_to_dict(snapshot),
            "watermarks": [watermark_to_dict(w) for w in watermarks],
        }
        figures: dict[str, object] = {}
        if valuation is not None:
            figures = {
                "equity": str(valuation.equity),
                "realized_pnl": str(valuation.realized_pnl),
                "unrealized_pnl": str(valuation.unrealized_pnl),
                "peak_equity": str(valuation.peak_equity),
                "drawdown_pct": str(valuation.drawdown_pct),
                "daily_pnl": str(valuation.daily_pnl),
            }
        snapshot_id = self._insert(
            "ledger_snapshots",
            {
                "taken_at": to_db_time(at),
                "snapshot": json.dumps(document, sort_keys=True, separators=(",", ":")),
                **figures,
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
        return snapshot_id

    def latest(self) -> StoredLedger | None:
        """The newest snapshot, or ``None`` before the first one."""
        row = self._conn.execute(
            "SELECT taken_at, snapshot FROM ledger_snapshots ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        document = json.loads(row["snapshot"])
        return StoredLedger(
            snapshot=snapshot_from_dict(document["ledger"]),
            watermarks=tuple(watermark_from_dict(w) for w in document["watermarks"]),
            taken_at=from_db_time(row["taken_at"]),
        )
