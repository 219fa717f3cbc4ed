"""The per-symbol market snapshot a cycle decides on, with its age."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from btcbot.domain.models import Candle, OrderBook, SymbolRules, Ticker


@dataclass(frozen=True, slots=True)
class MarketSnapshot:
    """Everything the strategy and risk may know about one symbol at one instant.

    ``taken_at`` is when btcbot fetched it (injected clock); ``exchange_time`` is the venue's own
    timestamp of the book, or of the ticker while there is no book. ``candles`` are closed
    1-minute candles, oldest first. ``unusable_reason`` is set by market_data when the data must
    not be traded on (crossed book, missing side, too old); the cycle is then observe-only for
    this symbol.

    ``book`` is ``None`` until a decision wants to trade the symbol: the top of the book is
    then the ticker's best bid and ask (one request answers every pair), and the order book is
    fetched, checked and decided on again only for the symbols an order would go to
    (``btcbot.decision.depth``).
    """

    symbol: str
    rules: SymbolRules
    ticker: Ticker
    book: OrderBook | None
    candles: tuple[Candle, ...]
    taken_at: datetime
    exchange_time: datetime
    unusable_reason: str | None = None

    @property
    def best_bid(self) -> Decimal | None:
        """Highest bid price: the book's if fetched, else the ticker's (``None`` if no bid)."""
        if self.book is None:
            return self.ticker.bid if self.ticker.bid > 0 else None
        level = self.book.best_bid
        return level.price if level else None

    @property
    def best_ask(self) -> Decimal | None:
        """Lowest ask price: the book's if fetched, else the ticker's (``None`` if no ask)."""
        if self.book is None:
            return self.ticker.ask if self.ticker.ask > 0 else None
        level = self.book.best_ask
        return level.price if level else None

    @property
    def mid(self) -> Decimal | None:
        """Mid price, when both sides exist."""
        return mid_of(self.best_bid, self.best_ask)

    @property
    def mark(self) -> Decimal:
        """The price the books are valued at: the mid, else the last trade."""
        mid = self.mid
        return mid if mid is not None else self.ticker.last

    def age(self, now: datetime) -> timedelta:
        """How old the venue's data is at ``now``."""
        return now - self.exchange_time

    @property
    def tradable(self) -> bool:
        """False when market_data marked this snapshot observe-only."""
        return self.unusable_reason is None


def mid_of(bid: Decimal | None, ask: Decimal | None) -> Decimal | None:
    """The mid of a best bid and ask, when both exist."""
    if bid is None or ask is None:
        return None
    return (bid + ask) / 2
