"""What the client refuses before sending, and the parameters it sends (``exchange.requests``).

``test_exchange_failures`` proves a refused request never reaches the network; these hold each
rule to its edge and each refusal to its words, which are the operator's one line when a bad
order would otherwise have gone out. Parameter units follow API.md: graph times in seconds,
private times in milliseconds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import ExchangeRejectError
from btcbot.domain.models import OrderRequest
from btcbot.exchange.requests import (
    all_orders_params,
    bounded,
    kline_params,
    ms,
    order_body,
    order_id,
    own_trades_params,
    pair,
    wire_decimal,
)

AT = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
AT_MS = 1_767_323_045_678
ORDER = "POST /api/v1/order"


def _refusal(call: object, *args: object) -> ExchangeRejectError:
    """The refusal ``call(*args)`` raises, checked to be the client's own, never the venue's."""
    with pytest.raises(ExchangeRejectError) as refused:
        call(*args)  # type: ignore[operator]
    error = refused.value
    assert (error.code, error.name) == (None, "CLIENT_VALIDATION")
    return error


def _request(**changes: object) -> OrderRequest:
    fields: dict[str, object] = {
        "symbol": "btc_try",
        "side": Side.BUY,
        "method": OrderMethod.LIMIT,
        "quantity": Decimal("0.00120"),
        "price": Decimal("2500000.0"),
        "client_order_id": "bb-1",
    }
    return OrderRequest(**(fields | changes))  # type: ignore[arg-type]


# --- symbols, integers, instants ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "sent"),
    [("BTCTRY", "BTCTRY"), (" btc_try ", "BTCTRY"), ("usdt_try", "USDTTRY"), ("A1B2", "A1B2")],
)
def test_a_pair_is_sent_in_capitals_without_its_underscore(given: str, sent: str) -> None:
    """BtcTurk's private calls take ``BTCTRY``; any spelling the operator types is sent as that."""
    assert pair(given) == sent


@pytest.mark.parametrize("given", ["B", "BTC-TRY", "BTC__TRY", "", "ABCDEFGHIJKLMN_TRY", "BTC/TRY"])
def test_anything_else_is_not_a_pair(given: str) -> None:
    """A symbol the pattern cannot read is refused with the call it was meant for."""
    error = _refusal(pair, given, "GET /api/v2/ticker")
    assert str(error) == (
        f"GET /api/v2/ticker: refused before sending: {given!r} is not a pair symbol like BTCTRY"
    )
    assert error.endpoint == "GET /api/v2/ticker"


def test_a_pair_that_is_not_text_is_refused() -> None:
    """A number where a symbol belongs is refused, not turned into text."""
    assert (
        str(_refusal(pair, 7))
        == "request: refused before sending: 7 is not a pair symbol like BTCTRY"
    )


def test_an_integer_is_held_to_its_bounds_inclusive() -> None:
    """Both ends are allowed; a bool, a float or a text number is not an integer here."""
    assert (bounded(1, "limit", 1, 1000), bounded(1000, "limit", 1, 1000)) == (1, 1000)
    for bad in (0, 1001, True, 5.0, "5"):
        error = _refusal(bounded, bad, "limit", 1, 1000)
        assert str(error) == (
            f"request: refused before sending: limit must be an integer in [1, 1000], got {bad!r}"
        )


def test_an_order_id_is_a_positive_int64() -> None:
    """BtcTurk's order ids are int64; anything past it is refused, not wrapped."""
    assert order_id(2**63 - 1) == 2**63 - 1
    assert str(_refusal(order_id, 2**63)).endswith(
        f"order id must be an integer in [1, {2**63 - 1}], got {2**63}"
    )
    _refusal(order_id, 0)


def test_instants_are_milliseconds_since_the_epoch_in_any_zone() -> None:
    """The same instant in any zone is the same number; a naive time is refused."""
    assert ms(AT, "start") == AT_MS
    assert ms(AT.astimezone(timezone(timedelta(hours=3))), "start") == AT_MS
    assert ms(datetime(1970, 1, 1, tzinfo=UTC), "start") == 0
    sub_ms = ms(AT + timedelta(microseconds=999), "start")
    assert (sub_ms, type(sub_ms)) == (AT_MS, int)  # whole milliseconds, never a float
    error = _refusal(ms, datetime(2026, 1, 2), "end")  # noqa: DTZ001 - the naive one refused
    assert str(error) == "request: refused before sending: end must be timezone-aware"


