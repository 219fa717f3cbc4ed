"""Contract tests: every captured BtcTurk body parses into the right domain objects or errors."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from exchange_fakes import START, build_client, envelope, load_sample, new_fake

from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.errors import (
    AuthenticationError,
    ExchangeError,
    ExchangeRejectError,
    ExchangeUnavailableError,
    InsufficientBalanceError,
    MalformedResponseError,
    OrderNotFoundError,
    RateLimitedError,
)
from btcbot.domain.models import OrderRequest
from btcbot.exchange.errors import Outcome, classify


def test_exchangeinfo_sample_yields_btctry_rules() -> None:
    """BTCTRY's rules carry minExchangeValue 99.91 (not erased by minAmount null) and tick 10."""
    fake = new_fake()
    data = {
        "timeZone": "UTC",
        "serverTime": 1790133600027,
        "symbols": load_sample("rest_v2_server_exchangeinfo_symbols.json"),
    }
    fake.json("GET", "/api/v2/server/exchangeinfo", envelope(data))
    info = build_client(fake).exchange_info()
    rules = info.rules_for("btc_try")
    assert rules is not None
    assert rules.min_notional == Decimal("99.91")
    assert rules.tick_size == Decimal(10)
    assert rules.numerator_scale == 8
    assert rules.denominator_scale == 0
    assert rules.has_fraction is False
    assert rules.min_limit_price == Decimal("375413.5")
    assert rules.max_limit_price == Decimal(37541350)
    assert rules.order_methods == frozenset(OrderMethod)
    assert rules.is_trading
    assert (rules.symbol, rules.base, rules.quote, rules.pair_id) == ("BTCTRY", "BTC", "TRY", 1)
    assert (rules.min_price, rules.max_price) == (Decimal("0.0000000000001"), Decimal(10000000))
    usdt = info.rules_for("BTCUSDT")
    assert usdt is not None
    assert usdt.min_notional == Decimal("9.91")
    assert info.server_time == datetime(2026, 9, 23, 3, 20, 0, 27000, tzinfo=UTC)


def test_open_orders_sample_yields_a_buy() -> None:
    """The stop-limit in ``bids`` is a buy, open, with its stop price and an unknown create time."""
    fake = new_fake()
    fake.json("GET", "/api/v1/openOrders", load_sample("rest_v1_openOrders_stoplimit.json"))
    (order,) = build_client(fake).open_orders()
    assert order.side is Side.BUY
    assert order.order_id == 671533370
    assert order.symbol == "LINKTRY"
    assert order.method is OrderMethod.STOP_LIMIT
    assert order.status is OrderStatus.OPEN
    assert order.price == Decimal("110.00")
    assert order.stop_price == Decimal("109.00")
    assert order.left_quantity == Decimal("1.00")
    assert order.filled_quantity == 0
    assert order.created_at is None  # openOrders sends time: 0
    assert order.updated_at == datetime(2020, 11, 12, 5, 8, 55, 153000, tzinfo=UTC)


def test_a_symbol_or_method_it_cannot_read_costs_only_itself() -> None:
    """An incomplete symbol is left out, and so is an unknown method: never what follows them.

    A pair left out cannot be traded, and neither can a method left out; stopping at the
    first odd entry would silently take every later pair or method away.
    """
    btctry, btcusdt = load_sample("rest_v2_server_exchangeinfo_symbols.json")[:2]
    no_minimum = {**btctry, "name": "XRPTRY", "filters": [{"filterType": "PRICE_FILTER"}]}
    btctry = {**btctry, "orderMethods": ["ICEBERG", "LIMIT", "MARKET"]}
    fake = new_fake()
    data = {"timeZone": "UTC", "symbols": [btctry, no_minimum, btcusdt]}
    fake.json("GET", "/api/v2/server/exchangeinfo", envelope(data))
    info = build_client(fake).exchange_info()
    assert sorted(info.symbols) == ["BTCTRY", "BTCUSDT"]
    rules = info.rules_for("BTCTRY")
    assert rules is not None
    assert rules.order_methods == frozenset({OrderMethod.LIMIT, OrderMethod.MARKET})
    assert info.server_time == START  # no serverTime: the client's own clock


def test_open_orders_of_one_pair_ask_for_it_and_keep_only_it() -> None:
    """A server that also lists another pair's order: the client returns the asked pair only.

    Reconciliation's per-symbol pass concatenates these lists; an order of another pair would
    come back once for every symbol asked.
    """
    body = load_sample("rest_v1_openOrders_stoplimit.json")
    link = body["data"]["bids"][0]
    eth = {**link, "id": 671533371, "pairSymbol": "ETHTRY", "pairSymbolNormalized": "ETH_TRY"}
    body["data"]["bids"] = [link, eth]
    fake = new_fake()
    fake.json("GET", "/api/v1/openOrders", body)
    client = build_client(fake)
    assert [o.order_id for o in client.open_orders("ETHTRY")] == [671533371]
    assert [o.order_id for o in client.open_orders()] == [671533370, 671533371]
    first, second = fake.sent("GET", "/api/v1/openOrders")
    assert dict(first.url.params) == {"pairSymbol": "ETHTRY"}
    assert dict(second.url.params) == {}


