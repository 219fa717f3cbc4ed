"""Wire variants the mappers must tolerate, and the wrong values they must never produce."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from exchange_fakes import load_sample

from btcbot.domain.enums import OrderStatus, Side
from btcbot.domain.errors import MalformedResponseError
from btcbot.exchange import mappers, order_mappers
from btcbot.exchange.wire import decode_json

EP = "GET /test"


def _symbol(**changes: Any) -> dict[str, Any]:
    symbol: dict[str, Any] = load_sample("rest_v2_server_exchangeinfo_symbols.json")[0]
    symbol.update(changes)
    return symbol


def _order(**changes: Any) -> dict[str, Any]:
    order: dict[str, Any] = load_sample("rest_v1_openOrders_stoplimit.json")["data"]["bids"][0]
    order.update(changes)
    return order


ACK_FALLBACK = datetime(2026, 1, 1, tzinfo=UTC)  # our clock, when an ack carries no time


def _ack(**changes: Any) -> dict[str, Any]:
    ack: dict[str, Any] = load_sample("rest_v1_order_post_success.json")["data"]
    ack.update(changes)
    return ack


def test_a_null_never_overrides_a_filter_value() -> None:
    """A later filter's ``minExchangeValue: null`` leaves the earlier 99.91 in place."""
    filters = [
        *_symbol()["filters"],
        {"filterType": "OTHER", "minExchangeValue": None, "tickSize": None},
    ]
    rules = mappers.to_symbol_rules(_symbol(filters=filters), EP)
    assert rules.min_notional == Decimal("99.91")
    assert rules.tick_size == Decimal(10)


def test_numbers_may_arrive_as_strings_or_numbers() -> None:
    """Scales and prices parse the same from ``"8"``/``8`` and ``"37541350"``/``37541350``."""
    rules = mappers.to_symbol_rules(
        _symbol(numeratorScale="8", denominatorScale="0", maximumLimitOrderPrice="37541350"), EP
    )
    assert (rules.numerator_scale, rules.max_limit_price) == (8, Decimal(37541350))


def test_a_symbol_without_minimum_notional_is_left_out_not_guessed() -> None:
    """Exchangeinfo drops a pair whose filters lack minExchangeValue instead of inventing one."""
    broken = _symbol(
        name="XXXTRY", filters=[{"filterType": "PRICE_FILTER", "minExchangeValue": None}]
    )
    data = {"symbols": [_symbol(), broken, {"name": "garbage"}]}
    info = mappers.to_exchange_info(data, EP, datetime(2026, 1, 1, tzinfo=UTC))
    assert set(info.symbols) == {"BTCTRY"}


def test_huge_numbers_stay_exact() -> None:
    """Thirty-digit prices and sixteen-decimal amounts survive as exact Decimals."""
    text = (
        '{"asset":"TRY","balance":123456789012345678901234567890.1234567890123456,'
        '"locked":"0","free":"1e-16"}'
    )
    (balance,) = mappers.to_balances([decode_json(text, EP)], EP)
    assert balance.total == Decimal("123456789012345678901234567890.1234567890123456")
    assert balance.free == Decimal("1e-16")


@pytest.mark.parametrize("missing", ["id", "status", "leftAmount", "type", "pairSymbol"])
def test_missing_keys_are_malformed_and_name_the_endpoint(missing: str) -> None:
    """An order without a required key is a MalformedResponseError naming the endpoint and field."""
    order = _order()
    del order[missing]
    with pytest.raises(MalformedResponseError) as exc:
        order_mappers.to_order(order, "GET /api/v1/openOrders")
    assert exc.value.endpoint == "GET /api/v1/openOrders"
    assert missing in str(exc.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("status", "Exploded"),
        ("type", "hold"),
        ("method", "iceberg"),
        ("price", "NaN"),
        ("leftAmount", True),
    ],
)
def test_wrong_values_are_malformed_not_guessed(field: str, value: object) -> None:
    """An unknown status, side or method or a non-number is refused, never mapped to a default."""
    with pytest.raises(MalformedResponseError):
        order_mappers.to_order(_order(**{field: value}), EP)


@pytest.mark.parametrize(
    ("wire", "status"),
    [
        ("Untouched", OrderStatus.OPEN),
        ("Partial", OrderStatus.PARTIALLY_FILLED),
        ("Closed", OrderStatus.FILLED),
        ("Canceled", OrderStatus.CANCELED),
    ],
)
def test_every_btcturk_status_maps(wire: str, status: OrderStatus) -> None:
    """Untouched, Partial, Closed and Canceled map one to one (Closed is FILLED)."""
    assert order_mappers.to_order(_order(status=wire), EP).status is status


