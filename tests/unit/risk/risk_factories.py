"""Builders for the risk tests: one base scenario that passes every rule, varied per test."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import BookLevel, Fill, Order, OrderBook, SymbolRules, Ticker
from btcbot.domain.trading import OrderIntent, PortfolioView, PositionView, Signal, TradingState
from btcbot.risk.context import RiskContext

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
BID = Decimal(1_000_000)
ASK = Decimal(1_000_010)


def rules(symbol: str = "BTCTRY", **changes: object) -> SymbolRules:
    """BTCTRY-like rules: 8 quantity decimals, integer prices, 100 TRY minimum, wide band."""
    base = SymbolRules(
        symbol=symbol,
        base=symbol[:-3],
        quote="TRY",
        pair_id=1,
        status="TRADING",
        numerator_scale=8,
        denominator_scale=0,
        has_fraction=False,
        tick_size=None,
        min_price=Decimal(1),
        max_price=Decimal(100_000_000),
        min_notional=Decimal(100),
        min_limit_price=Decimal(100_000),
        max_limit_price=Decimal(10_000_000),
        order_methods=frozenset({OrderMethod.LIMIT, OrderMethod.MARKET}),
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def snapshot(
    symbol: str = "BTCTRY",
    *,
    bid: Decimal | None = BID,
    ask: Decimal | None = ASK,
    age_s: float = 5,
    unusable: str | None = None,
    **rule_changes: object,
) -> MarketSnapshot:
    """A fresh, tradable snapshot with one level a side."""
    at = NOW - timedelta(seconds=age_s)
    bids = (BookLevel(bid, Decimal(5)),) if bid is not None else ()
    asks = (BookLevel(ask, Decimal(5)),) if ask is not None else ()
    last = bid if bid is not None else (ask or Decimal(1))
    ticker = Ticker(symbol, last, bid or last, ask or last, last, last, last, Decimal(1), last, at)
    return MarketSnapshot(
        symbol=symbol,
        rules=rules(symbol, **rule_changes),
        ticker=ticker,
        book=OrderBook(symbol, bids, asks, at),
        candles=(),
        taken_at=at,
        exchange_time=at,
        unusable_reason=unusable,
    )


def portfolio(
    *,
    cash: Decimal = Decimal(100_000),
    equity: Decimal = Decimal(100_000),
    peak: Decimal = Decimal(100_000),
    daily_pnl: Decimal = Decimal(0),
    positions: tuple[PositionView, ...] = (PositionView("BTCTRY", Decimal("0.002"), BID),),
) -> PortfolioView:
    """100,000 TRY cash and 0.002 BTC (about 2,000 TRY) held, no loss."""
    return PortfolioView(cash, equity, peak, daily_pnl, {p.symbol: p for p in positions})


def signal(side: Side = Side.BUY, size: str = "1000", symbol: str = "BTCTRY") -> Signal:
    """A signal for ``size`` TRY of ``symbol``."""
    return Signal(symbol, side, Decimal(size), "test", "test", NOW - timedelta(minutes=1))


def intent(
    symbol: str = "BTCTRY", side: Side = Side.BUY, price: str = "1000000", quantity: str = "0.001"
) -> OrderIntent:
    """A sized limit order: a 1,000 TRY BTCTRY buy at the bid unless told otherwise."""
    return OrderIntent(symbol, side, OrderMethod.LIMIT, Decimal(price), Decimal(quantity), "t", "t")


def order(
    symbol: str = "BTCTRY",
    side: Side = Side.BUY,
    price: str = "500000",
    quantity: str = "0.001",
    order_id: int = 1,
) -> Order:
    """An open limit order of ours."""
    return Order(
        order_id=order_id,
        client_order_id=f"c{order_id}",
        symbol=symbol,
        side=side,
        method=OrderMethod.LIMIT,
        price=Decimal(price),
        stop_price=None,
        quantity=Decimal(quantity),
        left_quantity=Decimal(quantity),
        status=OrderStatus.OPEN,
        created_at=NOW - timedelta(minutes=5),
        updated_at=None,
    )


def fill(symbol: str = "BTCTRY", ago_s: float = 30) -> Fill:
    """One of our fills ``ago_s`` seconds before NOW."""
    return Fill(
        trade_id=1,
        order_id=1,
        client_order_id="c1",
        symbol=symbol,
        side=Side.BUY,
        price=BID,
        quantity=Decimal("0.001"),
        fee=Decimal(1),
        tax=Decimal("0.2"),
        fee_asset="TRY",
        timestamp=NOW - timedelta(seconds=ago_s),
    )


def context(**changes: object) -> RiskContext:
    """The base context: ACTIVE, no kill switch, fresh BTCTRY and ETHTRY data, nothing open."""
    base = RiskContext(
        now=NOW,
        trading_state=TradingState.ACTIVE,
        kill_switch_reason=None,
        snapshots={"BTCTRY": snapshot(), "ETHTRY": snapshot("ETHTRY")},
        portfolio=portfolio(),
    )
    return replace(base, **changes)  # type: ignore[arg-type]
