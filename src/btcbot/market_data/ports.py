"""What market_data needs from the outside: a source of public market data and a clock.

``btcbot.exchange.client.BtcturkClient`` satisfies ``MarketSource`` structurally; tests use a
small in-memory fake. Only ``now()`` of the clock is used, so any ``btcbot.adapters`` clock fits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from btcbot.domain.models import Candle, ExchangeInfo, OrderBook, Ticker


class MarketSource(Protocol):
    """The public, read-only part of the exchange client."""

    def exchange_info(self) -> ExchangeInfo:
        """Every pair's trading rules."""
        ...

    def tickers(self) -> list[Ticker]:
        """The 24-hour ticker of every listed pair, in one request."""
        ...

    def order_book(self, symbol: str, limit: int = 100) -> OrderBook:
        """Up to ``limit`` levels a side, best first."""
        ...

    def klines(
        self, symbol: str, resolution_minutes: int, start: datetime, end: datetime
    ) -> list[Candle]:
        """Candles of ``resolution_minutes`` whose open time lies in ``[start, end]``."""
        ...
