"""Error classes, GET retries, and order POST/DELETE never retried but reported as ambiguous."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from exchange_fakes import START, build_client, envelope, new_fake

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import (
    AmbiguousOrderError,
    AuthenticationError,
    ExchangeError,
    ExchangeRejectError,
    ExchangeUnavailableError,
    MalformedResponseError,
    RateLimitedError,
)
from btcbot.domain.models import OrderRequest
from btcbot.exchange.errors import MAX_RETRY_AFTER, parse_retry_after
from btcbot.exchange.session import RetryPolicy

Handler = Callable[[httpx.Request], httpx.Response]
HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>cloudflare</body></html>"
ORDER = OrderRequest(
    "BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal("0.001"), Decimal(2000000), "cid-7"
)


def _raise(exc_type: type[httpx.TransportError]) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc_type("simulated", request=request)

    return handler


def _status(status: int, text: str = "", headers: dict[str, str] | None = None) -> Handler:
    return lambda _r: httpx.Response(status, text=text, headers=headers)


@pytest.mark.parametrize(
    ("handler", "error", "tries"),
    [
        (_status(401), AuthenticationError, 1),
        (
            _status(401, '{"success":true,"message":"Unauthorized - Invalid Nonce","code":1037}'),
            AuthenticationError,
            1,
        ),
        (_status(429, "", {"Retry-After": "120"}), RateLimitedError, 1),
        (_status(502, HTML_502), ExchangeUnavailableError, 3),
        (_status(503), ExchangeUnavailableError, 3),
        (_status(200, "{not json"), MalformedResponseError, 1),
        (_status(200, "<html>maintenance</html>"), MalformedResponseError, 1),
        (_status(200, ""), MalformedResponseError, 1),
        (_status(404), ExchangeRejectError, 1),
        (
            _status(200, '{"success":false,"message":"FAILED_LIMIT_ORDER","code":1120}'),
            ExchangeRejectError,
            1,
        ),
        (_raise(httpx.ReadTimeout), ExchangeUnavailableError, 3),
        (_raise(httpx.RemoteProtocolError), ExchangeUnavailableError, 3),
    ],
)
def test_each_failure_of_a_get_has_its_typed_error(
    handler: Handler, error: type[ExchangeError], tries: int
) -> None:
    """Every HTTP or transport failure of a GET surfaces as exactly one domain error class.

    Only server or transport trouble is tried again (three attempts here); a refusal, a bad
    key or an unreadable answer is final, and asking again would only spend the quota.
    """
    fake = new_fake()
    fake.route("GET", "/api/v1/users/balances", handler)
    with pytest.raises(ExchangeError) as exc:
        build_client(fake).balances()
    assert type(exc.value) is error
    assert exc.value.endpoint == "GET /api/v1/users/balances"
    assert len(fake.sent("GET", "/api/v1/users/balances")) == tries


@pytest.mark.parametrize("code", [0, "0", "SUCCESS"])
def test_every_success_code_spelling_is_success(code: object) -> None:
    """``code`` 0, "0" and "SUCCESS" all mean success."""
    fake = new_fake()
    body = {"data": [], "success": True, "message": "SUCCESS", "code": code}
    fake.json("GET", "/api/v1/users/balances", body)
    assert build_client(fake).balances() == []


def test_a_get_is_retried_after_server_errors_with_backoff() -> None:
    """Two 503s then a 200: the GET succeeds on the third attempt after backoff sleeps."""
    fake = new_fake()
    answers = iter([httpx.Response(503), httpx.Response(503, text=HTML_502)])
    fake.route(
        "GET",
        "/api/v1/users/balances",
        lambda _r: next(answers, httpx.Response(200, json=envelope([]))),
    )
    client = build_client(fake)
    assert client.balances() == []
    assert len(fake.sent("GET", "/api/v1/users/balances")) == 3
    assert fake.clock.now() > START


def test_get_retries_are_bounded() -> None:
    """A GET that keeps timing out is tried exactly ``attempts`` times, then fails typed."""
    fake = new_fake()
    fake.route("GET", "/api/v2/orderbook", _raise(httpx.ReadTimeout))
    with pytest.raises(ExchangeUnavailableError):
        build_client(fake, retry_policy=RetryPolicy(attempts=4)).order_book("BTCTRY")
    assert len(fake.sent("GET", "/api/v2/orderbook")) == 4


def test_a_429_is_retried_no_sooner_than_retry_after() -> None:
    """After a 429 with Retry-After 5 the next attempt waits at least 5 seconds."""
    fake = new_fake()
    times = []

    def handler(_r: httpx.Request) -> httpx.Response:
        times.append(fake.clock.now())
        if len(times) == 1:
            return httpx.Response(
                429, json={"message": "TOO_MANY_REQUESTS"}, headers={"Retry-After": "5"}
            )
        return httpx.Response(200, json=envelope([]))

    fake.route("GET", "/api/v1/users/balances", handler)
    build_client(fake).balances()
    assert (times[1] - times[0]).total_seconds() >= 5


def test_a_429_with_a_long_retry_after_is_not_waited_out() -> None:
    """Retry-After beyond the policy's limit is returned to the caller as RateLimitedError."""
    fake = new_fake()
    fake.route("GET", "/api/v1/users/balances", _status(429, "", {"Retry-After": "300"}))
    with pytest.raises(RateLimitedError) as exc:
        build_client(fake).balances()
    assert exc.value.retry_after == 300
    assert len(fake.sent("GET", "/api/v1/users/balances")) == 1


