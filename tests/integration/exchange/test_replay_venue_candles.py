"""The backtest's venue hands out the candles the LIVE client parses from the emulator.

``ReplayVenue.klines`` keeps the closed 1-minute candles it converted, and a replay asks for
most of a window again a minute later; whatever it answers from that cache, and the forming
candle it never caches, must equal what ``BtcturkClient.klines`` reads over the emulator's wire
at the same instant, for the same range.
"""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from sim_venue import START, open_venue

from btcbot.backtest.venue import ReplayVenue


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_replay_candles_equal_the_clients_at_every_instant_and_range(seed: int) -> None:
    """Random instants and ranges, each asked twice at 1 minute (the second from the cache)."""
    rng = random.Random(seed)
    with open_venue("in_process", rate_limits=False) as venue:
        replay = ReplayVenue(venue.sim)
        compared = 0
        for _ in range(40):
            # On a minute, a second after it, or mid-way: closed candles and a forming one.
            venue.clock.advance(rng.choice([60, 61, 90, 119, 600, 3 * 60 + 7]))
            now = venue.clock.now()
            for symbol in ("BTCTRY", "ETHTRY"):
                back = timedelta(seconds=rng.randrange(0, 40 * 60))
                ahead = timedelta(seconds=rng.choice([0, 1, 59, 60, 600]))
                start, end = now - back, now + ahead
                for resolution in (1, 1, 60):
                    fresh = venue.client.klines(symbol, resolution, start, end)
                    assert replay.klines(symbol, resolution, start, end) == fresh
                    compared += len(fresh)
        assert compared > 1000  # the ranges were not all empty


def test_a_range_before_the_first_candle_is_empty_or_starts_at_it() -> None:
    """Years before the timeline: no candle the client would not have."""
    with open_venue("in_process", rate_limits=False) as venue:
        replay = ReplayVenue(venue.sim)
        far_back = START - timedelta(days=3650)
        for end in (far_back + timedelta(hours=1), START):
            fresh = venue.client.klines("BTCTRY", 1, far_back, end)
            assert replay.klines("BTCTRY", 1, far_back, end) == fresh
