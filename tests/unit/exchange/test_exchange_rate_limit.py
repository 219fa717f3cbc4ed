"""Client-side rate limits: no window ever exceeds a limit, and every limit of an endpoint holds."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from exchange_fakes import START, Recorder, build_client, envelope, load_sample, new_fake
from hypothesis import given
from hypothesis import strategies as st

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import ExchangeRejectError
from btcbot.domain.models import OrderRequest
from btcbot.exchange.client import BtcturkClient
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


class _Charges(RateLimiter):
    """A limiter that never waits and records the quota each request was charged to."""

    def __init__(self) -> None:
        super().__init__(now=lambda: 0.0, sleep=lambda _s: None)
        self.keys: list[str] = []

    def acquire(self, key: str) -> float:
        """Record ``key``; no wait."""
        self.keys.append(key)
        return 0.0


def _answers() -> Recorder:
    """A fake BtcTurk answering every endpoint the client uses with a minimal valid body."""
    fake = new_fake()
    order = load_sample("rest_v1_openOrders_stoplimit.json")["data"]["bids"][0]
    for method, path, body in [
        ("GET", "/api/v1/users/balances", envelope([])),
        ("GET", "/api/v1/openOrders", envelope({"asks": [], "bids": []})),
        ("GET", "/api/v1/allOrders", envelope([])),
        ("GET", "/api/v1/order/5", envelope(order)),
        ("GET", "/api/v1/users/transactions/trade", envelope([])),
        ("GET", "/api/v1/users/transactions/crypto", envelope([])),
        ("GET", "/api/v1/users/transactions/fiat", envelope([])),
        ("POST", "/api/v1/order", load_sample("rest_v1_order_post_success.json")),
        ("DELETE", "/api/v1/order", load_sample("rest_v1_order_delete_success.json")),
        ("GET", "/api/v2/ticker", load_sample("rest_v2_ticker_BTCUSDT.json")),
        ("GET", "/api/v2/orderbook", envelope({"timestamp": 1, "bids": [], "asks": []})),
        ("GET", "/api/v2/trades", envelope([])),
        ("GET", "/api/v2/server/exchangeinfo", envelope({"symbols": []})),
        ("GET", "/v1/klines/history", {"s": "no_data"}),
    ]:
        fake.json(method, path, body)
    return fake


_ORDER = OrderRequest("XLMTRY", Side.BUY, OrderMethod.LIMIT, Decimal(15), Decimal("0.8"), "c")
_SINCE = START - timedelta(hours=1)
_CALLS = [
    pytest.param(lambda c: c.balances(), ["balances"], id="balances"),
    pytest.param(lambda c: c.open_orders("BTCTRY"), ["orders_list"], id="open_orders_of_a_pair"),
    pytest.param(lambda c: c.open_orders(), ["orders_list"], id="open_orders"),
    pytest.param(lambda c: c.all_orders("BTCTRY"), ["orders_list"], id="all_orders"),
    pytest.param(lambda c: c.get_order(5), ["order_get"], id="get_order"),
    pytest.param(lambda c: c.own_trades("BTCTRY"), ["user_trades"], id="own_trades"),
    pytest.param(lambda c: c.transfers(_SINCE, START), ["transfers", "transfers"], id="transfers"),
    pytest.param(lambda c: c.submit_order(_ORDER), ["order_post"], id="submit_order"),
    pytest.param(lambda c: c.cancel_order(5), ["order_delete"], id="cancel_order"),
    pytest.param(lambda c: c.ticker("BTCUSDT"), ["ticker"], id="ticker"),
    pytest.param(lambda c: c.tickers(), ["ticker"], id="tickers"),
    pytest.param(lambda c: c.order_book("BTCTRY"), ["orderbook"], id="order_book"),
    pytest.param(lambda c: c.trades("BTCTRY"), ["trades"], id="trades"),
    pytest.param(lambda c: c.klines("BTCTRY", 1, _SINCE, START), ["graph"], id="klines"),
    pytest.param(lambda c: c.exchange_info(), [], id="exchange_info"),
    pytest.param(lambda c: c.server_time(), [], id="server_time"),
]


@pytest.mark.parametrize(("call", "charged"), _CALLS)
def test_every_request_is_charged_to_its_documented_quota(
    call: Callable[[BtcturkClient], object], charged: list[str]
) -> None:
    """Each call spends from its own API.md section 6 bucket; a misspelt key would spend none.

    The signed calls first measure the clock (``server/time``, unlimited), which is why the
    clock is synced before counting.
    """
    limiter = _Charges()
    client = build_client(_answers(), rate_limiter=limiter)
    client.sync_clock()
    call(client)
    assert limiter.keys == charged
    assert set(charged) <= set(BTCTURK_LIMITS)


@pytest.mark.parametrize("limit", [Limit(0, 60), Limit(10, 0), Limit(10, -1)])
def test_a_limit_without_a_request_or_a_period_is_refused(limit: Limit) -> None:
    """No bucket of zero tokens (a request would wait forever) or of no period (never limits)."""
    with pytest.raises(ValueError, match="at least one request per positive period"):
        RateLimiter({"k": (limit,)}, now=lambda: 0.0, sleep=lambda _s: None)
