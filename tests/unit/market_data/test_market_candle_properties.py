"""Property test: however the clock moves, the candle window is the last N closed minutes."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given, settings
from hypothesis import strategies as st
from market_fakes import MINUTE, START, FakeMarket

from btcbot.adapters.clock import ManualClock
from btcbot.market_data.limits import MarketDataLimits
from btcbot.market_data.service import MarketDataService

SETTLE = timedelta(seconds=2)


@settings(deadline=None)
@given(
    st.integers(1, 40),
    st.lists(st.integers(0, 3 * 3600 * 1000), min_size=1, max_size=25),
)
def test_window_is_always_the_newest_closed_minutes(size: int, steps: list[int]) -> None:
    """After any clock moves the window holds exactly the last ``size`` closed minutes, in order.

    The clock moves in milliseconds: a real clock is never on a whole second.
    """
    clock = ManualClock(START)
    fake = FakeMarket(clock)
    service = MarketDataService(fake, clock, MarketDataLimits(candle_count=size))
    minutes_closed = set()
    for millis in steps:
        clock.advance(millis / 1000)
        candles = service.snapshot("BTCTRY").candles
        settled = clock.now() - SETTLE
        last_closed = settled - timedelta(seconds=settled.second, microseconds=settled.microsecond)
        last_closed -= MINUTE
        expected = [last_closed - i * MINUTE for i in reversed(range(size))]
        assert [c.open_time for c in candles] == expected
        minutes_closed.add(last_closed)
    # One klines request per newly closed minute at most, however often snapshots are taken.
    assert fake.calls["klines"] <= len(minutes_closed)
