"""Cancelling orders: stale ones past their TTL, and every open one on disarm.

Cancels only ever reduce exposure, so they go out whatever the arming, kill-switch or trading
state (only the process role and the exchange mode can forbid them). BtcTurk cancels
asynchronously: a 200 means "accepted for cancel", so the order moves to CANCEL_REQUESTED and
reconciliation moves it to CANCELED (or FILLED, if a fill won the race) when the exchange says
so. A cancel request that has not taken effect after another TTL is sent again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from btcbot.adapters.clock import Clock
from btcbot.domain.enums import OrderMethod
from btcbot.domain.errors import (
    AmbiguousOrderError,
    ExchangeError,
    ExchangeRejectError,
    OrderNotFoundError,
    TradeBlockedError,
)
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.execution.ports import OrderGateway, UnitOfWorkFactory
from btcbot.execution.report import CancelOutcome, CancelResult, ExecutionReport
from btcbot.observability.logging import get_logger
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts

_log = get_logger(__name__)

_CANCELABLE = (
    LocalOrderState.SUBMITTED,
    LocalOrderState.OPEN,
    LocalOrderState.PARTIALLY_FILLED,
    LocalOrderState.CANCEL_REQUESTED,
)


class OrderCanceller:
    """Sends cancels for orders the database knows to be live, and records what happened."""

    def __init__(
        self,
        *,
        gateway: OrderGateway,
        uow_factory: UnitOfWorkFactory,
        policy: TradingArmedPolicy,
        facts: Callable[[], TradingFacts],
        clock: Clock,
        order_ttl: timedelta,
    ) -> None:
        if order_ttl <= timedelta(0):
            raise ValueError("order_ttl must be positive")
        self._gateway = gateway
        self._uow = uow_factory
        self._policy = policy
        self._facts = facts
        self._clock = clock
        self._ttl = order_ttl

    def cancel_stale(self, cycle_id: str) -> ExecutionReport:
        """Cancel the bot's own orders older than the TTL (re-send stuck cancel requests)."""
        now = self._clock.now()
        stale = [
            o
            for o in self._live_orders()
            if o.origin is OrderOrigin.BOT and now - o.created_at >= self._ttl
        ]
        return self._cancel(cycle_id, stale, why="ttl")

    def cancel_all_open(self, cycle_id: str, why: str) -> ExecutionReport:
        """Cancel every live order the database knows, adopted ones included (disarm)."""
        return self._cancel(cycle_id, self._live_orders(), why=why)

    def _live_orders(self) -> list[TrackedOrder]:
        with self._uow(None) as uow:
            orders = uow.orders.in_states(_CANCELABLE)
        now = self._clock.now()
        # Market orders cannot be cancelled on BtcTurk; they fill or expire by themselves. A
        # cancel already accepted is given one TTL to take effect before it is sent again.
        return [
            o
            for o in orders
            if o.exchange_order_id is not None
            and o.method is not OrderMethod.MARKET
            and not (
                o.state is LocalOrderState.CANCEL_REQUESTED
                and o.cancel_requested_at is not None
                and now - o.cancel_requested_at < self._ttl
            )
        ]

    def _cancel(self, cycle_id: str, orders: list[TrackedOrder], *, why: str) -> ExecutionReport:
        if not orders:
            return ExecutionReport()
        try:
            self._policy.check_cancel(self._facts())
        except TradeBlockedError as exc:
            return ExecutionReport(
                cancels=tuple(
                    CancelOutcome(o.client_order_id, o.symbol, CancelResult.BLOCKED, why, str(exc))
                    for o in orders
                )
            )
        return ExecutionReport(cancels=tuple(self._cancel_one(cycle_id, o, why) for o in orders))

    def _cancel_one(self, cycle_id: str, order: TrackedOrder, why: str) -> CancelOutcome:
        if order.exchange_order_id is None:  # pragma: no cover - filtered by _live_orders
            raise ValueError("cannot cancel an order without an exchange id")
        try:
            self._gateway.cancel_order(order.exchange_order_id)
        except OrderNotFoundError as exc:
            result, detail = CancelResult.NOT_FOUND, str(exc)
        except ExchangeRejectError as exc:
            result, detail = CancelResult.REFUSED, str(exc)
        except AmbiguousOrderError as exc:
            result, detail = CancelResult.AMBIGUOUS, str(exc)
        except ExchangeError as exc:
            result, detail = CancelResult.FAILED, str(exc)
        else:
            result, detail = CancelResult.REQUESTED, ""
        self._record(cycle_id, order, result, why, detail)
        return CancelOutcome(order.client_order_id, order.symbol, result, why, detail)

    def _record(
        self, cycle_id: str, order: TrackedOrder, result: CancelResult, why: str, detail: str
    ) -> None:
        now = self._clock.now()
        if result in (CancelResult.REQUESTED, CancelResult.AMBIGUOUS):
            # An ambiguous cancel may have worked; waiting one TTL before re-sending is harmless.
            changed = replace(
                order,
                state=LocalOrderState.CANCEL_REQUESTED,
                cancel_requested_at=now,
                updated_at=now,
            )
        else:
            # The status is left for reconciliation (NOT_FOUND/REFUSED usually mean it already
            # filled or was cancelled); a FAILED attempt is simply tried again next time.
            changed = replace(order, updated_at=now)
        with self._uow(cycle_id) as uow:
            uow.orders.save(changed, event=f"cancel_{result.value}", detail=f"{why}: {detail}")
            uow.commit()
        _log.info(
            "cancel_attempted", client_order_id=order.client_order_id, result=result.value, why=why
        )