# --- the queries ---------------------------------------------------------------------------------


def test_candles_are_asked_for_in_seconds() -> None:
    """The graph API's ``from``/``to`` are seconds (API.md §3.6), not milliseconds."""
    params = kline_params("btc_try", 1, AT, AT + timedelta(hours=1))
    assert params == {
        "symbol": "BTCTRY",
        "resolution": "1",
        "from": AT_MS // 1000,
        "to": AT_MS // 1000 + 3600,
    }
    assert kline_params("BTCTRY", 10080, AT, AT + timedelta(days=7))["resolution"] == "10080"


def test_candles_of_another_size_or_an_empty_window_are_refused() -> None:
    """Only BtcTurk's resolutions; an end at or before the start asks for nothing."""
    error = _refusal(kline_params, "BTCTRY", 2, AT, AT + timedelta(hours=1))
    assert str(error) == (
        "request: refused before sending: resolution 2 is not one of "
        "[1, 5, 15, 30, 60, 240, 1440, 10080]"
    )
    assert error.endpoint == "request"
    empty = _refusal(kline_params, "BTCTRY", 1, AT, AT)
    assert str(empty) == "request: refused before sending: klines end must be after start"
    _refusal(kline_params, "BTCTRY", 1, AT, AT - timedelta(minutes=1))


def test_all_orders_are_asked_for_in_milliseconds_within_the_limit() -> None:
    """``startTime``/``endTime`` in ms, each only when given; ``limit`` in 1..1000."""
    assert all_orders_params("btc_try", None, None, 1000) == {"pairSymbol": "BTCTRY", "limit": 1000}
    assert all_orders_params("BTCTRY", AT, AT + timedelta(seconds=1), 1) == {
        "pairSymbol": "BTCTRY",
        "limit": 1,
        "startTime": AT_MS,
        "endTime": AT_MS + 1000,
    }
    assert "endTime" not in all_orders_params("BTCTRY", AT, None, 5)
    assert "startTime" not in all_orders_params("BTCTRY", None, AT, 5)
    _refusal(all_orders_params, "BTCTRY", None, None, 1001)
    _refusal(all_orders_params, "BTCTRY", None, None, 0)


def test_own_trades_by_order_are_asked_for_with_the_order_alone() -> None:
    """API.md §4.7: ``orderId`` is sent without dates."""
    assert own_trades_params(AT, AT, 42) == {"orderId": 42}
    assert own_trades_params(AT, AT + timedelta(seconds=2), None) == {
        "startDate": AT_MS,
        "endDate": AT_MS + 2000,
    }
    assert own_trades_params(None, AT, None) == {"endDate": AT_MS}
    assert own_trades_params(AT, None, None) == {"startDate": AT_MS}
    assert own_trades_params(None, None, None) is None
    _refusal(own_trades_params, None, None, 0)


# --- the order's numbers and body --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (Decimal("0.00120"), "0.0012"),
        (Decimal("1E+2"), "100"),
        (Decimal("999999999999.9999999999999999"), "999999999999.9999999999999999"),
        (Decimal("0.0000000000000001"), "0.0000000000000001"),
    ],
)
def test_a_wire_number_is_plain_and_within_twelve_dot_sixteen(value: Decimal, text: str) -> None:
    """No exponent, no trailing zeros, up to the swagger pattern's 12 and 16 digits."""
    assert wire_decimal(value, "quantity", ORDER) == text


@pytest.mark.parametrize(
    ("value", "why"),
    [
        (None, "quantity must be a positive decimal, got None"),
        (Decimal(0), "quantity must be a positive decimal, got Decimal('0')"),
        (Decimal(-1), "quantity must be a positive decimal, got Decimal('-1')"),
        (Decimal("NaN"), "quantity must be a positive decimal, got Decimal('NaN')"),
        (Decimal("Infinity"), "quantity must be a positive decimal, got Decimal('Infinity')"),
        (1.5, "quantity must be a positive decimal, got 1.5"),
        (Decimal(10) ** 12, "quantity 1000000000000 has more than 12 integer digits"),
        (Decimal("1E-17"), "quantity 1E-17 has more than 16 decimals"),
    ],
)
def test_a_number_the_wire_cannot_carry_exactly_is_refused(value: object, why: str) -> None:
    """Rounded or garbled numbers never go out: the refusal names the field and value."""
    error = _refusal(wire_decimal, value, "quantity", ORDER)
    assert str(error) == f"{ORDER}: refused before sending: {why}"
    assert error.endpoint == ORDER


