"""The WSGI app's wire format: envelopes, key names, value types, statuses and error bodies."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import Reply, build_sim, new_clock, wsgi_call

from btcbot.adapters.clock import ManualClock
from btcbot.sim.app import SimApp, create_app
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET, sign
from btcbot.sim.exchange import SimExchange
from btcbot.sim.faults import FaultPlan

MakeSim = Callable[..., SimExchange]
Call = Callable[..., Reply]


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at START."""
    return new_clock()


@pytest.fixture
def make_sim(clock: ManualClock) -> MakeSim:
    """Builds sims on ``clock``."""
    return partial(build_sim, clock)


@pytest.fixture
def call(clock: ManualClock) -> Call:
    """Calls a WSGI app directly at ``clock``'s time."""
    return partial(wsgi_call, clock)


# Key order of one exchangeinfo symbol, as in the captured sample (ccxt's fixture).
SYMBOL_KEYS = [
    "id", "name", "nameNormalized", "status", "numerator", "denominator", "numeratorScale",
    "denominatorScale", "hasFraction", "filters", "orderMethods", "displayFormat",
    "commissionFromNumerator", "order", "priceRounding", "isNew",
    "marketPriceWarningThresholdPercentage", "maximumOrderAmount", "maximumLimitOrderPrice",
    "minimumLimitOrderPrice",
]  # fmt: skip
ORDER_KEYS = [
    "id", "price", "amount", "quantity", "stopPrice", "pairSymbol", "pairSymbolNormalized",
    "type", "method", "orderClientId", "time", "updateTime", "status", "leftAmount",
]  # fmt: skip
BUY = {"pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "limit", "price": "500000"}


@pytest.fixture
def app(make_sim: MakeSim) -> SimApp:
    """An app over the flat 1,000,000 TRY market, rate limits on."""
    return create_app(make_sim())


def test_server_time_is_bare_with_ms_and_seven_digit_iso(app: SimApp, call: Call) -> None:
    """server/time has no envelope: an int ms and an ISO string with 7 fractional digits."""
    body = call(app, "GET", "/api/v2/server/time").json()
    assert list(body) == ["serverTime", "serverTime2"]
    assert isinstance(body["serverTime"], int)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}\+00:00", body["serverTime2"])
    assert call(app, "GET", "/api/v2/server/ping").json() == {"pong": True}


def test_exchangeinfo_symbols_are_shaped_like_the_sample(app: SimApp, call: Call) -> None:
    """Envelope order data/success/message/code; symbol keys, string filters and null amounts."""
    body = call(app, "GET", "/api/v2/server/exchangeinfo").json()
    assert list(body) == ["data", "success", "message", "code"]
    assert (body["success"], body["message"], body["code"]) == (True, None, 0)
    btc = next(s for s in body["data"]["symbols"] if s["name"] == "BTCTRY")
    assert list(btc) == SYMBOL_KEYS
    assert btc["filters"] == [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": "0.0000000000001",
            "maxPrice": "10000000",
            "tickSize": "10",
            "minExchangeValue": "99.91",
            "minAmount": None,
            "maxAmount": None,
        }
    ]
    assert (btc["id"], btc["numeratorScale"], btc["denominatorScale"]) == (1, 8, 0)
    assert btc["maximumLimitOrderPrice"] == 10_000_000
    assert btc["minimumLimitOrderPrice"] == 100_000


def test_ticker_values_are_numbers_and_unknown_pair_is_empty(app: SimApp, call: Call) -> None:
    """Ticker prices are JSON numbers; an unknown pair answers 200 with ``data: []``."""
    item = call(app, "GET", "/api/v2/ticker", query="pairSymbol=btc_try").json()["data"][0]
    for key in ("last", "high", "low", "bid", "ask", "open", "volume", "average", "daily"):
        assert isinstance(item[key], int | float), key
    assert item["bid"] < item["last"] < item["ask"]
    assert (item["pair"], item["pairNormalized"]) == ("BTCTRY", "BTC_TRY")
    unknown = call(app, "GET", "/api/v2/ticker", query="pairSymbol=NOPETRY")
    assert (unknown.status, unknown.json()) == (
        200,
        {"data": [], "success": True, "message": None, "code": 0},
    )


