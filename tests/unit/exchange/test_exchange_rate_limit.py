"""Client-side rate limits: no window ever exceeds a limit, and every limit of an endpoint holds."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import httpx
from exchange_fakes import START, build_client, new_fake
from hypothesis import given
from hypothesis import strategies as st

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import ExchangeRejectError
from btcbot.domain.models import OrderRequest
from btcbot.exchange.rate_limit import BTCTURK_LIMITS, Limit, RateLimiter


def _limiter(clock: ManualClock, limits: dict[str, tuple[Limit, ...]] | None = None) -> RateLimiter:
    return RateLimiter(
        limits if limits is not None else dict(BTCTURK_LIMITS),
        now=lambda: clock.now().timestamp(),
        sleep=clock.sleep,
    )


def _max_in_window(times: list[float], period: float) -> int:
    best = 0
    start = 0
    for end, t in enumerate(times):
        while times[start] <= t - period:
            start += 1
        best = max(best, end - start + 1)
    return best


def test_a_burst_up_to_the_limit_passes_without_waiting() -> None:
    """Ten order POSTs in one instant pass; the eleventh waits until the first token returns."""
    clock = ManualClock(START)
    limiter = _limiter(clock)
    assert [limiter.acquire("order_post") for _ in range(10)] == [0.0] * 10
    assert limiter.acquire("order_post") == 1.0
    assert (clock.now() - START).total_seconds() == 1.0


def test_order_posts_obey_both_ten_per_second_and_three_hundred_per_minute() -> None:
    """310 back-to-back order POSTs never exceed 10 in any second nor 300 in any minute."""
    clock = ManualClock(START)
    limiter = _limiter(clock)
    times = []
    for _ in range(310):
        limiter.acquire("order_post")
        times.append(clock.now().timestamp())
    assert _max_in_window(times, 1.0) <= 10
    assert _max_in_window(times, 60.0) <= 300
    assert times[300] - times[0] >= 60.0


def test_endpoints_without_limits_pass_through() -> None:
    """Server time and exchangeinfo are not rate limited (API.md §6 lists no limit)."""
    clock = ManualClock(START)
    limiter = _limiter(clock)
    for _ in range(1000):
        assert limiter.acquire("not-listed") == 0.0
    assert clock.now() == START


def test_open_and_all_orders_share_one_budget() -> None:
    """OpenOrders and allOrders share §6's single 300/min row."""
    assert BTCTURK_LIMITS["orders_list"] == (Limit(300, 60),)


@given(
    limit=st.integers(min_value=1, max_value=20),
    period=st.sampled_from([0.5, 1.0, 60.0]),
    gaps=st.lists(st.floats(min_value=0, max_value=2, allow_nan=False), min_size=1, max_size=80),
)
def test_no_window_ever_holds_more_than_the_limit(
    limit: int, period: float, gaps: list[float]
) -> None:
    """Whatever the arrival pattern, no window of ``period`` seconds sees more than ``limit``."""
    clock = ManualClock(START)
    limiter = _limiter(clock, {"k": (Limit(limit, period),)})
    times = []
    for gap in gaps:
        clock.advance(gap)
        limiter.acquire("k")
        times.append(clock.now().timestamp())
    assert _max_in_window(times, period) <= limit


def test_the_client_waits_on_the_injected_clock_instead_of_sending() -> None:
    """Eleven quick submits take at least one second of (fake) time: the client throttles itself."""
    fake = new_fake()
    fake.route(
        "POST", "/api/v1/order", lambda _r: httpx.Response(400, json={"message": "X", "code": 1})
    )
    client = build_client(fake)
    client.sync_clock()
    before = fake.clock.now()
    request = OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(1), Decimal(10), "c")
    for _ in range(11):
        with contextlib.suppress(ExchangeRejectError):  # only the pacing matters here
            client.submit_order(request)
    assert len(fake.sent("POST", "/api/v1/order")) == 11
    assert (fake.clock.now() - before).total_seconds() >= 1.0
