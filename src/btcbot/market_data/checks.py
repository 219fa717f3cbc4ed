"""Pure checks that decide whether one symbol's market data may be traded on.

Each check returns a one-line reason or ``None``; the first reason found makes the snapshot
observe-only. market_data does not log: the caller logs the reason with its cycle id.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from btcbot.domain.models import Candle, OrderBook, SymbolRules, Ticker
from btcbot.market_data.limits import MarketDataLimits

_HUNDRED = Decimal(100)
_MINUTE = timedelta(minutes=1)


def unusable_reason(
    *,
    rules: SymbolRules,
    ticker: Ticker,
    book: OrderBook | None,
    candles: Sequence[Candle],
    now: datetime,
    limits: MarketDataLimits,
) -> str | None:
    """The first reason the data must not be traded on, or ``None`` when it is usable.

    Without an order book the ticker's best bid and ask stand for its top (they are checked
    the same way); with one, the book's top and its timestamp are checked too.
    """
    bid, ask = _top(ticker, book)
    checks: tuple[Callable[[], str | None], ...] = (
        lambda: _pair_status(rules),
        lambda: _sides("order book" if book is not None else "ticker", bid, ask),
        lambda: (
            None
            if book is None
            else _timestamp("order book", book.timestamp, now, limits.max_book_age, limits)
        ),
        lambda: _timestamp("ticker", ticker.timestamp, now, limits.max_ticker_age, limits),
        lambda: _ticker_deviation(ticker, bid, ask, limits.max_ticker_deviation_pct),
        lambda: _candle_lag(candles, now, limits.max_candle_lag),
    )
    for check in checks:
        reason = check()
        if reason is not None:
            return reason
    return None


def _pair_status(rules: SymbolRules) -> str | None:
    if rules.is_trading:
        return None
    return f"pair status is {rules.status!r}, not TRADING"


def _top(ticker: Ticker, book: OrderBook | None) -> tuple[Decimal | None, Decimal | None]:
    """Best bid and ask prices: the book's when fetched, else the ticker's."""
    if book is None:
        return ticker.bid, ticker.ask
    bid, ask = book.best_bid, book.best_ask
    return (bid.price if bid else None), (ask.price if ask else None)


def _sides(what: str, bid: Decimal | None, ask: Decimal | None) -> str | None:
    if bid is None and ask is None:
        return f"{what} is empty"
    if bid is None:
        return f"{what} has no bids"
    if ask is None:
        return f"{what} has no asks"
    if bid <= 0 or ask <= 0:
        return f"{what} has a non-positive price (bid {bid}, ask {ask})"
    if bid >= ask:
        return f"crossed book: best bid {bid} >= best ask {ask}"
    return None


def _timestamp(
    what: str, stamp: datetime, now: datetime, max_age: timedelta, limits: MarketDataLimits
) -> str | None:
    age = now - stamp
    if age > max_age:
        return f"{what} is {age.total_seconds():.1f} s old (limit {max_age.total_seconds():g} s)"
    if -age > limits.max_clock_skew:
        return (
            f"{what} timestamp is {-age.total_seconds():.1f} s in the future "
            f"(limit {limits.max_clock_skew.total_seconds():g} s); check the clock"
        )
    return None


def _ticker_deviation(
    ticker: Ticker, bid: Decimal | None, ask: Decimal | None, limit_pct: Decimal
) -> str | None:
    if bid is None or ask is None or bid <= 0 or ask <= 0:  # already reported by _sides
        return None
    mid = (bid + ask) / 2
    deviation = abs(ticker.last - mid) / mid * _HUNDRED
    if deviation > limit_pct:
        return (
            f"ticker last {ticker.last} is {deviation:.2f}% from book mid {mid} "
            f"(limit {limit_pct}%)"
        )
    return None


def _candle_lag(candles: Sequence[Candle], now: datetime, max_lag: timedelta) -> str | None:
    if not candles:
        return "no closed 1-minute candles yet"
    lag = now - (candles[-1].open_time + _MINUTE)
    if lag > max_lag:
        minutes, limit = lag.total_seconds() / 60, max_lag.total_seconds() / 60
        return f"newest closed candle ended {minutes:.1f} min ago (limit {limit:g} min)"
    return None
