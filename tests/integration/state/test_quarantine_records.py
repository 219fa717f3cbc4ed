"""Quarantine on a real database: what it audits, the halt it records, and that it halts once.

``test_bad_trade_rows`` drives bad rows through the whole cycle; these hold the records
themselves to the letter, since a halt that does not say which row, or that fires again after
the operator lifted it, fails the operator as surely as a crash.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from state_db import initialised, unit_of_work
from strategy_factories import open_order

from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.enums import Role, Side
from btcbot.domain.models import Fill
from btcbot.domain.trading import StateCause, TradingState
from btcbot.observability.audit import AuditEvent, AuditKind, AuditValue
from btcbot.services.quarantine import quarantine, quarantine_order
from btcbot.settings import Settings
from btcbot.state.repositories.trading_uow import TradingUnitOfWork

AT = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)


@pytest.fixture
def live(tmp_path: Path) -> Settings:
    """A LIVE database ``db init`` made."""
    return initialised(tmp_path, Role.LIVE)


def _uow(settings: Settings) -> TradingUnitOfWork:
    return unit_of_work(settings, TradingUnitOfWork)


def _fill(trade_id: int = 501, symbol: str = "BTCTRY") -> Fill:
    return Fill(
        trade_id=trade_id,
        order_id=7,
        client_order_id=None,
        symbol=symbol,
        side=Side.BUY,
        price=Decimal(0),
        quantity=Decimal("0.1"),
        fee=Decimal(0),
        tax=Decimal(0),
        fee_asset="TRY",
        timestamp=AT - timedelta(minutes=1),
    )


def _quarantine(settings: Settings, fill: Fill, reason: str = "price 0") -> bool:
    with _uow(settings) as uow:
        done = quarantine(uow, fill, reason, AT)
        uow.commit()
    return done


def _events(settings: Settings, kind: AuditKind) -> list[dict[str, AuditValue]]:
    with _uow(settings) as uow:
        return [e.detail for e in uow.audit.recent(100_000, kind=kind)]


def _state(settings: Settings) -> TradingStateChange | None:
    with _uow(settings) as uow:
        return uow.trading_state.current()


def test_a_bad_trade_is_audited_and_halts_trading_naming_it(live: Settings) -> None:
    """The audit says which trade of which pair and why; the halt says what to do."""
    assert _quarantine(live, _fill()) is True
    assert _events(live, AuditKind.FILL_QUARANTINED) == [
        {"trade_id": "501", "symbol": "BTCTRY", "reason": "price 0"}
    ]
    with _uow(live) as uow:
        (event,) = uow.audit.recent(1, kind=AuditKind.FILL_QUARANTINED)
    assert (event.actor, event.at) == ("btcbot", AT)
    assert _state(live) == TradingStateChange(
        TradingState.HALTED,
        "trade 501 of BTCTRY quarantined (price 0): check it at the exchange, then 'btcbot arm'",
        AT,
        StateCause.FILL_QUARANTINED,
    )


def test_a_bad_order_row_is_audited_under_its_own_kind_and_cause(live: Settings) -> None:
    """An order is named by its exchange id, and its halt has the order's cause."""
    order = open_order(Side.SELL, symbol="ETHTRY")
    with _uow(live) as uow:
        assert quarantine_order(uow, order, "unknown status", AT) is True
        uow.commit()
    assert _events(live, AuditKind.ORDER_QUARANTINED) == [
        {"exchange_order_id": str(order.order_id), "symbol": "ETHTRY", "reason": "unknown status"}
    ]
    assert _state(live) == TradingStateChange(
        TradingState.HALTED,
        f"order {order.order_id} of ETHTRY quarantined (unknown status): check it at the "
        "exchange, then 'btcbot arm'",
        AT,
        StateCause.ORDER_QUARANTINED,
    )


def test_a_trade_set_aside_before_never_halts_again(live: Settings) -> None:
    """Once the operator lifted the halt, meeting the same row again must not halt anew."""
    assert _quarantine(live, _fill()) is True
    with _uow(live) as uow:
        uow.trading_state.record(TradingStateChange(TradingState.ACTIVE, "re-armed", AT))
        uow.commit()
    assert _quarantine(live, _fill()) is False
    lifted = _state(live)
    assert lifted is not None
    assert lifted.state is TradingState.ACTIVE
    assert len(_events(live, AuditKind.FILL_QUARANTINED)) == 1


def test_a_trade_is_remembered_behind_many_later_quarantines(live: Settings) -> None:
    """Sixty other bad trades later (more than one page of the audit), the first is still known."""
    _quarantine(live, _fill(1))
    for trade_id in range(2, 62):
        _quarantine(live, _fill(trade_id))
    assert _quarantine(live, _fill(1)) is False
    assert len(_events(live, AuditKind.FILL_QUARANTINED)) == 61


def test_only_a_quarantine_of_the_same_kind_counts_as_seen(live: Settings) -> None:
    """An event of another kind carrying the same id (an order quarantine, keyed alike) is not."""
    with _uow(live) as uow:
        uow.audit.append(
            AuditEvent(
                kind=AuditKind.ORDER_QUARANTINED,
                at=AT,
                actor="btcbot",
                detail={"trade_id": "501", "symbol": "BTCTRY", "reason": "x"},
            )
        )
        uow.commit()
    assert _quarantine(live, _fill(501)) is True
