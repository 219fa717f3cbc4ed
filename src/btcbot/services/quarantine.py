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

from dataclasses import dataclass
from datetime import datetime

from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.models import Fill, Order
from btcbot.domain.trading import StateCause, TradingState
from btcbot.execution.ports import TradingUnitOfWorkPort
from btcbot.observability.audit import AuditEvent, AuditKind, AuditValue
from btcbot.observability.logging import get_logger

_log = get_logger(__name__)
_REMEMBERED = 10_000  # quarantined trades looked back over: far more than ever happen


def quarantine_order(uow: TradingUnitOfWorkPort, order: Order, reason: str, now: datetime) -> bool:
    """Set an order row aside and halt trading, once per exchange order id."""
    return _set_aside(
        uow,
        _Row(AuditKind.ORDER_QUARANTINED, StateCause.ORDER_QUARANTINED, "exchange_order_id"),
        (order.order_id, f"order {order.order_id}", order.symbol),
        reason,
        now,
    )


def quarantine(uow: TradingUnitOfWorkPort, fill: Fill, reason: str, now: datetime) -> bool:
    """Set ``fill`` aside and halt trading (in the caller's transaction); False if done before."""
    return _set_aside(
        uow,
        _Row(AuditKind.FILL_QUARANTINED, StateCause.FILL_QUARANTINED, "trade_id"),
        (fill.trade_id, f"trade {fill.trade_id}", fill.symbol),
        reason,
        now,
    )


@dataclass(frozen=True, slots=True)
class _Row:
    """What kind of row is set aside: its audit kind, the halt's cause, its id's audit key."""

    kind: AuditKind
    cause: StateCause
    key: str


def _seen(uow: TradingUnitOfWorkPort, kind: AuditKind, key: str, row_id: int) -> bool:
    events = uow.audit.recent(_REMEMBERED, kind=kind)
    return any(e.detail.get(key) == str(row_id) for e in events)


def _set_aside(
    uow: TradingUnitOfWorkPort,
    row: _Row,
    what: tuple[int, str, str],
    reason: str,
    now: datetime,
) -> bool:
    """Audit the row and halt trading, once per row id; False when it was set aside before."""
    row_id, name, symbol = what
    if _seen(uow, row.kind, row.key, row_id):
        return False
    detail: dict[str, AuditValue] = {row.key: str(row_id), "symbol": symbol, "reason": reason}
    uow.audit.append(AuditEvent(kind=row.kind, at=now, actor="btcbot", detail=detail))
    halt = f"{name} of {symbol} quarantined ({reason}): check it at the exchange, then 'btcbot arm'"
    uow.trading_state.record(TradingStateChange(TradingState.HALTED, halt, now, row.cause))
    _log.error(row.kind.value, **{row.key: row_id}, symbol=symbol, reason=reason)
    return True
