"""BtcTurk's quotas as the emulator counts them: fixed windows per endpoint, shared graph quota."""

from __future__ import annotations

from btcbot.sim.ratelimit import RateLimiter


def test_window_starts_at_first_request_and_resets_after_its_period() -> None:
    """121 balance calls in a minute: the last is refused until 60 s after the first."""
    limiter = RateLimiter()
    assert all(
        limiter.hit("GET", "/api/v1/users/balances", 10.0 + i / 10) is None for i in range(120)
    )
    refusal = limiter.hit("GET", "/api/v1/users/balances", 30.0)
    assert refusal is not None
    assert (refusal.quota.limit, refusal.quota.period_text, refusal.retry_after) == (120, "1m", 40)
    assert limiter.hit("GET", "/api/v1/users/balances", 70.0) is None


def test_graph_paths_share_one_ten_minute_quota() -> None:
    """klines/history and ohlcs count against the graph host's common 600 per 10 min."""
    limiter = RateLimiter()
    for i in range(600):
        path = "/graph/v1/klines/history" if i % 2 else "/graph/v1/ohlcs"
        assert limiter.hit("GET", path, i / 2) is None, i
    refusal = limiter.hit("GET", "/graph/v1/klines/history", 301.0)
    assert refusal is not None
    assert refusal.quota.period_text == "10m"


def test_unlisted_endpoints_are_never_limited() -> None:
    """server/time and exchangeinfo have no documented quota."""
    limiter = RateLimiter()
    assert all(limiter.hit("GET", "/api/v2/server/time", 0.0) is None for _ in range(5000))
