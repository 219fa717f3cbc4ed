"""The pure order-sync rules: exchange status to local state, adoption, stop triggers, absence."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from execution_fakes import T0, exchange_order

from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.execution.order_sync import absence_counts, adopted, follows_trigger, synced

CID = "bb-c1-0-BTCTRY-b"


def _tracked(
    state: LocalOrderState,
    *,
    method: OrderMethod = OrderMethod.LIMIT,
    exchange_order_id: int | None = 7,
) -> TrackedOrder:
    return TrackedOrder(
        client_order_id=CID,
        origin=OrderOrigin.BOT,
        symbol="BTCTRY",
        side=Side.BUY,
        method=method,
        price=Decimal(3_000_000),
        quantity=Decimal("0.01"),
        state=state,
        created_at=T0,
        updated_at=T0,
        exchange_order_id=exchange_order_id,
        exchange_client_id=CID,
    )


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
