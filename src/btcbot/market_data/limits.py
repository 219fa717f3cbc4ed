"""How old, how far apart and how much market data may be before a symbol turns observe-only."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from decimal import Decimal

from btcbot.domain.errors import ConfigError

MAX_BOOK_DEPTH = 100  # BtcTurk serves at most 100 levels a side


@dataclass(frozen=True, slots=True)
class MarketDataLimits:
    """Freshness and consistency limits, plus how much history and depth to keep.

    Ages are measured from the venue's own timestamps to the injected clock; a timestamp more
    than ``max_clock_skew`` in the future is as suspect as a stale one. ``max_ticker_deviation_pct``
    is percent (5 means 5 %) of the book's mid price.
    """

    max_book_age: timedelta = timedelta(seconds=30)
    max_ticker_age: timedelta = timedelta(seconds=60)
    max_clock_skew: timedelta = timedelta(seconds=5)
    max_ticker_deviation_pct: Decimal = Decimal(5)
    max_candle_lag: timedelta = timedelta(minutes=10)
    candle_count: int = 120
    candle_settle: timedelta = timedelta(seconds=2)
    book_depth: int = 20
    rules_refresh: timedelta = timedelta(hours=1)
    rules_retry: timedelta = timedelta(minutes=1)

    def __post_init__(self) -> None:
        for item in fields(self):
            amount = getattr(self, item.name)
            negative = amount < timedelta(0) if isinstance(amount, timedelta) else amount < 0
            if negative:
                raise ConfigError(f"market data limit {item.name} must not be negative")
        if self.candle_count < 1 or not 1 <= self.book_depth <= MAX_BOOK_DEPTH:
            raise ConfigError(
                f"candle_count must be >= 1 and book_depth between 1 and {MAX_BOOK_DEPTH}"
            )
        if self.rules_refresh <= timedelta(0):
            raise ConfigError(
                "rules_refresh must be positive, or rules would be fetched every call"
            )
