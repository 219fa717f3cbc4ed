"""``ExecutionService``: the only code that submits or cancels orders.

Per approved intent, in this order (docs/EXECUTION.md):

1. refuse if the symbol has an unresolved (PENDING_SUBMIT / UNKNOWN) order;
2. re-check ``TradingArmedPolicy`` with a fresh look at the kill file (a persisted HALTED
   trading state refuses too: risk should never have approved the intent);
3. derive the deterministic client order id and COMMIT the intent as PENDING_SUBMIT in its
   own unit of work -- before any byte goes to the exchange, so a crash cannot lose it;
4. POST once. An ack records the exchange id (SUBMITTED); a definitive refusal records
   REJECTED with its code; an unknown outcome records UNKNOWN and is never re-sent --
   reconciliation finds the order by client id or proves it absent (NOT_PLACED).

Cancels (TTL and disarm) live in ``btcbot.execution.cancels``; they are allowed whatever the
arming, kill-switch or trading state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from btcbot.adapters.clock import Clock
from btcbot.domain.errors import (
    AmbiguousOrderError,
    AuthenticationError,
    ExchangeError,
    ExchangeRejectError,
    ExchangeUnavailableError,
    RateLimitedError,
    TradeBlockedError,
)
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.domain.trading import ApprovedOrderIntent, TradingState
from btcbot.execution.cancels import OrderCanceller
from btcbot.execution.client_ids import client_order_id
from btcbot.execution.ports import OrderGateway, UnitOfWorkFactory
from btcbot.execution.report import ExecutionReport, SubmitOutcome, SubmitResult
from btcbot.observability.logging import get_logger
from btcbot.risk.kill_switch import KillSwitchProbe
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts

_log = get_logger(__name__)
FactsSource = Callable[[], TradingFacts]
"""Returns the current arming facts (settings plus the database's armed flag)."""


class ExecutionService:
    """Submits approved intents exactly once each and records every step before acting on it."""

    def __init__(
        self,
        *,
        gateway: OrderGateway,
        uow_factory: UnitOfWorkFactory,
        policy: TradingArmedPolicy,
        facts: FactsSource,
        kill_probe: KillSwitchProbe,
        clock: Clock,
        order_ttl: timedelta,
    ) -> None:
        self._canceller = OrderCanceller(
            gateway=gateway,
            uow_factory=uow_factory,
            policy=policy,
            facts=facts,
            clock=clock,
            order_ttl=order_ttl,
        )
        self._gateway = gateway
        self._uow = uow_factory
        self._policy = policy
        self._facts = facts
        self._kill_probe = kill_probe
        self._clock = clock

    def unresolved_symbols(self) -> frozenset[str]:
        """Symbols blocked by an order whose existence is unknown (risk should skip them too)."""
        with self._uow(None) as uow:
            return uow.orders.unresolved_symbols()

    def cancel_stale(self, cycle_id: str) -> ExecutionReport:
        """Cancel the bot's orders older than the TTL; allowed in every trading state."""
        return self._canceller.cancel_stale(cycle_id)

    def cancel_all_open(self, cycle_id: str, why: str) -> ExecutionReport:
        """Cancel every live order (disarm / kill file); allowed in every trading state."""
        return self._canceller.cancel_all_open(cycle_id, why)

    def execute(self, cycle_id: str, intents: Sequence[ApprovedOrderIntent]) -> ExecutionReport:
        """Submit ``intents`` of cycle ``cycle_id``; one outcome per intent, in order."""
        with self._uow(None) as uow:
            blocked = set(uow.orders.unresolved_symbols())
            state = uow.trading_state.current_state()
        # Risk already refuses new orders when HALTED; this second look fails closed if it did not.
        refusal = "trading state is HALTED" if state is TradingState.HALTED else None
        outcomes: list[SubmitOutcome] = []
        for approved in intents:
            cid = client_order_id(cycle_id, approved.index, approved.symbol, approved.side)
            if approved.symbol in blocked:
                outcomes.append(_outcome(approved, cid, SubmitResult.SYMBOL_UNRESOLVED))
                continue
            if refusal is None:
                refusal = self._submit_refusal()
            if refusal is not None:
                outcomes.append(_outcome(approved, cid, SubmitResult.BLOCKED, refusal))
                continue
            outcome = self._submit_one(cycle_id, approved, cid)
            outcomes.append(outcome)
            if outcome.result is SubmitResult.UNKNOWN:
                blocked.add(approved.symbol)
        return ExecutionReport(submits=tuple(outcomes))

    def _submit_refusal(self) -> str | None:
        """Why a submit may not go out now (policy + a fresh kill-file look), or ``None``."""
        kill_reason = self._kill_probe()
        facts = self._facts()
        if kill_reason is not None:
            facts = replace(facts, kill_file_present=True)
        try:
            self._policy.check_submit(facts)
        except TradeBlockedError as exc:
            _log.warning("submit_blocked", reason=str(exc), kill_file=kill_reason)
            return str(exc)
        return None

    def _submit_one(self, cycle_id: str, approved: ApprovedOrderIntent, cid: str) -> SubmitOutcome:
        order = pending_order(cycle_id, approved, cid, self._clock.now())
        with self._uow(cycle_id) as uow:
            if uow.orders.get(cid) is not None:
                _log.warning("intent_already_recorded", client_order_id=cid)
                return _outcome(approved, cid, SubmitResult.ALREADY_RECORDED)
            uow.orders.add(order, event="intent_recorded")
            uow.commit()
        return self._send(cycle_id, approved, order)

    def _send(
        self, cycle_id: str, approved: ApprovedOrderIntent, order: TrackedOrder
    ) -> SubmitOutcome:
        cid = order.client_order_id
        try:
            ack = self._gateway.submit_order(approved.to_request(cid))
        except AmbiguousOrderError as exc:
            self._record(cycle_id, order, LocalOrderState.UNKNOWN, "submit_ambiguous", str(exc))
            return _outcome(approved, cid, SubmitResult.UNKNOWN, str(exc))
        except (ExchangeRejectError, AuthenticationError, RateLimitedError) as exc:
            code = str(getattr(exc, "code", None) or type(exc).__name__)
            rejected = replace(order, reject_code=code, reject_reason=str(exc))
            self._record(cycle_id, rejected, LocalOrderState.REJECTED, "submit_rejected", str(exc))
            return _outcome(approved, cid, SubmitResult.REJECTED, str(exc))
        except ExchangeUnavailableError as exc:
            # The client raises this on a POST only when no byte left this machine.
            self._record(cycle_id, order, LocalOrderState.NOT_PLACED, "submit_not_sent", str(exc))
            return _outcome(approved, cid, SubmitResult.NOT_PLACED, str(exc))
        except ExchangeError as exc:
            # An unreadable answer to an accepted POST is as ambiguous as a timeout.
            self._record(cycle_id, order, LocalOrderState.UNKNOWN, "submit_unclear", str(exc))
            return _outcome(approved, cid, SubmitResult.UNKNOWN, str(exc))
        except BaseException as exc:
            # A bug or an interrupt mid-POST: the order may exist, so it must not look absent.
            self._record(cycle_id, order, LocalOrderState.UNKNOWN, "submit_crashed", repr(exc))
            raise
        placed = replace(order, exchange_order_id=ack.order_id)
        self._record(cycle_id, placed, LocalOrderState.SUBMITTED, "submit_acked", "")
        _log.info("order_submitted", client_order_id=cid, exchange_order_id=ack.order_id)
        return _outcome(approved, cid, SubmitResult.SUBMITTED, exchange_order_id=ack.order_id)

    def _record(
        self, cycle_id: str, order: TrackedOrder, state: LocalOrderState, event: str, detail: str
    ) -> None:
        moved = replace(order, state=state, updated_at=self._clock.now())
        with self._uow(cycle_id) as uow:
            uow.orders.save(moved, event=event, detail=detail)
            uow.commit()
        if state is not LocalOrderState.SUBMITTED:
            _log.warning(event, client_order_id=order.client_order_id, state=state.value)


def _outcome(
    approved: ApprovedOrderIntent,
    cid: str,
    result: SubmitResult,
    detail: str = "",
    exchange_order_id: int | None = None,
) -> SubmitOutcome:
    return SubmitOutcome(
        client_order_id=cid,
        symbol=approved.symbol,
        side=approved.side,
        result=result,
        detail=detail,
        exchange_order_id=exchange_order_id,
    )


def pending_order(
    cycle_id: str, approved: ApprovedOrderIntent, cid: str, now: datetime
) -> TrackedOrder:
    """The record committed before an order POST: the intent as PENDING_SUBMIT."""
    intent = approved.intent
    return TrackedOrder(
        client_order_id=cid,
        origin=OrderOrigin.BOT,
        symbol=intent.symbol,
        side=intent.side,
        method=intent.method,
        price=intent.price,
        quantity=intent.quantity,
        state=LocalOrderState.PENDING_SUBMIT,
        created_at=now,
        updated_at=now,
        cycle_id=cycle_id,
        intent_index=approved.index,
        exchange_client_id=cid,
    )
