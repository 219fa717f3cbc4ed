"""The demo's figures from the live DB, and the sha256 fingerprint of its order and fill histories.

The fingerprint covers every field of every order and fill that the exchange and the bot
decide (ids, client ids, prices, quantities, states, fees, times on the injected clock) and
nothing that legitimately differs between two runs (the process instance id, wall-clock times).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from btcbot.domain.fingerprint import fill_fingerprint
from btcbot.domain.models import Fill
from btcbot.domain.orders import LocalOrderState, TrackedOrder
from btcbot.services.live import Database
from btcbot.state.repositories.trading_uow import trading_uow_factory


@dataclass(frozen=True, slots=True)
class DemoFigures:
    """What the demo reports about its trading."""

    cycles: int
    orders: int
    orders_filled: int
    fills: int
    realized_pnl: Decimal
    unrealized_pnl: Decimal
    fees_and_tax: Decimal
    equity: Decimal
    max_drawdown_pct: Decimal
    history_sha256: str
    fill_fingerprint: str = ""


def _order_line(o: TrackedOrder) -> str:
    return "|".join(
        str(v)
        for v in (
            "order",
            o.client_order_id,
            o.origin.value,
            o.symbol,
            o.side.value,
            o.method.value,
            o.price,
            o.quantity,
            o.filled_quantity,
            o.state.value,
            o.exchange_order_id,
            o.created_at.isoformat(),
        )
    )


def _fill_line(f: Fill) -> str:
    return "|".join(
        str(v)
        for v in (
            "fill",
            f.trade_id,
            f.order_id,
            f.client_order_id,
            f.symbol,
            f.side.value,
            f.price,
            f.quantity,
            f.fee,
            f.tax,
            f.fee_asset,
            f.timestamp.isoformat(),
        )
    )


def history_sha256(orders: Iterable[TrackedOrder], fills: Iterable[Fill]) -> str:
    """sha256 over the canonical text of every order (oldest first) and fill (trade order)."""
    digest = hashlib.sha256()
    for line in [*map(_order_line, orders), *map(_fill_line, fills)]:
        digest.update(line.encode("utf-8") + b"\n")
    return digest.hexdigest()


def read_figures(db: Database, *, cycles: int) -> DemoFigures:
    """Count orders and fills, read the newest valuation and the worst drawdown, fingerprint."""
    uows = trading_uow_factory(db.connection_factory(), db.audit_context())
    with uows(None) as uow:
        orders = uow.orders.all()
        fills = uow.fills.all()
        valuations = uow.ledger.recent_valuations(cycles + 1)
    latest = valuations[0] if valuations else {}

    def dec(value: str | None) -> Decimal:
        return Decimal(value) if value is not None else Decimal(0)

    drawdowns = [dec(v.get("drawdown_pct")) for v in valuations]
    return DemoFigures(
        cycles=cycles,
        orders=len(orders),
        orders_filled=sum(1 for o in orders if o.state is LocalOrderState.FILLED),
        fills=len(fills),
        realized_pnl=dec(latest.get("realized_pnl")),
        unrealized_pnl=dec(latest.get("unrealized_pnl")),
        fees_and_tax=dec(latest.get("fees")) + dec(latest.get("tax")),
        equity=dec(latest.get("equity")),
        max_drawdown_pct=max(drawdowns, default=Decimal(0)),
        history_sha256=history_sha256(orders, fills),
        fill_fingerprint=fill_fingerprint(fills),
    )
