"""Ledger snapshots and equity watermarks to and from JSON-ready dicts (money as text).

Decimals become strings (``str(Decimal)`` round-trips exactly, exponent included), dates and
instants ISO 8601. ``json.dumps(snapshot_to_dict(s))`` is what the state layer stores as TEXT.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from btcbot.domain.errors import LedgerError
from btcbot.domain.ledger.types import (
    DayTotals,
    Holding,
    LedgerSnapshot,
    Opening,
    Pair,
    Position,
)
from btcbot.domain.ledger.valuation import EquityWatermark

FORMAT_VERSION = 1

_POSITION_MONEY = ("quantity", "cost_basis", "realized_pnl", "fees", "tax", "adopted_quantity")


def snapshot_to_dict(snapshot: LedgerSnapshot, *, trade_ids: bool = True) -> dict[str, Any]:
    """A JSON-ready dict of ``snapshot``.

    ``trade_ids=False`` leaves the applied trade ids out (an empty list): the live database
    already marks each booked fill, so repeating every id in every snapshot row would make the
    snapshots grow with the square of the fills; ``Bookkeeper`` restores them from the fills.
    """
    opening = snapshot.opening
    return {
        "version": FORMAT_VERSION,
        "opening": {
            "pairs": [[p.symbol, p.base, p.quote] for p in opening.pairs],
            "cash": _amounts(opening.cash),
            "holdings": [[h.symbol, str(h.quantity), str(h.cost_basis)] for h in opening.holdings],
            "adopt_shortfalls": opening.adopt_shortfalls,
        },
        "capital": _amounts(snapshot.capital),
        "cash": _amounts(snapshot.cash),
        "positions": [
            {"symbol": p.symbol} | {name: str(getattr(p, name)) for name in _POSITION_MONEY}
            for p in snapshot.positions
        ],
        "days": [
            {
                "day": d.day.isoformat(),
                "quote": d.quote,
                "realized_pnl": str(d.realized_pnl),
                "fees": str(d.fees),
                "tax": str(d.tax),
                "fills": d.fills,
            }
            for d in snapshot.days
        ],
        "applied_trade_ids": list(snapshot.applied_trade_ids) if trade_ids else [],
    }


def snapshot_from_dict(data: Mapping[str, Any]) -> LedgerSnapshot:
    """The snapshot ``snapshot_to_dict`` wrote; LedgerError when the dict is not one."""
    try:
        if data["version"] != FORMAT_VERSION:
            raise LedgerError(f"ledger snapshot version {data['version']} is not supported")
        raw = data["opening"]
        opening = Opening(
            pairs=tuple(Pair(s, b, q) for s, b, q in raw["pairs"]),
            cash=_read_amounts(raw["cash"]),
            holdings=tuple(Holding(s, Decimal(q), Decimal(c)) for s, q, c in raw["holdings"]),
            adopt_shortfalls=bool(raw["adopt_shortfalls"]),
        )
        positions = tuple(
            Position(p["symbol"], *(Decimal(p[name]) for name in _POSITION_MONEY))
            for p in data["positions"]
        )
        days = tuple(
            DayTotals(
                date.fromisoformat(d["day"]),
                d["quote"],
                Decimal(d["realized_pnl"]),
                Decimal(d["fees"]),
                Decimal(d["tax"]),
                int(d["fills"]),
            )
            for d in data["days"]
        )
        return LedgerSnapshot(
            opening=opening,
            capital=_read_amounts(data["capital"]),
            cash=_read_amounts(data["cash"]),
            positions=positions,
            days=days,
            applied_trade_ids=tuple(int(i) for i in data["applied_trade_ids"]),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise LedgerError(f"stored ledger snapshot is malformed: {exc!r}") from exc


def watermark_to_dict(watermark: EquityWatermark) -> dict[str, Any]:
    """A JSON-ready dict of ``watermark``."""
    return {
        "quote": watermark.quote,
        "peak_gain": str(watermark.peak_gain),
        "day": watermark.day.isoformat(),
        "day_open_gain": str(watermark.day_open_gain),
        "at": watermark.at.isoformat(),
        "last_gain": None if watermark.last_gain is None else str(watermark.last_gain),
    }


def watermark_from_dict(data: Mapping[str, Any]) -> EquityWatermark:
    """The watermark ``watermark_to_dict`` wrote; LedgerError when the dict is not one."""
    try:
        watermark = EquityWatermark(
            quote=data["quote"],
            peak_gain=Decimal(data["peak_gain"]),
            day=date.fromisoformat(data["day"]),
            day_open_gain=Decimal(data["day_open_gain"]),
            at=datetime.fromisoformat(data["at"]),
            last_gain=None if data.get("last_gain") is None else Decimal(data["last_gain"]),
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise LedgerError(f"stored equity watermark is malformed: {exc!r}") from exc
    if watermark.at.tzinfo is None:
        raise LedgerError("stored equity watermark has an instant without a UTC offset")
    return watermark


def _amounts(items: tuple[tuple[str, Decimal], ...]) -> list[list[str]]:
    return [[asset, str(amount)] for asset, amount in items]


def _read_amounts(items: list[list[str]]) -> tuple[tuple[str, Decimal], ...]:
    return tuple((asset, Decimal(amount)) for asset, amount in items)
