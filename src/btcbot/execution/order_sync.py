"""Pure rules for bringing a tracked order in line with what the exchange reports.

Reconciliation (``btcbot.services.reconciliation``) does the I/O; these functions decide.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

from btcbot.domain.enums import OrderMethod
from btcbot.domain.models import Order
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.observability.audit import AuditEvent, AuditKind

ADOPTED_PREFIX = "adopted-"
_STOP_METHODS = frozenset({OrderMethod.STOP_LIMIT, OrderMethod.STOP_MARKET})


def _filled(seen: Order) -> Decimal:
    """The filled amount; a zero is stored as ``0``, not as leftAmount's ``0E-16``."""
    filled = seen.filled_quantity
    return Decimal(0) if filled == 0 else filled


def synced(tracked: TrackedOrder, seen: Order, now: datetime) -> TrackedOrder | None:
    """``tracked`` updated to what the exchange says about it, or ``None`` when nothing changed.

    A pending cancel stays CANCEL_REQUESTED while the exchange still shows the order open
    (BtcTurk cancels asynchronously); Closed always becomes FILLED.
    """
    state = LocalOrderState.from_exchange(seen.status)
    if tracked.state is LocalOrderState.CANCEL_REQUESTED and state.is_live:
        state = LocalOrderState.CANCEL_REQUESTED
    changed = replace(
        tracked,
        state=state,
        exchange_order_id=seen.order_id,
        filled_quantity=_filled(seen),
        absent_checks=0,
    )
    if changed == tracked:
        return None
    return replace(changed, updated_at=now)


def adopted(seen: Order, now: datetime) -> TrackedOrder:
    """A record for an exchange order the database did not know (placed by hand or elsewhere)."""
    return TrackedOrder(
        client_order_id=f"{ADOPTED_PREFIX}{seen.order_id}",
        origin=OrderOrigin.ADOPTED,
        symbol=seen.symbol,
        side=seen.side,
        method=seen.method,
        price=seen.price,
        quantity=seen.quantity,
        state=LocalOrderState.from_exchange(seen.status),
        created_at=seen.created_at or now,
        updated_at=now,
        exchange_order_id=seen.order_id,
        exchange_client_id=seen.client_order_id,
        filled_quantity=_filled(seen),
    )


def follows_trigger(tracked: TrackedOrder, seen: Order) -> bool:
    """True when ``seen`` is the order a triggered stop of ``tracked`` spawned.

    BtcTurk cancels a triggered stop order and creates a new order (new id) with the same
    client id; the tracked order then follows the new id.
    """
    return (
        tracked.method in _STOP_METHODS
        and tracked.exchange_order_id is not None
        and seen.order_id > tracked.exchange_order_id
        and seen.method not in _STOP_METHODS
        and seen.client_order_id == tracked.exchange_client_id
    )


def is_spent_stop(tracked: TrackedOrder, seen: Order) -> bool:
    """True when ``seen`` is the cancelled stop order ``tracked`` left behind when it triggered."""
    return (
        tracked.method in _STOP_METHODS
        and seen.method in _STOP_METHODS
        and tracked.exchange_order_id is not None
        and seen.order_id < tracked.exchange_order_id
        and seen.client_order_id == tracked.exchange_client_id
    )


def absence_counts(
    tracked: TrackedOrder, *, now: datetime, window_start: datetime, settle: timedelta
) -> bool:
    """Whether a pass that did not find unresolved ``tracked`` is evidence that it never existed.

    Only when the searched window began before the order was created and the order is old
    enough for the exchange to have listed it (``settle``).
    """
    return window_start <= tracked.created_at and now - tracked.created_at >= settle


def audit_event(kind: AuditKind, order: TrackedOrder, now: datetime) -> AuditEvent:
    """The audit record of an adoption or a NOT_PLACED verdict (ids only, no amounts)."""
    return AuditEvent(
        kind=kind,
        at=now,
        actor="reconciliation",
        detail={
            "symbol": order.symbol,
            "client_order_id": order.client_order_id,
            "exchange_client_id": order.exchange_client_id,
            "exchange_order_id": order.exchange_order_id,
        },
    )


def describe(seen: Order) -> str:
    """One line for an order's history: what the exchange reported."""
    return (
        f"exchange id {seen.order_id} status {seen.status.value}"
        f" filled {seen.filled_quantity} of {seen.quantity}"
    )