def test_a_429_whose_retry_after_is_exactly_the_limit_is_waited_out() -> None:
    """``max_retry_after`` is the longest wait the client takes on itself, not one less."""
    fake = new_fake()
    answers = iter([httpx.Response(429, headers={"Retry-After": "30"})])
    fake.route(
        "GET",
        "/api/v1/users/balances",
        lambda _r: next(answers, httpx.Response(200, json=envelope([]))),
    )
    assert build_client(fake, retry_policy=RetryPolicy(max_retry_after=30.0)).balances() == []
    assert len(fake.sent("GET", "/api/v1/users/balances")) == 2
    assert fake.clock.now() - START >= timedelta(seconds=30)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("2", 2.0),
        ("0.5", 0.5),
        ("0", 0.0),  # "now" is a valid answer, not a garbled one
        (None, 1.0),
        ("soon", 1.0),
        ("-3", 1.0),
        ("nan", 1.0),
        ("1e9", MAX_RETRY_AFTER),
    ],
)
def test_retry_after_is_parsed_and_bounded(value: str | None, seconds: float) -> None:
    """Retry-After seconds are honoured; absent, garbage or absurd values fall back or cap."""
    assert parse_retry_after(value) == seconds


@pytest.mark.parametrize(
    "handler",
    [
        _raise(httpx.ReadTimeout),
        _raise(httpx.WriteTimeout),
        _raise(httpx.RemoteProtocolError),
        _raise(httpx.ReadError),
        _status(500),
        _status(502, HTML_502),
        _status(200, "{broken"),
        _status(400, '{"success":false,"message":"INTERNAL_ERROR","code":"INTERNAL_ERROR"}'),
        # A 5xx is ambiguous whatever its body says: BtcTurk may have taken the order.
        _status(503, '{"success":false,"message":"TOO_MANY_REQUESTS","code":429}'),
        _status(500, '{"success":false,"message":"FAILED_MIN_TOTAL_AMOUNT","code":1123}'),
    ],
)
def test_an_order_post_with_unknown_outcome_is_ambiguous_and_sent_once(handler: Handler) -> None:
    """Timeout, reset, 5xx, INTERNAL_ERROR or an unreadable 2xx on POST: ambiguous, never resent."""
    fake = new_fake()
    fake.route("POST", "/api/v1/order", handler)
    with pytest.raises(AmbiguousOrderError) as exc:
        build_client(fake, retry_policy=RetryPolicy(attempts=5)).submit_order(ORDER)
    assert exc.value.client_order_id == "cid-7"
    assert exc.value.endpoint == "POST /api/v1/order"
    assert len(fake.sent("POST", "/api/v1/order")) == 1


def test_a_post_that_never_connected_is_not_ambiguous() -> None:
    """A connect failure proves the POST never left, so it is plain ExchangeUnavailableError."""
    fake = new_fake()
    fake.route("POST", "/api/v1/order", _raise(httpx.ConnectError))
    with pytest.raises(ExchangeUnavailableError) as exc:
        build_client(fake).submit_order(ORDER)
    assert not isinstance(exc.value, AmbiguousOrderError)
    assert len(fake.sent("POST", "/api/v1/order")) == 1


@pytest.mark.parametrize(("status", "error"), [(429, RateLimitedError), (401, AuthenticationError)])
def test_definitive_refusals_of_a_post_are_not_ambiguous(
    status: int, error: type[ExchangeError]
) -> None:
    """A 429 or 401 on POST was refused before processing: typed, not ambiguous, not resent."""
    fake = new_fake()
    fake.route("POST", "/api/v1/order", _status(status))
    with pytest.raises(error):
        build_client(fake).submit_order(ORDER)
    assert len(fake.sent("POST", "/api/v1/order")) == 1


