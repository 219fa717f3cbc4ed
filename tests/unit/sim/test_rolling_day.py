"""The ticker's rolling day, kept incrementally, equals summing the 1439 candles every time."""

from __future__ import annotations

import random
from decimal import Decimal

from btcbot.sim.feed import Bar, ReplayFeed
from btcbot.sim.marketdata import DAY_MINUTES, _RollingDay


def _naive(feed: ReplayFeed, index: int) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    bars = [feed.bar(k) for k in range(index - DAY_MINUTES + 1, index)]
    return (
        bars[0].open,
        max(b.high for b in bars),
        min(b.low for b in bars),
        sum((b.volume for b in bars), Decimal(0)),
        sum((b.volume * b.close for b in bars), Decimal(0)),
    )


def test_incremental_equals_full_recomputation_over_steps_jumps_and_repeats() -> None:
    """Minute steps, repeats, jumps back and forward, across the ping-pong wrap."""
    rng = random.Random(7)
    bars = []
    price = Decimal(1000)
    for _ in range(2000):
        close = price + Decimal(rng.randint(-30, 30))
        high = max(price, close) + Decimal(rng.randint(0, 9))
        low = min(price, close) - Decimal(rng.randint(0, 9))
        bars.append(Bar(price, high, low, close, Decimal(rng.randint(0, 10**8)) / 10**8))
        price = close
    feed = ReplayFeed(bars, anchor=1_790_121_600.0, history_minutes=1440)
    day = _RollingDay(feed)
    index = 1500
    for step in range(3000):
        move = rng.choice([1, 1, 1, 1, 0, -3, 5, 250, 1439, 2000])
        index += move
        assert day.at(index) == _naive(feed, index), (step, index)