def test_orderbook_is_strings_sorted_and_errors_like_btcturk(app: SimApp, call: Call) -> None:
    """Levels are [price, amount] strings; unknown/missing pair gives BtcTurk's 400 bodies."""
    data = call(app, "GET", "/api/v2/orderBook", query="pairSymbol=BTCTRY&limit=5").json()["data"]
    bids = [int(p) for p, _ in data["bids"]]
    asks = [int(p) for p, _ in data["asks"]]
    assert len(bids) == len(asks) == 5
    assert bids == sorted(bids, reverse=True)
    assert asks == sorted(asks)
    assert bids[0] < asks[0]
    assert all(isinstance(x, str) for level in data["bids"] for x in level)
    unknown = call(app, "GET", "/api/v2/orderbook", query="pairSymbol=NOPEUSDT")
    assert unknown.status == 400
    assert unknown.json() == {
        "success": False,
        "message": "Pair NOPEUSDT does not exists.",
        "code": 1037,
    }
    missing = call(app, "GET", "/api/v2/orderbook")
    assert missing.json()["message"] == "INVALID_REQUEST_ERROR"


def test_public_trades_have_string_ids_and_ms_dates(app: SimApp, call: Call) -> None:
    """Trades carry ``tid`` as a string, ``date`` as int ms and buy/sell sides, newest first."""
    data = call(app, "GET", "/api/v2/trades", query="pairSymbol=BTCTRY&last=4").json()["data"]
    assert len(data) == 4
    assert all(isinstance(t["tid"], str) and isinstance(t["date"], int) for t in data)
    assert [t["date"] for t in data] == sorted((t["date"] for t in data), reverse=True)
    assert {t["side"] for t in data} <= {"buy", "sell"}


def test_private_calls_need_a_valid_signature(app: SimApp, call: Call) -> None:
    """Unsigned or stale requests get HTTP 401 with a JSON failure body."""
    unsigned = call(app, "GET", "/api/v1/users/balances")
    assert unsigned.status == 401
    assert unsigned.json() == {
        "success": False,
        "message": "Unauthorized - Headers are missing",
        "code": 1037,
    }
    stamp = int(app.sim.epoch() * 1000) - 6_000
    old = {"X-PCK": DEFAULT_API_KEY, "X-Stamp": str(stamp)}
    old["X-Signature"] = sign(DEFAULT_API_KEY, DEFAULT_API_SECRET, stamp)
    stale = call(app, "GET", "/api/v1/users/balances", headers=old)
    assert (stale.status, stale.json()["message"]) == (401, "Unauthorized - Invalid Nonce")


def test_balances_are_strings_with_int_precision(app: SimApp, call: Call) -> None:
    """Each balance item has string amounts and an int precision; TRY comes first."""
    data = call(app, "GET", "/api/v1/users/balances", signed=True).json()["data"]
    assert data[0]["asset"] == "TRY"
    assert data[0]["free"] == "100000.0000000000000000"
    assert data[0]["precision"] == 2
    assert list(data[0]) == [
        "asset", "assetname", "balance", "locked", "free", "orderFund", "requestFund", "precision",
    ]  # fmt: skip


def test_submit_success_and_failure_bodies(app: SimApp, call: Call) -> None:
    """POST answers the captured success shape, and order errors the full 400 shape."""
    ok = call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.01"}, signed=True)
    body = ok.json()
    assert list(body) == ["httpStatusCode", "data", "success", "message", "code"]
    assert (body["httpStatusCode"], body["message"], body["code"]) == (200, "SUCCESS", 0)
    assert list(body["data"]) == [
        "id", "quantity", "price", "stopPrice", "newOrderClientId", "type", "method",
        "pairSymbol", "pairSymbolNormalized", "datetime",
    ]  # fmt: skip
    assert body["data"]["id"] > 2**31
    assert (body["data"]["type"], body["data"]["method"]) == ("buy", "limit")
    bad = call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "5"}, signed=True)
    assert bad.status == 400
    assert bad.json() == {
        "httpStatusCode": 400,
        "data": None,
        "success": False,
        "message": "FAILED_ORDER_WITH_OPEN_ORDERS",
        "code": 1122,
    }


