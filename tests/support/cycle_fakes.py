"""Real values for the cycle's fakes: an empty booked view, decisions, reports.

The LIVE cycle is concrete (``btcbot.services.cycle``): its fakes hand it the real report
types, so these build small ones without a strategy, a risk engine or a database.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from btcbot.decision import Decision, LedgerView
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.trading import (
    ApprovedOrderIntent,
    OrderIntent,
    RejectReason,
    RiskDecision,
    RiskRejection,
    Signal,
    TradingState,
)
from btcbot.execution.report import ExecutionReport, SubmitOutcome, SubmitResult
from btcbot.market_data.service import MarketDataResult
from btcbot.risk.engine import RiskResult
from btcbot.risk.trading_state import StateTransition

AS_OF = datetime(2026, 1, 2, tzinfo=UTC)


def empty_view() -> LedgerView:
    """Books holding 1,000 TRY and nothing else, active, with no orders or fills."""
    opening = Opening(pairs=(Pair("BTCTRY", "BTC", "TRY"),), cash=(("TRY", Decimal(1000)),))
    return LedgerView(
        ledger=Ledger(opening),
        watermark=None,
        marks={},
        trading_state=TradingState.ACTIVE,
        open_orders=(),
        recent_fills=(),
        recent_submits=(),
    )


def _signal(symbol: str) -> Signal:
    return Signal(symbol, Side.BUY, Decimal(100), "test", "fake", AS_OF)


def decision(symbols: tuple[str, ...] = (), *, rejected: tuple[RejectReason, ...] = ()) -> Decision:
    """A decision approving one buy in each of ``symbols`` and refusing one per ``rejected``."""
    decisions = [
        RiskDecision(
            _signal(symbol),
            ApprovedOrderIntent(
                index,
                OrderIntent(
                    symbol, Side.BUY, OrderMethod.LIMIT, Decimal(1000), Decimal("0.1"), "fake", "t"
                ),
            ),
        )
        for index, symbol in enumerate(symbols)
    ]
    decisions += [RiskDecision(_signal("BTCTRY"), RiskRejection(r, "fake")) for r in rejected]
    risk = RiskResult(decisions=tuple(decisions), transition=StateTransition(TradingState.ACTIVE))
    return Decision(signals=tuple(d.signal for d in decisions), risk=risk)


def submitted(*symbols: str) -> ExecutionReport:
    """Every one of ``symbols`` bought and acknowledged by the exchange."""
    return ExecutionReport(
        submits=tuple(
            SubmitOutcome(f"bb-fake-{n}", s, Side.BUY, SubmitResult.SUBMITTED, exchange_order_id=n)
            for n, s in enumerate(symbols, start=1)
        )
    )


def market_data(snapshots: Mapping[str, MarketSnapshot] | None = None) -> MarketDataResult:
    """``snapshots`` as the market data service answers them (no gaps)."""
    return MarketDataResult(snapshots=dict(snapshots or {}))
