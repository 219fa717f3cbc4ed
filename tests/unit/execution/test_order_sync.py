"""The pure order-sync rules: exchange status to local state, adoption, stop triggers, absence."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from execution_fakes import T0, exchange_order, tracked_order

from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.execution.order_sync import (
    absence_counts,
    adopted,
    audit_event,
    follows_trigger,
    is_spent_stop,
    synced,
)
from btcbot.observability.audit import AuditKind

CID = "bb-c1-0-BTCTRY-b"


def _tracked(
    state: LocalOrderState,
    *,
    method: OrderMethod = OrderMethod.LIMIT,
    exchange_order_id: int | None = 7,
) -> TrackedOrder:
    return tracked_order(CID, state, T0, method=method, exchange_order_id=exchange_order_id)


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (OrderStatus.OPEN, LocalOrderState.OPEN),
        (OrderStatus.PARTIALLY_FILLED, LocalOrderState.PARTIALLY_FILLED),
        (OrderStatus.FILLED, LocalOrderState.FILLED),
        (OrderStatus.CANCELED, LocalOrderState.CANCELED),
    ],
)
def test_exchange_status_maps_one_to_one(status: OrderStatus, expected: LocalOrderState) -> None:
    """Untouched/Partial/Closed/Canceled become OPEN/PARTIALLY_FILLED/FILLED/CANCELED."""
    new = synced(_tracked(LocalOrderState.SUBMITTED), exchange_order(7, CID, status=status), T0)
    assert new is not None
    assert new.state is expected


def test_nothing_changed_means_no_write() -> None:
    """An order already in line with the exchange yields None (no history row)."""
    current = _tracked(LocalOrderState.OPEN)
    assert synced(current, exchange_order(7, CID), T0 + timedelta(seconds=5)) is None


def test_pending_cancel_survives_an_open_report_but_not_a_fill() -> None:
    """CANCEL_REQUESTED stays while the exchange shows the order open; a fill still wins."""
    pending = _tracked(LocalOrderState.CANCEL_REQUESTED)
    still_open = synced(pending, exchange_order(7, CID, left="0.004"), T0)
    filled = synced(pending, exchange_order(7, CID, status=OrderStatus.FILLED, left="0"), T0)
    assert still_open is not None
    assert still_open.state is LocalOrderState.CANCEL_REQUESTED
    assert still_open.filled_quantity == Decimal("0.006")
    assert filled is not None
    assert filled.state is LocalOrderState.FILLED


def test_adopted_order_keeps_the_foreign_client_id() -> None:
    """An adopted order is keyed by its exchange id and keeps the exchange's client id."""
    record = adopted(exchange_order(99, "a-guid", status=OrderStatus.PARTIALLY_FILLED), T0)
    assert record.client_order_id == "adopted-99"
    assert record.exchange_client_id == "a-guid"
    assert record.origin is OrderOrigin.ADOPTED
    assert record.state is LocalOrderState.PARTIALLY_FILLED


def test_only_a_triggered_stop_is_followed() -> None:
    """A stop follows a newer non-stop order with its client id; a limit order never does."""
    stop = _tracked(LocalOrderState.OPEN, method=OrderMethod.STOP_LIMIT)
    spawned = exchange_order(8, CID)
    assert follows_trigger(stop, spawned)
    assert not follows_trigger(_tracked(LocalOrderState.OPEN), spawned)
    assert not follows_trigger(stop, exchange_order(6, CID))
    assert not follows_trigger(stop, exchange_order(8, "someone-else"))


def test_absence_counts_only_when_settled_and_covered() -> None:
    """An absence is evidence only after ``settle`` and for a window starting before creation."""
    order = _tracked(LocalOrderState.UNKNOWN, exchange_order_id=None)
    settle = timedelta(seconds=30)
    late = T0 + settle
    assert absence_counts(order, now=late, window_start=T0 - timedelta(minutes=5), settle=settle)
    assert not absence_counts(order, now=T0, window_start=T0, settle=settle)
    assert not absence_counts(
        order, now=late, window_start=T0 + timedelta(seconds=1), settle=settle
    )