def test_int64_order_ids_and_partial_fills() -> None:
    """Order ids above 2**31 stay exact; filled = amount - leftAmount."""
    order = order_mappers.to_order(
        _order(id=25327923517, amount="5", leftAmount="1.25", status="Partial"), EP
    )
    assert order.order_id == 25327923517
    assert order.filled_quantity == Decimal("3.75")


def _trade(**changes: Any) -> dict[str, Any]:
    line = (
        '{"id":1149163839863900657,"orderId":25327923517,"timestamp":1729396570700,'
        '"numeratorSymbol":"APE","denominatorSymbol":"USDT","amount":"-205.24",'
        '"fee":"-0.10467240","tax":"-0.02093448","price":"1.020","orderType":"sell",'
        '"orderClientId":"xxxxxx","preciseAmount":-205.24}'
    )
    trade: dict[str, Any] = decode_json(line, EP)
    trade.update(changes)
    return trade


def test_own_sell_trades_become_positive_with_explicit_side() -> None:
    """A sell's negative amount, fee and tax become positive Decimals; side comes from orderType."""
    (fill,) = order_mappers.to_fills([_trade()], EP)
    assert fill.side is Side.SELL
    assert (fill.quantity, fill.fee, fill.tax) == (
        Decimal("205.24"),
        Decimal("0.10467240"),
        Decimal("0.02093448"),
    )
    assert fill.trade_id == 1149163839863900657  # > 2**53, exact
    assert fill.order_id == 25327923517
    assert (fill.symbol, fill.fee_asset) == ("APEUSDT", "USDT")
    assert fill.timestamp == datetime(2024, 10, 20, 3, 56, 10, 700000, tzinfo=UTC)


def test_trade_ids_as_strings_and_buys_are_fine() -> None:
    """A string trade id and a positive buy amount parse the same way."""
    (fill,) = order_mappers.to_fills(
        [_trade(id="1149163839863900657", amount="3", orderType="buy")], EP
    )
    assert (fill.trade_id, fill.side, fill.quantity) == (1149163839863900657, Side.BUY, Decimal(3))


def test_float_ms_timestamps_and_book_order() -> None:
    """A float ms timestamp parses; bids come out best (highest) first and asks lowest first."""
    data = {
        "timestamp": 1613315997466.0,
        "bids": [["1", "2"], ["3", "4"]],
        "asks": [["9", "1"], ["7", "1"]],
    }
    book = mappers.to_order_book(json.loads(json.dumps(data)), "BTCTRY", EP)
    assert book.timestamp == datetime(2021, 2, 14, 15, 19, 57, 466000, tzinfo=UTC)
    assert [lvl.price for lvl in book.bids] == [3, 1]
    assert [lvl.price for lvl in book.asks] == [7, 9]


def test_klines_use_seconds_and_refuse_ragged_columns() -> None:
    """Graph ``t`` is seconds; columns of different lengths are malformed; ``no_data`` is empty."""
    data = {"s": "ok", "t": [1790133600], "o": [1], "h": [2], "l": [0.5], "c": [1.5], "v": [10]}
    (candle,) = mappers.to_candles(data, EP)
    assert candle.open_time == datetime(2026, 9, 23, 3, 20, tzinfo=UTC)
    assert candle.low == Decimal("0.5")
    with pytest.raises(MalformedResponseError):
        mappers.to_candles({**data, "c": []}, EP)
    assert mappers.to_candles({"s": "no_data", "t": []}, EP) == []
    # Whatever rows come with it, an answer that is not ``ok`` carries no candles.
    assert mappers.to_candles({**data, "s": "error"}, EP) == []
    assert (candle.open, candle.high, candle.close, candle.volume) == (
        Decimal(1),
        Decimal(2),
        Decimal("1.5"),
        Decimal(10),
    )


@pytest.mark.parametrize("text", ["NaN", '{"a": Infinity}', "[" * 100000, "\x00"])
def test_hostile_bodies_are_malformed(text: str) -> None:
    """Non-finite constants, absurd nesting and junk are MalformedResponseError, never a crash."""
    with pytest.raises(MalformedResponseError):
        decode_json(text, EP)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("id", "12ab", "id is not an integer id"),
        ("orderType", "hold", "orderType is not buy/sell"),
        ("price", "1,02", "price is not a number"),
        ("amount", "many", "amount is not a number"),
        ("fee", "Infinity", "fee is not a finite number"),
        ("tax", "x", "tax is not a number"),
        ("timestamp", "soon", "timestamp is not"),
    ],
)
def test_a_bad_own_trade_field_is_named_with_the_endpoint(
    field: str, value: object, words: str
) -> None:
    """The operator reads which field of which call was wrong, not a bare parse error."""
    with pytest.raises(MalformedResponseError) as exc:
        order_mappers.to_fills([_trade(**{field: value})], "GET /api/v1/users/transactions/trade")
    assert exc.value.endpoint == "GET /api/v1/users/transactions/trade"
    assert str(exc.value).startswith(f"GET /api/v1/users/transactions/trade: {words}")


