"""Persisting the ledger: snapshots and watermarks as JSON-ready dicts, money as text."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from ledger_builders import T0, fill, new_ledger

from btcbot.domain.enums import Side
from btcbot.domain.errors import LedgerError
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.codec import (
    snapshot_from_dict,
    snapshot_to_dict,
    watermark_from_dict,
    watermark_to_dict,
)
from btcbot.domain.ledger.valuation import value


def _busy_ledger() -> Ledger:
    ledger = new_ledger(adopt=True)
    ledger.apply_fill(fill(1, Side.BUY, "2000000.5", "0.00012345", fee="0.31", tax="0.06"))
    ledger.apply_fill(
        fill(2, Side.BUY, "51000", "1.5", symbol="ETHTRY", fee="0.0015", fee_asset="ETH")
    )
    ledger.apply_fill(
        fill(3, Side.SELL, "2100000", "0.0002", fee="0.42", at=T0 + timedelta(hours=12))
    )
    return ledger


def test_snapshot_survives_a_json_round_trip_exactly() -> None:
    """A snapshot written as JSON and read back equals the original, digit for digit."""
    snapshot = _busy_ledger().snapshot()
    text = json.dumps(snapshot_to_dict(snapshot))
    restored = snapshot_from_dict(json.loads(text))
    assert restored == snapshot
    assert [str(p.cost_basis) for p in restored.positions] == [
        str(p.cost_basis) for p in snapshot.positions
    ]


def test_a_restored_ledger_keeps_refusing_applied_trade_ids() -> None:
    """After a restore from storage, a fill applied before the restart is still a no-op."""
    ledger = _busy_ledger()
    stored = json.dumps(snapshot_to_dict(ledger.snapshot()))
    restored = Ledger.from_snapshot(snapshot_from_dict(json.loads(stored)))
    assert not restored.apply_fill(fill(2, Side.BUY, "1", "1", symbol="ETHTRY"))
    restored.check_invariants()


def test_money_is_stored_as_text() -> None:
    """Every amount in the stored form is a string, so no float ever touches money."""
    data = snapshot_to_dict(_busy_ledger().snapshot())
    assert data["cash"] == [["TRY", str(_busy_ledger().cash("TRY"))]]
    assert all(isinstance(v, str) for p in data["positions"] for v in p.values())


def test_watermark_round_trips() -> None:
    """A watermark written and read back is equal to the original."""
    marks = {"BTCTRY": Decimal(2100000), "ETHTRY": Decimal(50000)}
    _, watermark = value(_busy_ledger(), "TRY", marks, T0)
    assert watermark_from_dict(json.loads(json.dumps(watermark_to_dict(watermark)))) == watermark


def test_a_watermark_stored_without_its_last_gain_reads_back_without_it() -> None:
    """Watermarks written before ``last_gain`` existed keep ``None``, not the text "None"."""
    _, watermark = value(_busy_ledger(), "TRY", {"BTCTRY": Decimal(1), "ETHTRY": Decimal(1)}, T0)
    old = watermark._replace(last_gain=None)
    stored = json.loads(json.dumps(watermark_to_dict(old)))
    assert stored["last_gain"] is None
    assert watermark_from_dict(stored) == old


def test_the_trade_ids_can_be_left_out() -> None:
    """``trade_ids=False`` writes an empty list, however many trades were applied."""
    data = snapshot_to_dict(_busy_ledger().snapshot(), trade_ids=False)
    assert data["applied_trade_ids"] == []
    assert snapshot_to_dict(_busy_ledger().snapshot())["applied_trade_ids"] != []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.pop("cash"), "stored ledger snapshot is malformed: KeyError"),
        (lambda d: d.update(version=99), "ledger snapshot version 99 is not supported"),
        (lambda d: d["positions"][0].update(quantity="lots"), "malformed"),
        (lambda d: d["days"][0].update(day="yesterday"), "malformed"),
    ],
)
def test_damaged_snapshots_raise_ledger_error(damage: Any, message: str) -> None:
    """A stored snapshot with a missing key, unknown version or bad value raises LedgerError."""
    data = snapshot_to_dict(_busy_ledger().snapshot())
    damage(data)
    with pytest.raises(LedgerError, match=message):
        snapshot_from_dict(data)


def test_a_watermark_without_an_offset_is_refused() -> None:
    """A watermark instant stored without a UTC offset raises LedgerError."""
    _, watermark = value(new_ledger(), "TRY", {}, T0)
    data = watermark_to_dict(watermark) | {"at": "2026-03-10T12:00:00"}
    with pytest.raises(LedgerError, match="offset"):
        watermark_from_dict(data)
    with pytest.raises(LedgerError, match="malformed"):
        watermark_from_dict({"quote": "TRY"})
