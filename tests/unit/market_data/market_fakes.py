"""A small in-memory MarketSource for the market_data tests, counting every call it serves."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import OrderMethod
from btcbot.domain.errors import ExchangeUnavailableError
from btcbot.domain.models import (
    BookLevel,
    Candle,
    ExchangeInfo,
    OrderBook,
    SymbolRules,
    Ticker,
)

START = datetime(2026, 3, 10, 12, 0, 30, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def rules(symbol: str = "BTCTRY", status: str = "TRADING") -> SymbolRules:
    """BtcTurk-like rules for a TRY pair."""
    return SymbolRules(
        symbol=symbol,
        base=symbol.removesuffix("TRY"),
        quote="TRY",
        pair_id=1,
        status=status,
        numerator_scale=8,
        denominator_scale=0,
        has_fraction=False,
        tick_size=Decimal(1),
        min_price=Decimal(1),
        max_price=None,
        min_notional=Decimal("99.91"),
        min_limit_price=None,
        max_limit_price=None,
        order_methods=frozenset({OrderMethod.LIMIT, OrderMethod.MARKET}),
    )


def candle(open_time: datetime, close: str = "2000000") -> Candle:
    """A flat candle closing at ``close``."""
    price = Decimal(close)
    return Candle(open_time, price, price, price, price, Decimal(1))


@dataclass
class FakeMarket:
    """Serves one healthy market per listed symbol; tests bend the fields to make it unhealthy.

    ``klines`` returns every minute from ``candles_from`` up to the clock's current minute,
    including the still-forming one, like a real venue does.
    """

    clock: ManualClock
    listed: dict[str, SymbolRules] = field(default_factory=lambda: {"BTCTRY": rules()})
    bid: Decimal | None = Decimal(1_999_000)
    ask: Decimal | None = Decimal(2_001_000)
    last: Decimal = Decimal(2_000_000)
    book_lag: timedelta = timedelta(seconds=1)
    ticker_lag: timedelta = timedelta(seconds=1)
    candles_from: datetime = START - timedelta(days=1)
    candles_until: datetime | None = None
    failing: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    kline_ranges: list[tuple[str, datetime, datetime]] = field(default_factory=list)

    def _serve(self, what: str) -> None:
        self.calls[what] += 1
        if what in self.failing:
            raise ExchangeUnavailableError("503 maintenance", endpoint=f"GET /{what}")

    def exchange_info(self) -> ExchangeInfo:
        """The listed pairs' rules."""
        self._serve("exchange_info")
        return ExchangeInfo(server_time=self.clock.now(), symbols=dict(self.listed))

    def tickers(self) -> list[Ticker]:
        """A ticker around ``last`` for every listed pair, in one call."""
        self._serve("ticker")
        return [self._ticker(symbol) for symbol in self.listed]

    def _ticker(self, symbol: str) -> Ticker:
        return Ticker(
            symbol=symbol,
            last=self.last,
            # A book side missing is the book's problem: the ticker still quotes around last.
            bid=self.bid if self.bid is not None else self.last - 1000,
            ask=self.ask if self.ask is not None else self.last + 1000,
            high=self.last,
            low=self.last,
            open=self.last,
            volume=Decimal(10),
            average=self.last,
            timestamp=self.clock.now() - self.ticker_lag,
        )

    def order_book(self, symbol: str, limit: int = 100) -> OrderBook:
        """One level a side at ``bid``/``ask`` (a side is empty when its price is None)."""
        self._serve("order_book")
        bids = () if self.bid is None else (BookLevel(self.bid, Decimal(1)),)
        asks = () if self.ask is None else (BookLevel(self.ask, Decimal(1)),)
        return OrderBook(symbol, bids[:limit], asks[:limit], self.clock.now() - self.book_lag)

    def klines(
        self, symbol: str, resolution_minutes: int, start: datetime, end: datetime
    ) -> list[Candle]:
        """One candle per minute in ``[start, end]``, up to the forming one."""
        self._serve("klines")
        assert resolution_minutes == 1
        self.kline_ranges.append((symbol, start, end))
        newest = self.clock.now().replace(second=0, microsecond=0)
        if self.candles_until is not None:
            newest = min(newest, self.candles_until)
        at = max(start, self.candles_from)
        out = []
        while at <= min(end, newest):
            out.append(candle(at))
            at += MINUTE
        return out
