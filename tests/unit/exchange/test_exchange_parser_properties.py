"""Property tests: no JSON, however hostile, crashes a parser with anything but our typed errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from exchange_fakes import load_sample
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from btcbot.domain.errors import ExchangeError, MalformedResponseError
from btcbot.exchange import mappers, order_mappers
from btcbot.exchange.session import Session

EP = "GET /prop"
NOW = datetime(2026, 1, 1, tzinfo=UTC)

Parser = Callable[[Any], object]
PARSERS: dict[str, Parser] = {
    "server_time": lambda d: mappers.to_server_time(d, EP),
    "exchange_info": lambda d: mappers.to_exchange_info(d, EP, NOW),
    "symbol_rules": lambda d: mappers.to_symbol_rules(d, EP),
    "tickers": lambda d: mappers.to_tickers(d, EP),
    "order_book": lambda d: mappers.to_order_book(d, "BTCTRY", EP),
    "public_trades": lambda d: mappers.to_public_trades(d, EP),
    "candles": lambda d: mappers.to_candles(d, EP),
    "balances": lambda d: mappers.to_balances(d, EP),
    "order": lambda d: order_mappers.to_order(d, EP),
    "orders": lambda d: order_mappers.to_orders(d, EP),
    "open_orders": lambda d: order_mappers.to_open_orders(d, EP),
    "order_ack": lambda d: order_mappers.to_order_ack(d, EP, NOW),
    "fills": lambda d: order_mappers.to_fills(d, EP),
}

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["0", "-1", "1e400", "NaN", "Untouched", "buy", "limit", "", "1.5", "ok"])
)
json_values = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)

# Captured shapes with one key at a time replaced by an arbitrary value: the near misses.
_SHAPES: list[tuple[str, Any]] = [
    ("symbol_rules", load_sample("rest_v2_server_exchangeinfo_symbols.json")[0]),
    ("order", load_sample("rest_v1_allOrders_stop_triggered_items.json")[0]),
    ("open_orders", load_sample("rest_v1_openOrders_stoplimit.json")["data"]),
    ("order_ack", load_sample("rest_v1_order_post_success.json")["data"]),
    ("tickers", load_sample("rest_v2_ticker_BTCUSDT.json")["data"]),
    ("server_time", load_sample("rest_v2_server_time.json")),
]


def _only_typed_errors(parser: Parser, data: Any) -> None:
    error: MalformedResponseError | None = None
    try:
        parser(data)
    except MalformedResponseError as exc:
        error = exc
    assert error is None or error.endpoint == EP


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])
@given(data=json_values)
def test_arbitrary_json_gives_a_value_or_a_malformed_error(name: str, data: Any) -> None:
    """Any JSON value fed to any parser returns domain objects or raises MalformedResponseError."""
    _only_typed_errors(PARSERS[name], data)


@pytest.mark.parametrize(("name", "shape"), _SHAPES, ids=[n for n, _ in _SHAPES])
@settings(max_examples=80)
@given(key_index=st.integers(min_value=0, max_value=50), value=json_values, drop=st.booleans())
def test_near_miss_bodies_give_a_value_or_a_malformed_error(
    name: str, shape: Any, key_index: int, value: Any, drop: bool
) -> None:
    """A captured body with one key dropped or replaced never crashes its parser."""
    mutated = json.loads(json.dumps(shape))
    target = mutated[0] if isinstance(mutated, list) else mutated
    keys = sorted(target)
    key = keys[key_index % len(keys)]
    if drop:
        del target[key]
    else:
        target[key] = value
    _only_typed_errors(PARSERS[name], mutated)


@settings(max_examples=150)
@given(
    status=st.sampled_from([200, 201, 204, 400, 401, 403, 404, 415, 422, 429, 500, 502, 503, 504]),
    body=st.one_of(json_values.map(json.dumps), st.text(max_size=40), st.binary(max_size=40)),
    retry_after=st.none() | st.text(max_size=6),
)
def test_any_http_response_is_a_body_or_a_typed_exchange_error(
    status: int, body: str | bytes, retry_after: str | None
) -> None:
    """Any status, body bytes and Retry-After yield decoded JSON or a typed ExchangeError."""
    headers = {}
    if retry_after is not None and retry_after.isprintable() and retry_after.isascii():
        headers["Retry-After"] = retry_after
    response = httpx.Response(
        status, content=body.encode() if isinstance(body, str) else body, headers=headers
    )
    error: ExchangeError | None = None
    try:
        Session._interpret(response, EP)
    except ExchangeError as exc:
        error = exc
    assert error is None or error.endpoint == EP
