"""A trade row that cannot be booked is set aside, audited, and halts trading — once.

Bad data (a trade at price 0, a fee larger than the trade) must neither crash the loop nor be
booked: booking it would poison the ledger for good, and crashing on it would crash again on
every restart, each life trading before it dies. So the one place that meets it — storing a
reconciled trade (``Fill.problem``), or the ledger refusing one — calls ``quarantine``: a
``fill_quarantined`` audit event with the trade id, the symbol and the reason, and the trading
state HALTED with that reason (``inspect`` and the MONITOR show it; ``btcbot arm`` lifts it once
the operator has looked at the trade at the exchange). A trade quarantined before is recognised
by its id and never halts twice, so lifting the halt sticks.
"""

from __future__ import annotations

from datetime import datetime

from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.models import Fill, Order
from btcbot.domain.trading import StateCause, TradingState
from btcbot.execution.ports import TradingUnitOfWorkPort
from btcbot.observability.audit import AuditEvent, AuditKind
from btcbot.observability.logging import get_logger

_log = get_logger(__name__)
_REMEMBERED = 10_000  # quarantined trades looked back over: far more than ever happen


def is_quarantined(uow: TradingUnitOfWorkPort, trade_id: int) -> bool:
    """Whether trade ``trade_id`` was quarantined before."""
    events = uow.audit.recent(_REMEMBERED, kind=AuditKind.FILL_QUARANTINED)
    return any(e.detail.get("trade_id") == str(trade_id) for e in events)


def quarantine_order(uow: TradingUnitOfWorkPort, order: Order, reason: str, now: datetime) -> bool:
    """Set an order row aside and halt trading, once per exchange order id."""
    events = uow.audit.recent(_REMEMBERED, kind=AuditKind.ORDER_QUARANTINED)
    if any(e.detail.get("exchange_order_id") == str(order.order_id) for e in events):
        return False
    uow.audit.append(
        AuditEvent(
            kind=AuditKind.ORDER_QUARANTINED,
            at=now,
            actor="btcbot",
            detail={
                "exchange_order_id": str(order.order_id),
                "symbol": order.symbol,
                "reason": reason,
            },
        )
    )
    halt = (
        f"order {order.order_id} of {order.symbol} quarantined ({reason}): check it at the "
        "exchange, then 'btcbot arm'"
    )
    uow.trading_state.record(
        TradingStateChange(TradingState.HALTED, halt, now, StateCause.ORDER_QUARANTINED)
    )
    _log.error("order_quarantined", exchange_order_id=order.order_id, reason=reason)
    return True


def quarantine(uow: TradingUnitOfWorkPort, fill: Fill, reason: str, now: datetime) -> bool:
    """Set ``fill`` aside and halt trading (in the caller's transaction); False if done before."""
    if is_quarantined(uow, fill.trade_id):
        return False
    uow.audit.append(
        AuditEvent(
            kind=AuditKind.FILL_QUARANTINED,
            at=now,
            actor="btcbot",
            detail={"trade_id": str(fill.trade_id), "symbol": fill.symbol, "reason": reason},
        )
    )
    halt = (
        f"trade {fill.trade_id} of {fill.symbol} quarantined ({reason}): check it at the "
        "exchange, then 'btcbot arm'"
    )
    uow.trading_state.record(
        TradingStateChange(TradingState.HALTED, halt, now, StateCause.FILL_QUARANTINED)
    )
    _log.error("fill_quarantined", trade_id=fill.trade_id, symbol=fill.symbol, reason=reason)
    return True