def test_a_bad_order_field_is_named_with_the_endpoint() -> None:
    """The same for an order and for a submit's acknowledgement."""
    with pytest.raises(MalformedResponseError) as exc:
        order_mappers.to_order(_order(type="hold"), "GET /api/v1/openOrders")
    assert str(exc.value) == "GET /api/v1/openOrders: type is not buy/sell"
    with pytest.raises(MalformedResponseError) as exc:
        order_mappers.to_order_ack(_ack(method="iceberg"), "POST /api/v1/order", ACK_FALLBACK)
    assert str(exc.value) == "POST /api/v1/order: method is not an order method"


@pytest.mark.parametrize(
    ("mapper", "words"),
    [(order_mappers.to_orders, "orders data"), (order_mappers.to_fills, "trades data")],
)
def test_an_object_where_an_array_belongs_is_named(mapper: Any, words: str) -> None:
    """``{}`` instead of ``[]``: one line saying which data was not an array."""
    with pytest.raises(MalformedResponseError) as exc:
        mapper({}, EP)
    assert str(exc.value) == f"{EP}: {words} is not an array"


def test_an_order_without_amount_takes_its_quantity_and_one_without_either_is_refused() -> None:
    """``amount`` first (a triggered stop's ``quantity`` is meaningless), else ``quantity``."""
    only_quantity = _order(quantity="2.5")
    del only_quantity["amount"]
    assert order_mappers.to_order(only_quantity, EP).quantity == Decimal("2.5")
    del only_quantity["quantity"]
    with pytest.raises(MalformedResponseError) as exc:
        order_mappers.to_order(only_quantity, "GET /api/v1/openOrders")
    assert str(exc.value) == "GET /api/v1/openOrders: order has neither amount nor quantity"


def test_an_orders_pair_and_times_are_read_as_sent() -> None:
    """``btc_try`` is BTCTRY; ``time`` and ``updateTime`` are its creation and last change."""
    order = order_mappers.to_order(
        _order(pairSymbol="btc_try", time=1605157735000, updateTime=1605157736153), EP
    )
    assert order.symbol == "BTCTRY"
    assert order.created_at == datetime(2020, 11, 12, 5, 8, 55, tzinfo=UTC)
    assert order.updated_at == datetime(2020, 11, 12, 5, 8, 56, 153000, tzinfo=UTC)


def test_an_acks_pair_price_and_time_are_read_as_sent() -> None:
    """``XLM_TRY`` is XLMTRY; a price of 0 or a market order has no price; no time, our clock's."""
    ours = ACK_FALLBACK
    got = order_mappers.to_order_ack(_ack(pairSymbol="xlm_try"), "POST /api/v1/order", ours)
    assert (got.symbol, got.price, got.quantity) == ("XLMTRY", Decimal("0.8000"), Decimal(15))
    assert got.created_at == datetime(2020, 8, 19, 19, 58, 23, 932000, tzinfo=UTC)
    assert order_mappers.to_order_ack(_ack(price="0"), EP, ours).price is None
    assert order_mappers.to_order_ack(_ack(method="market"), EP, ours).price is None
    assert order_mappers.to_order_ack(_ack(datetime=0), EP, ours).created_at == ours


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("price", "1,1", "price is not a number"),
        ("stopPrice", "x", "stopPrice is not a number"),
        ("amount", "x", "amount is not a number"),
        ("leftAmount", "x", "leftAmount is not a number"),
        ("status", "Exploded", "status is not"),
        ("method", "iceberg", "method is not an order method"),
        ("time", "soon", "time is not"),
        ("updateTime", "soon", "updateTime is not"),
    ],
)
def test_a_bad_order_field_is_named_with_its_call_in_open_orders(
    field: str, value: object, words: str
) -> None:
    """Each field of an open order, named with ``openOrders`` when it is off-contract."""
    data = {"bids": [_order(**{field: value})], "asks": []}
    with pytest.raises(MalformedResponseError) as exc:
        order_mappers.to_open_orders(data, "GET /api/v1/openOrders")
    assert str(exc.value).startswith(f"GET /api/v1/openOrders: {words}")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("type", "hold", "type is not buy/sell"),
        ("quantity", "x", "quantity is not a number"),
        ("price", "x", "price is not a number"),
        ("datetime", "soon", "datetime is not"),
    ],
)
def test_a_bad_ack_field_is_named_with_the_submit(field: str, value: object, words: str) -> None:
    """A submit's answer that is off-contract says which field, for ``POST /api/v1/order``."""
    with pytest.raises(MalformedResponseError) as exc:
        order_mappers.to_order_ack(_ack(**{field: value}), "POST /api/v1/order", ACK_FALLBACK)
    assert str(exc.value).startswith(f"POST /api/v1/order: {words}")