def test_a_limit_order_body_has_every_documented_field() -> None:
    """The documented names, the values as plain text, the pair normalised."""
    assert order_body(_request()) == {
        "quantity": "0.0012",
        "price": "2500000",
        "newOrderClientId": "bb-1",
        "orderMethod": "limit",
        "orderType": "buy",
        "pairSymbol": "BTCTRY",
    }


def test_stop_orders_carry_their_stop_price_and_market_orders_no_price() -> None:
    """A stop price only where the method needs one; a price only where it needs one."""
    stop = _request(method=OrderMethod.STOP_LIMIT, side=Side.SELL, stop_price=Decimal(2400000))
    assert order_body(stop) == {
        "quantity": "0.0012",
        "price": "2500000",
        "stopPrice": "2400000",
        "newOrderClientId": "bb-1",
        "orderMethod": "stoplimit",
        "orderType": "sell",
        "pairSymbol": "BTCTRY",
    }
    market_stop = _request(method=OrderMethod.STOP_MARKET, price=None, stop_price=Decimal(9))
    assert "price" not in order_body(market_stop)
    assert order_body(market_stop)["stopPrice"] == "9"
    assert "stopPrice" not in order_body(_request(method=OrderMethod.MARKET, price=None))


@pytest.mark.parametrize(
    ("changes", "why"),
    [
        ({"client_order_id": ""}, "client order id must be 1..50 characters"),
        ({"client_order_id": "   "}, "client order id must be 1..50 characters"),
        ({"client_order_id": "x" * 51}, "client order id must be 1..50 characters"),
        ({"client_order_id": 7}, "client order id must be 1..50 characters"),
        ({"side": "buy"}, "side and method must be btcbot enums"),
        ({"method": "limit"}, "side and method must be btcbot enums"),
        ({"method": OrderMethod.MARKET}, "a market order must not carry a price"),
        ({"price": None}, "price must be a positive decimal, got None"),
        ({"method": OrderMethod.STOP_LIMIT}, "stop price must be a positive decimal, got None"),
        ({"quantity": Decimal(0)}, "quantity must be a positive decimal, got Decimal('0')"),
        ({"symbol": "BTC/TRY"}, "'BTC/TRY' is not a pair symbol like BTCTRY"),
    ],
)
def test_an_order_that_cannot_be_sent_as_meant_is_refused_naming_why(
    changes: dict[str, object], why: str
) -> None:
    """Each rule of the order body, with the words the operator reads."""
    error = _refusal(order_body, _request(**changes))
    assert str(error) == f"{ORDER}: refused before sending: {why}"


def test_a_client_order_id_of_fifty_characters_is_sent() -> None:
    """BtcTurk's limit is 50 characters: the limit itself is allowed."""
    assert order_body(_request(client_order_id="x" * 50))["newOrderClientId"] == "x" * 50


NAIVE = datetime(2026, 1, 2)  # noqa: DTZ001 - the naive instant each query refuses


@pytest.mark.parametrize(
    ("call", "args", "field"),
    [
        (kline_params, ("BTCTRY", 1, NAIVE, AT), "start"),
        (kline_params, ("BTCTRY", 1, AT - timedelta(days=400), NAIVE), "end"),
        (all_orders_params, ("BTCTRY", NAIVE, None, 5), "start"),
        (all_orders_params, ("BTCTRY", None, NAIVE, 5), "end"),
        (own_trades_params, (NAIVE, None, None), "start"),
        (own_trades_params, (None, NAIVE, None), "end"),
        (all_orders_params, ("BTCTRY", None, None, 0), "limit"),
    ],
)
def test_a_querys_refusal_names_the_parameter(
    call: object, args: tuple[object, ...], field: str
) -> None:
    """Which of the window's ends (or the limit) was wrong, in the operator's line."""
    assert f"refused before sending: {field} must be" in str(_refusal(call, *args))