def test_triggered_stop_yields_two_orders_sharing_one_client_id() -> None:
    """A triggered stop is a Canceled stop plus a Closed market child with the same client id."""
    fake = new_fake()
    fake.json(
        "GET",
        "/api/v1/allOrders",
        envelope(load_sample("rest_v1_allOrders_stop_triggered_items.json")),
    )
    child, stop = build_client(fake).all_orders("ETHUSDT")
    assert child.client_order_id == stop.client_order_id == "48e33815"
    assert (child.order_id, child.status, child.method) == (
        123,
        OrderStatus.FILLED,
        OrderMethod.MARKET,
    )
    assert (stop.order_id, stop.status, stop.method) == (
        122,
        OrderStatus.CANCELED,
        OrderMethod.STOP_MARKET,
    )
    assert child.filled_quantity == Decimal("0.1997491904775655")
    assert stop.filled_quantity == 0


def test_server_time_sample() -> None:
    """The bare server/time body gives an aware UTC datetime from its ms field."""
    fake = new_fake()
    fake.json("GET", "/api/v2/server/time", load_sample("rest_v2_server_time.json"))
    assert build_client(fake).server_time() == datetime(2026, 9, 23, 3, 20, 0, 27000, tzinfo=UTC)


def test_ticker_sample() -> None:
    """The ticker array with JSON numbers becomes one exact-Decimal ticker."""
    fake = new_fake()
    fake.json("GET", "/api/v2/ticker", load_sample("rest_v2_ticker_BTCUSDT.json"))
    ticker = build_client(fake).ticker("BTCUSDT")
    assert ticker.symbol == "BTCUSDT"
    assert ticker.last == Decimal(79152)
    assert (ticker.bid, ticker.ask) == (Decimal(79164), Decimal(79185))
    assert ticker.volume == Decimal("11.32065888")
    assert (ticker.high, ticker.low, ticker.open, ticker.average) == tuple(
        map(Decimal, (79165, 76386, 77356, 77879))
    )
    assert ticker.timestamp == datetime(2026, 9, 14, 18, 23, 8, 498000, tzinfo=UTC)


def test_the_all_pairs_ticker_leaves_out_a_row_it_cannot_read() -> None:
    """One odd pair among many must not blind the cycle: that pair alone has no ticker."""
    good = load_sample("rest_v2_ticker_BTCUSDT.json")["data"][0]
    odd = {**good, "pair": "ODDTRY", "pairNormalized": "ODD_TRY", "last": "not a number"}
    fake = new_fake()
    fake.json("GET", "/api/v2/ticker", envelope([odd, good]))
    tickers = build_client(fake).tickers()
    assert [t.symbol for t in tickers] == ["BTCUSDT"]
    with pytest.raises(MalformedResponseError):
        build_client(fake).ticker("ODDTRY")  # one pair asked for: its answer is malformed


def test_order_post_success_sample() -> None:
    """The POST /order success body becomes an OrderAck with its int64 id and client id."""
    fake = new_fake()
    fake.json("POST", "/api/v1/order", load_sample("rest_v1_order_post_success.json"))
    request = OrderRequest(
        symbol="XLMTRY",
        side=Side.BUY,
        method=OrderMethod.LIMIT,
        quantity=Decimal(15),
        price=Decimal("0.8"),
        client_order_id="BtcTurk Python API Test",
    )
    ack = build_client(fake).submit_order(request)
    assert ack.order_id == 431292405
    assert ack.client_order_id == "BtcTurk Python API Test"
    assert (ack.symbol, ack.side, ack.method) == ("XLMTRY", Side.BUY, OrderMethod.LIMIT)
    assert (ack.price, ack.quantity) == (Decimal("0.8000"), Decimal(15))
    assert ack.created_at == datetime(2020, 8, 19, 19, 58, 23, 932000, tzinfo=UTC)


def test_order_delete_success_sample() -> None:
    """The DELETE success body (no data) is a successful cancel sent as ``?id=``."""
    fake = new_fake()
    fake.json("DELETE", "/api/v1/order", load_sample("rest_v1_order_delete_success.json"))
    build_client(fake).cancel_order(25327923517)
    (sent,) = fake.sent("DELETE", "/api/v1/order")
    assert sent.url.params["id"] == "25327923517"
    assert sent.content == b""