def test_submit_accepts_numbers_pascal_case_and_integer_enums(app: SimApp, call: Call) -> None:
    """Keys bind case-insensitively; JSON numbers and C#-style integer enums are accepted."""
    body = {"PairSymbol": "BTC_TRY", "OrderType": 0, "OrderMethod": 0, "Price": 500000,
            "Quantity": 0.01, "StopPrice": 0.0, "NewOrderClientId": None}  # fmt: skip
    reply = call(app, "POST", "/api/v1/order", body=body, signed=True)
    assert reply.status == 200, reply.body


def test_submit_needs_a_json_body(app: SimApp, call: Call) -> None:
    """Form-encoded order bodies get HTTP 415, as BtcTurk answered them."""
    reply = call(app, "POST", "/api/v1/order", body=b"a=1", content_type="text/plain", signed=True)
    assert (reply.status, reply.body) == (415, b"")


def test_cancel_and_single_order_shapes(app: SimApp, call: Call) -> None:
    """DELETE ?id= answers the short success body; unknown ids give 1052 and 1152."""
    order_id = call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.01"}, signed=True)
    oid = order_id.json()["data"]["id"]
    done = call(app, "DELETE", "/api/v1/order", query=f"id={oid}", signed=True)
    assert done.json() == {"success": True, "message": "SUCCESS", "code": 0}
    after = call(app, "GET", f"/api/v1/order/{oid}", signed=True).json()["data"]
    assert list(after) == ORDER_KEYS
    assert after["status"] == "Canceled"
    unknown = call(app, "DELETE", "/api/v1/order", query="id=42", signed=True)
    assert (unknown.status, unknown.json()) == (
        400,
        {"success": False, "message": "NO_ORDER_MATCHES_YOUR_REQUEST", "code": 1052},
    )
    missing = call(app, "GET", "/api/v1/order/42", signed=True)
    assert missing.json() == {"success": False, "message": "Order not found", "code": 1152}


def test_open_orders_split_by_side_with_time_zero(app: SimApp, call: Call) -> None:
    """Buys are under ``bids``, sells under ``asks``; ``time`` is 0 and leftAmount a string."""
    call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.01"}, signed=True)
    data = call(app, "GET", "/api/v1/openOrders", query="pairSymbol=BTCTRY", signed=True).json()
    order = data["data"]["bids"][0]
    assert data["data"]["asks"] == []
    assert list(order) == ORDER_KEYS
    assert (order["time"], order["status"]) == (0, "Untouched")
    assert order["leftAmount"] == "0.0100000000000000"


