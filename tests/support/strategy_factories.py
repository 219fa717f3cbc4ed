"""Builders for the strategy tests: candles from closes, snapshots and strategy inputs."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import BookLevel, Candle, Order, OrderBook, SymbolRules, Ticker
from btcbot.domain.trading import PositionView
from btcbot.strategy.protocols import StrategyInput

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RULES = SymbolRules(
    symbol="BTCTRY",
    base="BTC",
    quote="TRY",
    pair_id=1,
    status="TRADING",
    numerator_scale=8,
    denominator_scale=2,
    has_fraction=True,
    tick_size=None,
    min_price=None,
    max_price=None,
    min_notional=Decimal(100),
    min_limit_price=None,
    max_limit_price=None,
    order_methods=frozenset({OrderMethod.LIMIT}),
)


def candles(closes: Sequence[Decimal | int | str]) -> tuple[Candle, ...]:
    """One-minute candles whose close is each value, oldest first."""
    out = []
    for i, close in enumerate(closes):
        c = Decimal(close)
        out.append(Candle(START + timedelta(minutes=i), c, c, c, c, Decimal(1)))
    return tuple(out)


def snapshot(
    closes: Sequence[Decimal | int | str],
    *,
    bid: Decimal | str | None = None,
    symbol: str = "BTCTRY",
    unusable: str | None = None,
) -> MarketSnapshot:
    """A snapshot over ``closes``; the bid defaults to the last close, the ask one unit above."""
    cs = candles(closes)
    last = cs[-1].close if cs else Decimal(100)
    b = Decimal(bid) if bid is not None else last
    at = START + timedelta(minutes=len(cs))
    book = OrderBook(symbol, (BookLevel(b, Decimal(1)),), (BookLevel(b + 1, Decimal(1)),), at)
    ticker = Ticker(symbol, last, b, b + 1, last, last, last, Decimal(1), last, at)
    return MarketSnapshot(symbol, RULES, ticker, book, cs, at, at, unusable)


def position(quantity: str = "0", avg_cost: str = "0", symbol: str = "BTCTRY") -> PositionView:
    """A position of ``quantity`` base units at ``avg_cost``."""
    return PositionView(symbol, Decimal(quantity), Decimal(avg_cost))


def open_order(side: Side = Side.BUY, symbol: str = "BTCTRY") -> Order:
    """An open order of ours."""
    return Order(
        order_id=7,
        client_order_id="c7",
        symbol=symbol,
        side=side,
        method=OrderMethod.LIMIT,
        price=Decimal(100),
        stop_price=None,
        quantity=Decimal(1),
        left_quantity=Decimal(1),
        status=OrderStatus.OPEN,
        created_at=START,
        updated_at=None,
    )


def inp(
    closes: Sequence[Decimal | int | str],
    *,
    held: PositionView | None = None,
    bid: Decimal | str | None = None,
    orders: tuple[Order, ...] = (),
) -> StrategyInput:
    """A strategy input over ``closes`` (flat unless ``held``)."""
    return StrategyInput(snapshot(closes, bid=bid), held or position(), orders)