_EXPECTED: dict[str | None, type[ExchangeError] | None] = {
    "FAILED_INVALID_QUANTITY_SCALE": ExchangeRejectError,
    "FAILED_INVALID_PRICE_SCALE": ExchangeRejectError,
    "FAILED_ORDER_WITH_OPEN_ORDERS": InsufficientBalanceError,
    "NO_ORDER_MATCHES_YOUR_REQUEST": OrderNotFoundError,
    "Order not found": OrderNotFoundError,
    "Unauthorized - Invalid Nonce": AuthenticationError,
    "Pair NOPEUSDT does not exists.": ExchangeRejectError,
    "INVALID_REQUEST_ERROR": ExchangeRejectError,
    "TOO_MANY_REQUESTS": RateLimitedError,
    "INTERNAL_ERROR": ExchangeUnavailableError,
    None: None,  # the unknown-pair ticker: HTTP 200 with data [] is a success
}


@pytest.mark.parametrize(
    "entry", load_sample("rest_errors.json"), ids=lambda e: str(e["body"].get("message"))
)
def test_every_error_sample_maps_to_its_typed_error(entry: dict[str, Any]) -> None:
    """Each captured error body, at its reported HTTP status (400 when unreported), has one type."""
    status = entry["http_status"] or 400
    error = classify(Outcome(status, entry["body"], "7"), entry["request"])
    expected = _EXPECTED[entry["body"]["message"]]
    if expected is None:
        assert error is None
        return
    assert type(error) is expected
    assert error is not None
    assert error.endpoint == entry["request"]
    if isinstance(error, ExchangeRejectError):
        assert error.code == entry["body"]["code"]
        assert error.name == entry["body"]["message"]
    if isinstance(error, RateLimitedError):
        assert error.retry_after == 7.0


def test_unknown_pair_ticker_is_a_typed_reject() -> None:
    """BtcTurk answers an unknown pair's ticker with 200 and ``data: []``: a reject, not a crash."""
    fake = new_fake()
    fake.json("GET", "/api/v2/ticker", {"data": [], "success": True, "message": None, "code": 0})
    with pytest.raises(ExchangeRejectError) as exc:
        build_client(fake).ticker("NOPEUSDT")
    assert exc.value.name == "UNKNOWN_PAIR"


def test_error_samples_through_the_client_keep_their_type() -> None:
    """A 400 FAILED_ORDER_WITH_OPEN_ORDERS on submit surfaces as InsufficientBalanceError."""
    fake = new_fake()
    body = load_sample("rest_errors.json")[2]["body"]
    fake.route("POST", "/api/v1/order", lambda _r: httpx.Response(400, json=body))
    request = OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(1), Decimal(10), "c1")
    with pytest.raises(InsufficientBalanceError) as exc:
        build_client(fake).submit_order(request)
    assert exc.value.code == 1122
    assert exc.value.endpoint == "POST /api/v1/order"


_BOOK = "/api/v2/orderbook"


def _market_fake() -> Any:
    fake = new_fake()
    fake.json("GET", "/api/v2/ticker", load_sample("rest_v2_ticker_BTCUSDT.json"))
    fake.json("GET", "/api/v2/orderbook", envelope({"timestamp": 1, "bids": [], "asks": []}))
    fake.json("GET", "/api/v2/trades", envelope([]))
    return fake


@pytest.mark.parametrize(
    ("call", "path", "params"),
    [
        (lambda c: c.ticker("btc_usdt"), "/api/v2/ticker", {"pairSymbol": "BTCUSDT"}),
        (lambda c: c.tickers(), "/api/v2/ticker", {}),
        (lambda c: c.order_book("BTCTRY"), _BOOK, {"pairSymbol": "BTCTRY", "limit": "100"}),
        (lambda c: c.order_book("BTCTRY", 1), _BOOK, {"pairSymbol": "BTCTRY", "limit": "1"}),
        (lambda c: c.trades("BTCTRY"), "/api/v2/trades", {"pairSymbol": "BTCTRY", "last": "50"}),
        (lambda c: c.trades("BTCTRY", 1), "/api/v2/trades", {"pairSymbol": "BTCTRY", "last": "1"}),
    ],
    ids=["ticker", "tickers", "order_book", "order_book_of_one", "trades", "one_trade"],
)  # fmt: skip
def test_market_data_asks_for_the_pair_and_depth_by_their_documented_names(
    call: Any, path: str, params: dict[str, str]
) -> None:
    """``pairSymbol``, ``limit`` and ``last`` as API.md section 3 spells them, at their bounds."""
    fake = _market_fake()
    call(build_client(fake))
    (sent,) = fake.requests
    assert (sent.url.path, dict(sent.url.params)) == (path, params)


@pytest.mark.parametrize(
    "call",
    [lambda c: c.order_book("BTCTRY", 101), lambda c: c.order_book("BTCTRY", 0),
     lambda c: c.trades("BTCTRY", 51), lambda c: c.trades("BTCTRY", 0)],
    ids=["book_101", "book_0", "trades_51", "trades_0"],
)  # fmt: skip
def test_depths_beyond_the_documented_bounds_never_leave(call: Any) -> None:
    """BtcTurk caps the book at 100 levels a side and public trades at 50."""
    fake = _market_fake()
    with pytest.raises(ExchangeRejectError, match="refused before sending"):
        call(build_client(fake))
    assert fake.requests == []