def test_a_cancel_timeout_is_ambiguous_and_sent_once() -> None:
    """A DELETE /order that times out may have cancelled: ambiguous, never resent."""
    fake = new_fake()
    fake.route("DELETE", "/api/v1/order", _raise(httpx.ReadTimeout))
    with pytest.raises(AmbiguousOrderError) as exc:
        build_client(fake).cancel_order(42)
    assert exc.value.endpoint == "DELETE /api/v1/order"
    assert len(fake.sent("DELETE", "/api/v1/order")) == 1


@pytest.mark.parametrize(
    "request_",
    [
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(0), Decimal(10), "c"),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal("NaN"), Decimal(10), "c"),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(1), None, "c"),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(1), Decimal(-5), "c"),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(1), Decimal(10), ""),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(1), Decimal(10), "x" * 51),
        OrderRequest("BTC/TRY;", Side.BUY, OrderMethod.LIMIT, Decimal(1), Decimal(10), "c"),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.MARKET, Decimal(100), Decimal(10), "c"),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.STOP_LIMIT, Decimal(1), Decimal(10), "c"),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal("1e13"), Decimal(10), "c"),
        OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal("1e-17"), Decimal(10), "c"),
    ],
)
def test_requests_our_validation_refuses_never_reach_the_network(request_: OrderRequest) -> None:
    """An invalid order is refused as CLIENT_VALIDATION before any request is sent."""
    fake = new_fake()
    with pytest.raises(ExchangeRejectError) as exc:
        build_client(fake).submit_order(request_)
    assert exc.value.name == "CLIENT_VALIDATION"
    assert fake.requests == []


@pytest.mark.parametrize("order_id", [0, -1, 2**63, True])
def test_bad_order_ids_never_reach_the_network(order_id: int) -> None:
    """Cancel and lookup refuse ids that are not positive int64 values before any I/O."""
    fake = new_fake()
    client = build_client(fake)
    with pytest.raises(ExchangeRejectError):
        client.cancel_order(order_id)
    with pytest.raises(ExchangeRejectError):
        client.get_order(order_id)
    assert fake.requests == []


def test_the_order_body_uses_documented_names_and_plain_decimals() -> None:
    """The POST body carries newOrderClientId, lower-case enums and non-exponent decimals."""
    fake = new_fake()
    fake.route("POST", "/api/v1/order", _status(500))
    request = OrderRequest(
        "btc_try", Side.SELL, OrderMethod.LIMIT, Decimal("1E-8"), Decimal("2E+6"), "c1"
    )
    with pytest.raises(AmbiguousOrderError):
        build_client(fake).submit_order(request)
    (sent,) = fake.sent("POST", "/api/v1/order")
    assert sent.headers["Content-Type"] == "application/json"
    assert httpx.Response(200, content=sent.content).json() == {
        "quantity": "0.00000001",
        "price": "2000000",
        "newOrderClientId": "c1",
        "orderMethod": "limit",
        "orderType": "sell",
        "pairSymbol": "BTCTRY",
    }


def test_a_market_buy_sends_the_quote_amount_and_no_price() -> None:
    """A market buy's quantity is the quote amount and the body has no price field."""
    fake = new_fake()
    fake.route("POST", "/api/v1/order", _status(500))
    request = OrderRequest("BTCTRY", Side.BUY, OrderMethod.MARKET, Decimal(250), None, "m1")
    with pytest.raises(AmbiguousOrderError):
        build_client(fake).submit_order(request)
    body = httpx.Response(200, content=fake.sent("POST", "/api/v1/order")[0].content).json()
    assert body["quantity"] == "250"
    assert "price" not in body


def test_a_failed_clock_sync_before_a_post_is_not_ambiguous() -> None:
    """If the first signed call's clock sync fails, the POST was never sent: not ambiguous."""
    fake = new_fake()
    fake.route("GET", "/api/v2/server/time", _status(503))
    with pytest.raises(ExchangeUnavailableError) as exc:
        build_client(fake, retry_policy=RetryPolicy(attempts=1)).submit_order(ORDER)
    assert not isinstance(exc.value, AmbiguousOrderError)
    assert exc.value.endpoint == "GET /api/v2/server/time"
    assert fake.sent("POST", "/api/v1/order") == []