def test_all_orders_filters_by_time_in_ms_or_seconds(
    app: SimApp, call: Call, clock: ManualClock
) -> None:
    """startTime/endTime filter by creation time; ccxt's seconds are understood too."""
    call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.01"}, signed=True)
    clock.advance(60)
    cut_ms = int(clock.now().timestamp() * 1000)
    call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.02"}, signed=True)
    for start in (cut_ms, cut_ms // 1000):
        q = f"pairSymbol=BTCTRY&startTime={start}"
        data = call(app, "GET", "/api/v1/allOrders", query=q, signed=True).json()["data"]
        assert [o["quantity"] for o in data] == ["0.02"]
    q = f"pairSymbol=BTCTRY&endTime={cut_ms - 1}"
    data = call(app, "GET", "/api/v1/allOrders", query=q, signed=True).json()["data"]
    assert [o["quantity"] for o in data] == ["0.01"]


def test_own_trades_have_negative_sells_fees_and_tax(app: SimApp, call: Call) -> None:
    """users/transactions/trade: a sell's amount, and every fee and tax, are negative strings."""
    market = {"pairSymbol": "BTCTRY", "orderMethod": "market"}
    call(
        app,
        "POST",
        "/api/v1/order",
        body={**market, "orderType": "buy", "quantity": "5000"},
        signed=True,
    )
    btc = app.sim.account.free["BTC"]
    sell = {**market, "orderType": "sell", "quantity": str(btc)}
    sold = call(app, "POST", "/api/v1/order", body=sell, signed=True).json()["data"]["id"]
    data = call(
        app, "GET", "/api/v1/users/transactions/trade", query=f"orderId={sold}", signed=True
    )
    item = data.json()["data"][0]
    assert item["orderType"] == "sell"
    assert item["amount"].startswith("-")
    assert item["fee"].startswith("-")
    assert item["tax"].startswith("-")
    assert item["preciseAmount"] < 0
    assert isinstance(item["id"], int)
    assert item["id"] > 2**53
    q = "type=buy&symbol=btc"
    buys = call(app, "GET", "/api/v1/users/transactions/trade", query=q, signed=True).json()
    assert {t["orderType"] for t in buys["data"]} == {"buy"}


def test_unknown_path_is_404_and_wrong_method_405(app: SimApp, call: Call) -> None:
    """Wrong URLs get an empty 404; a known path with the wrong method an empty 405."""
    assert (call(app, "GET", "/api/v2/nope").status, call(app, "GET", "/nope").body) == (404, b"")
    wrong = call(app, "PUT", "/api/v1/order", signed=True)
    assert (wrong.status, wrong.body) == (405, b"")


def test_order_quota_answers_429_with_retry_after(
    app: SimApp, call: Call, clock: ManualClock
) -> None:
    """The 11th order POST within one second gets 429, Retry-After and the documented body."""
    for _ in range(10):
        call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.001"}, signed=True)
    refused = call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.001"}, signed=True)
    assert refused.status == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json() == {
        "message": "TOO_MANY_REQUESTS",
        "success": False,
        "code": 429,
        "details": "Quota exceeded. Maximum allowed: 10 per 1s.",
        "limit": "10",
        "period": "1s",
        "policy": "account",
    }
    assert len(app.sim.orders) == 10
    clock.advance(1)
    again = call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.001"}, signed=True)
    assert again.status == 200


def test_rate_limits_can_be_disabled(make_sim: MakeSim, call: Call) -> None:
    """With rate_limits=False a burst of orders is never refused."""
    app = create_app(make_sim(), rate_limits=False)
    codes = {
        call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.001"}, signed=True).status
        for _ in range(15)
    }
    assert codes == {200}


def test_timeout_fault_has_no_effect_but_after_accept_does(make_sim: MakeSim, call: Call) -> None:
    """``timeout`` drops the request; ``timeout_after_accept`` places the order, then times out."""
    app = create_app(
        make_sim(), FaultPlan.parse("timeout:#1@/api/v1/order,timeout_after_accept:#2")
    )
    first = call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.001"}, signed=True)
    assert first.headers["x-sim-fault"] == "timeout"
    assert app.sim.orders == {}
    second = call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.001"}, signed=True)
    assert second.headers["x-sim-fault"] == "timeout"
    assert len(app.sim.orders) == 1


@pytest.mark.parametrize(
    ("spec", "status", "check"),
    [
        ("reset:1", 504, lambda r: r.headers["x-sim-fault"] == "reset"),
        ("502html:1", 502, lambda r: r.headers["content-type"] == "text/html" and b"502" in r.body),
        ("5xx:1", None, lambda r: r.json()["message"] == "INTERNAL_ERROR"),
        ("429:1,retry_after=7", 429, lambda r: r.headers["retry-after"] == "7"),
        ("malformed:1", 200, lambda r: r.body and not r.body.endswith(b"}")),
    ],
)
def test_injected_faults_shape_the_response(
    make_sim: MakeSim, call: Call, spec: str, status: int | None, check: Callable[[Reply], Any]
) -> None:
    """Each fault kind produces its documented response."""
    reply = call(create_app(make_sim(), FaultPlan.parse(spec)), "GET", "/api/v2/ticker")
    assert reply.status in ((500, 503) if status is None else (status,))
    assert check(reply)


def test_slow_fault_sleeps_outside_the_engine(make_sim: MakeSim, call: Call) -> None:
    """A ``slow`` response calls the injected sleep with the configured delay."""
    slept: list[float] = []
    app = create_app(make_sim(), FaultPlan.parse("slow:1,slow=0.25"), sleep=slept.append)
    assert call(app, "GET", "/api/v2/ticker").status == 200
    assert slept == [0.25]


def test_clock_skew_moves_server_time_and_the_stamp_window(make_sim: MakeSim, call: Call) -> None:
    """skew=10 shifts the exchange clock by 10 s: an unsynchronised client's stamp is refused."""
    plain = create_app(make_sim())
    skewed = create_app(make_sim(), FaultPlan.parse("skew=10"))
    t0 = call(plain, "GET", "/api/v2/server/time").json()["serverTime"]
    t1 = call(skewed, "GET", "/api/v2/server/time").json()["serverTime"]
    assert t1 - t0 == 10_000
    refused = call(skewed, "GET", "/api/v1/users/balances", signed=True)
    assert (refused.status, refused.json()["message"]) == (401, "Unauthorized - Invalid Nonce")
    ticker = call(skewed, "GET", "/api/v2/ticker", query="pairSymbol=BTCTRY").json()["data"][0]
    assert ticker["timestamp"] == t1  # every time the exchange reports is on its skewed clock


def test_state_file_is_saved_after_a_mutating_request(
    make_sim: MakeSim, call: Call, clock: ManualClock, tmp_path: Path
) -> None:
    """With state_path set, an accepted order is on disk and a reloaded sim still has it open."""
    sim = make_sim()
    path = tmp_path / "sim.json"
    app = create_app(sim, state_path=path)
    assert not path.exists()
    call(app, "GET", "/api/v2/ticker")
    assert not path.exists()  # reads do not write
    oid = call(app, "POST", "/api/v1/order", body={**BUY, "quantity": "0.01"}, signed=True)
    feeds = {s: [f.bar(i) for i in range(10)] for s, f in sim.feeds.items()}
    reloaded = SimExchange.load(path, feeds, now=clock.now, config=sim.config)
    assert list(reloaded.open) == [oid.json()["data"]["id"]]


def test_klines_history_is_tradingview_shaped(app: SimApp, call: Call, clock: ManualClock) -> None:
    """klines/history gives parallel arrays of numbers, t in seconds, never past now."""
    now = int(clock.now().timestamp())
    q = f"symbol=BTCTRY&resolution=1&from={now - 120}&to={now}"
    body = call(app, "GET", "/graph/v1/klines/history", query=q).json()
    assert list(body) == ["s", "t", "o", "h", "l", "c", "v"]
    assert body["s"] == "ok"
    assert body["t"] == [now - 120, now - 60, now]
    assert body["c"][0] == 1_000_000
    negative = call(
        app, "GET", "/graph/v1/klines/history", query="symbol=BTCTRY&resolution=60&from=-7200&to=1"
    )
    assert negative.status == 400
    daily = call(app, "GET", "/graph/v1/ohlcs", query=f"pair=BTCTRY&from=0&to={now}").json()
    assert isinstance(daily, list)
    assert daily[-1]["pair"] == "BTCTRY"
    assert isinstance(daily[-1]["time"], int)


def test_older_daily_ohlc_and_currency_ticker(app: SimApp, call: Call) -> None:
    """/api/v2/ohlc is enveloped with string values and ms times; ticker/currency filters pairs."""
    data = call(app, "GET", "/api/v2/ohlc", query="pairSymbol=BTCTRY&last=2").json()["data"]
    assert data
    assert isinstance(data[-1]["time"], int)
    assert data[-1]["time"] % 86_400_000 == 0
    assert all(isinstance(data[-1][k], str) for k in ("open", "high", "low", "close", "volume"))
    eth = call(app, "GET", "/api/v2/ticker/currency", query="symbol=eth").json()["data"]
    assert [t["pair"] for t in eth] == ["ETHTRY"]
    transfers = call(app, "GET", "/api/v1/users/transactions/crypto", signed=True).json()
    assert transfers["data"] == []