def test_a_synced_order_takes_the_exchanges_fill_its_time_and_clears_its_absences() -> None:
    """Seen again: the filled amount and id are the exchange's, absences reset, stamped now."""
    missing = replace(_tracked(LocalOrderState.UNKNOWN, exchange_order_id=None), absent_checks=2)
    later = T0 + timedelta(minutes=3)
    seen = exchange_order(7, CID, quantity="2", left="1", status=OrderStatus.PARTIALLY_FILLED)
    moved = synced(missing, seen, later)
    assert moved is not None
    assert (moved.state, moved.exchange_order_id) == (LocalOrderState.PARTIALLY_FILLED, 7)
    assert moved.filled_quantity == Decimal(1)  # exactly one: not mistaken for "nothing filled"
    assert moved.absent_checks == 0
    assert (moved.created_at, moved.updated_at) == (T0, later)


def test_an_adopted_order_is_what_the_exchange_shows() -> None:
    """Every field of an adopted record comes from the exchange's order (price, fill, times)."""
    seen = exchange_order(99, "a-guid", quantity="2", left="1", status=OrderStatus.PARTIALLY_FILLED)
    record = adopted(seen, T0 + timedelta(minutes=1))
    assert (record.symbol, record.side, record.method) == ("BTCTRY", Side.BUY, OrderMethod.LIMIT)
    assert (record.price, record.quantity) == (Decimal(3_000_000), Decimal(2))
    assert record.filled_quantity == Decimal(1)
    assert (record.created_at, record.updated_at) == (T0, T0 + timedelta(minutes=1))
    assert record.exchange_order_id == 99
    nothing = adopted(exchange_order(98, "b-guid"), T0)
    assert str(nothing.filled_quantity) == "0"  # not left's exponent ("0.00")


def test_an_absence_counts_for_a_window_starting_at_the_orders_creation() -> None:
    """A search that began exactly when the order was created covered it."""
    order = _tracked(LocalOrderState.UNKNOWN, exchange_order_id=None)
    settle = timedelta(seconds=30)
    assert absence_counts(order, now=T0 + settle, window_start=T0, settle=settle)


def test_the_audit_record_names_the_order_by_its_ids() -> None:
    """Adoption and NOT_PLACED verdicts are audited by reconciliation, ids and symbol only."""
    order = _tracked(LocalOrderState.NOT_PLACED)
    event = audit_event(AuditKind.ORDER_ADOPTED, order, T0)
    assert (event.kind, event.at, event.actor) == (AuditKind.ORDER_ADOPTED, T0, "reconciliation")
    assert event.detail == {
        "symbol": "BTCTRY",
        "client_order_id": CID,
        "exchange_client_id": CID,
        "exchange_order_id": 7,
    }


def test_only_the_stop_a_trigger_left_behind_is_spent() -> None:
    """An older stop order with the tracked stop's client id is the leg it left when triggered."""
    stop = _tracked(LocalOrderState.OPEN, method=OrderMethod.STOP_LIMIT, exchange_order_id=8)
    leg = exchange_order(7, CID, method=OrderMethod.STOP_LIMIT, status=OrderStatus.CANCELED)
    assert is_spent_stop(stop, leg)
    assert not is_spent_stop(_tracked(LocalOrderState.OPEN, exchange_order_id=8), leg)
    assert not is_spent_stop(stop, replace(leg, method=OrderMethod.LIMIT))
    assert not is_spent_stop(replace(stop, exchange_order_id=None), leg)
    assert not is_spent_stop(stop, replace(leg, order_id=8))  # itself, not a leg
    assert not is_spent_stop(stop, replace(leg, order_id=9))
    assert not is_spent_stop(stop, replace(leg, client_order_id="someone-else"))
