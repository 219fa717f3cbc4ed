"""The emulator refuses an order body with BtcTurk's own message and code (API.md section 5).

Clients match on ``message`` (ccxt does; ``btcbot.exchange.errors`` maps the balance messages
by name), so a refusal with the right code and a wrong name - or the wrong code - would pass
every test that only checks that an order was refused, and a dry run would teach the bot an
error the exchange never sends. Each check of ``parse_order``, ``check_band`` and
``check_stop_side`` is held here to API.md's table, in BtcTurk's order (the first failure
wins), on both sides of every boundary.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from btcbot.sim.pairs import PairSpec, spec_for
from btcbot.sim.validation import (
    MAX_CLIENT_ID,
    OrderParams,
    SimRejectError,
    check_band,
    check_stop_side,
    parse_order,
)

# API.md section 5, "Known names -> numeric codes".
INVALID_REQUEST = ("INVALID_REQUEST_ERROR", 1037)
PARAMETER = ("FAILED_ORDER_PARAMETER", 1037)
TYPE = ("ORDER_TYPE_NOT_SUPPORTED", 1193)
METHOD = ("ORDER_METHOD_NOT_SUPPORTED", 1134)
MARKET_CLOSED = ("FAILED_MARKET_ORDER", 1118)
LIMIT_CLOSED = ("FAILED_LIMIT_ORDER", 1120)
PRICE_SCALE = ("FAILED_INVALID_PRICE_SCALE", 1126)
QUANTITY_SCALE = ("FAILED_INVALID_QUANTITY_SCALE", 1127)
STOP_SCALE = ("FAILED_INVALID_STOP_PRICE_SCALE", 1128)
ABOVE_BAND = ("PRICE_MUST_BE_LESS_THAN_MAXPRICE", 1226)
BELOW_BAND = ("PRICE_MUST_BE_LESS_THAN_MINPRICE", 1227)
STOP_ABOVE_ASK = ("FAILED_STOP_PRICE_GREATER_THAN_BEST_ASK", 1124)
STOP_BELOW_BID = ("FAILED_STOP_PRICE_LESS_THAN_BEST_BID", 1125)


def _pair(symbol: str, methods: tuple[str, ...] | None = None) -> PairSpec:
    """A pair with fractional prices: 4 decimals of quantity, 2 of price."""
    spec = PairSpec(symbol, 90, symbol[:3], "TRY", 4, 2, True, Decimal("0.01"), Decimal(10))
    return spec if methods is None else replace(spec, order_methods=methods)


PAIRS = {
    "BTCTRY": spec_for("BTCTRY", reference_price=Decimal(3_850_000), pair_id=1),  # integer TRY
    "XYZTRY": _pair("XYZTRY"),
    "LIMTRY": _pair("LIMTRY", ("LIMIT",)),
    "MKTTRY": _pair("MKTTRY", ("MARKET",)),
}
LIMIT_BUY = {
    "pairSymbol": "XYZTRY",
    "orderType": "buy",
    "orderMethod": "limit",
    "quantity": "1.5",
    "price": "10.25",
}


def _refusal(body: dict[str, Any]) -> tuple[str, int | str]:
    with pytest.raises(SimRejectError) as info:
        parse_order(body, PAIRS)
    return info.value.message, info.value.code


def _without(key: str) -> dict[str, Any]:
    return {k: v for k, v in LIMIT_BUY.items() if k != key}


REFUSED: dict[str, tuple[dict[str, Any], tuple[str, int]]] = {
    "no pair": (_without("pairSymbol"), INVALID_REQUEST),
    "a blank pair": ({**LIMIT_BUY, "pairSymbol": "  "}, INVALID_REQUEST),
    "a pair that is a number": ({**LIMIT_BUY, "pairSymbol": 7}, INVALID_REQUEST),
    "an unknown pair": (
        {**LIMIT_BUY, "pairSymbol": "nope_usdt"},
        ("Pair NOPEUSDT does not exists.", 1037),
    ),
    "no order type": (_without("orderType"), TYPE),
    "an unknown order type": ({**LIMIT_BUY, "orderType": "hold"}, TYPE),
    "order type 2": ({**LIMIT_BUY, "orderType": 2}, TYPE),
    "order type true": ({**LIMIT_BUY, "orderType": True}, TYPE),
    "no order method": (_without("orderMethod"), METHOD),
    "an unknown order method": ({**LIMIT_BUY, "orderMethod": "iceberg"}, METHOD),
    "order method 4": ({**LIMIT_BUY, "orderMethod": 4}, METHOD),
    "a market order where the pair has none": (
        {**LIMIT_BUY, "pairSymbol": "LIMTRY", "orderMethod": "market"},
        MARKET_CLOSED,
    ),
    "a limit order where the pair has none": ({**LIMIT_BUY, "pairSymbol": "MKTTRY"}, LIMIT_CLOSED),
    "a stop order where the pair has none": (
        {**LIMIT_BUY, "pairSymbol": "LIMTRY", "orderMethod": "stoplimit", "stopPrice": "10"},
        METHOD,
    ),
    "no quantity": (_without("quantity"), PARAMETER),
    "an empty quantity": ({**LIMIT_BUY, "quantity": ""}, PARAMETER),
    "a zero quantity": ({**LIMIT_BUY, "quantity": "0"}, PARAMETER),
    "a zero quantity as a number": ({**LIMIT_BUY, "quantity": 0}, PARAMETER),
    "a negative quantity": ({**LIMIT_BUY, "quantity": "-1"}, PARAMETER),
    "a negative quantity as a number": ({**LIMIT_BUY, "quantity": -1}, PARAMETER),
    "an infinite quantity": ({**LIMIT_BUY, "quantity": float("inf")}, PARAMETER),
    "a quantity in exponent form": ({**LIMIT_BUY, "quantity": "1e3"}, PARAMETER),
    "a quantity that is a word": ({**LIMIT_BUY, "quantity": "one"}, PARAMETER),
    "a quantity that is true": ({**LIMIT_BUY, "quantity": True}, PARAMETER),
    "a quantity that is a list": ({**LIMIT_BUY, "quantity": [1]}, PARAMETER),
    "a quantity of 13 digits": ({**LIMIT_BUY, "quantity": "1234567890123"}, PARAMETER),
    "a quantity of 17 decimals": ({**LIMIT_BUY, "quantity": "1." + "1" * 17}, PARAMETER),
    "a limit order without a price": (_without("price"), PARAMETER),
    "a limit order at price zero": ({**LIMIT_BUY, "price": "0"}, PARAMETER),
    "a stop limit without a stop price": ({**LIMIT_BUY, "orderMethod": "stoplimit"}, PARAMETER),
    "a stop market without a stop price": (
        {**_without("price"), "orderMethod": "stopmarket"},
        PARAMETER,
    ),
    "a stop limit without a price": (
        {**_without("price"), "orderMethod": "stoplimit", "stopPrice": "10"},
        PARAMETER,
    ),
    "a price of 3 decimals": ({**LIMIT_BUY, "price": "10.255"}, PRICE_SCALE),
    "a fraction on an integer-price pair": (
        {**LIMIT_BUY, "pairSymbol": "BTCTRY", "price": "3850000.5", "quantity": "0.001"},
        PRICE_SCALE,
    ),
    "a quantity of 5 decimals": ({**LIMIT_BUY, "quantity": "1.12345"}, QUANTITY_SCALE),
    "a market sell of 5 decimals": (
        {**_without("price"), "orderType": "sell", "orderMethod": "market", "quantity": "1.12345"},
        QUANTITY_SCALE,
    ),
    # A market buy's quantity is the quote amount: it is held to the price's scale.
    "a market buy of 3 quote decimals": (
        {**_without("price"), "orderMethod": "market", "quantity": "100.125"},
        QUANTITY_SCALE,
    ),
    "a market buy of a quote fraction on an integer-price pair": (
        {"pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "market", "quantity": "100.5"},
        QUANTITY_SCALE,
    ),
    "a stop price of 3 decimals": (
        {**LIMIT_BUY, "orderMethod": "stoplimit", "stopPrice": "10.125"},
        STOP_SCALE,
    ),
    "a client id longer than BtcTurk's": (
        {**LIMIT_BUY, "newOrderClientId": "c" * (MAX_CLIENT_ID + 1)},
        PARAMETER,
    ),
    # The first failure wins, in BtcTurk's order.
    "a bad price scale before a bad quantity scale": (
        {**LIMIT_BUY, "price": "10.255", "quantity": "1.12345"},
        PRICE_SCALE,
    ),
    "a bad quantity scale before a bad stop scale": (
        {**LIMIT_BUY, "orderMethod": "stoplimit", "quantity": "1.12345", "stopPrice": "10.125"},
        QUANTITY_SCALE,
    ),
    "a missing quantity before a bad price scale": (
        {**_without("quantity"), "price": "10.255"},
        PARAMETER,
    ),
    "an unknown method before a missing quantity": (
        {**_without("quantity"), "orderMethod": "iceberg"},
        METHOD,
    ),
    "an unknown type before an unknown method": (
        {**LIMIT_BUY, "orderType": "hold", "orderMethod": "iceberg"},
        TYPE,
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(REFUSED.values()), ids=list(REFUSED))
def test_a_bad_order_body_is_refused_with_btcturks_name_and_code(
    body: dict[str, Any], expected: tuple[str, int]
) -> None:
    """The message is the documented name, the code its number: nothing added, nothing else."""
    assert _refusal(body) == expected


ACCEPTED: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    "keys in any case, names padded": (
        {
            "PAIRSYMBOL": "xyz_try",
            "ordertype": " SELL ",
            "OrderMethod": "Limit",
            "Quantity": "1.5",
            "PRICE": "10.25",
        },
        {"side": "sell", "method": "limit", "quantity": Decimal("1.5")},
    ),
    "order type and method as numbers": (
        {**LIMIT_BUY, "orderType": 1, "orderMethod": 0},
        {"side": "sell", "method": "limit"},
    ),
    "method 1 is market": (
        {**LIMIT_BUY, "orderMethod": 1},
        {"method": "market", "price": None},
    ),
    "method 2 is stop limit": (
        {**LIMIT_BUY, "orderMethod": 2, "stopPrice": "10"},
        {"method": "stoplimit", "stop_price": Decimal(10)},
    ),
    "method 3 is stop market": (
        {**LIMIT_BUY, "orderMethod": 3, "stopPrice": "10"},
        {"method": "stopmarket", "stop_price": Decimal(10)},
    ),
    "an underscore in the method": (
        {**LIMIT_BUY, "orderMethod": "Stop_Limit", "stopPrice": "10.5"},
        {"method": "stoplimit", "price": Decimal("10.25"), "stop_price": Decimal("10.5")},
    ),
    "a market order's price is not read": (
        {**LIMIT_BUY, "orderMethod": "market", "price": "not a number"},
        {"method": "market", "price": None},
    ),
    "a limit order's stop price is not read": (
        {**LIMIT_BUY, "stopPrice": "not a number"},
        {"stop_price": None},
    ),
    "numbers as JSON numbers": (
        {**LIMIT_BUY, "quantity": 2, "price": 11},
        {"quantity": Decimal(2), "price": Decimal(11)},
    ),
    "12 integer digits and trailing zeros past the scale": (
        {**LIMIT_BUY, "quantity": "123456789012.00000", "price": "10.2500"},
        {"quantity": Decimal(123_456_789_012), "price": Decimal("10.25")},
    ),
    "a whole price ending .0 on an integer-price pair": (
        {**LIMIT_BUY, "pairSymbol": "BTCTRY", "price": "3850000.0", "quantity": "0.00000001"},
        {"price": Decimal(3_850_000), "quantity": Decimal("0.00000001")},
    ),
    "a market buy of 2 quote decimals": (
        {**_without("price"), "orderMethod": "market", "quantity": "100.12"},
        {"quantity": Decimal("100.12")},
    ),
    "a client id of BtcTurk's full length": (
        {**LIMIT_BUY, "newOrderClientId": "c" * MAX_CLIENT_ID},
        {"client_id": "c" * MAX_CLIENT_ID},
    ),
    "an empty client id is none": (
        {**LIMIT_BUY, "newOrderClientId": ""},
        {"client_id": None},
    ),
}


@pytest.mark.parametrize(("body", "expected"), list(ACCEPTED.values()), ids=list(ACCEPTED))
def test_a_good_order_body_is_read_as_btcturk_reads_it(
    body: dict[str, Any], expected: dict[str, Any]
) -> None:
    """Keys bind case-insensitively; names and numbers parse to the order BtcTurk would book."""
    order = parse_order(body, PAIRS)
    assert isinstance(order, OrderParams)
    assert {name: getattr(order, name) for name in expected} == expected


LOW, HIGH = Decimal(100), Decimal(10_000)


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (Decimal(10_001), ABOVE_BAND),
        (HIGH, ABOVE_BAND),  # an edge: refused, the stricter reading (check_band's docstring)
        (LOW, BELOW_BAND),
        (Decimal(99), BELOW_BAND),
    ],
    ids=["above", "on the top edge", "on the bottom edge", "below"],
)
def test_a_price_outside_the_band_or_on_its_edge_is_refused(
    price: Decimal, expected: tuple[str, int]
) -> None:
    """1226 above the band, 1227 below it (API.md: the MINPRICE name means below the minimum)."""
    with pytest.raises(SimRejectError) as info:
        check_band(price, low=LOW, high=HIGH)
    assert (info.value.message, info.value.code) == expected


@pytest.mark.parametrize("price", [None, Decimal(101), Decimal(9_999)])
def test_a_price_inside_the_band_passes(price: Decimal | None) -> None:
    """Just inside both edges, and a market order (no price), pass."""
    check_band(price, low=LOW, high=HIGH)


BID, ASK = Decimal(1_000), Decimal(1_010)


@pytest.mark.parametrize(
    ("stop", "buy", "expected"),
    [
        (Decimal(999), True, STOP_BELOW_BID),
        (Decimal(1_011), False, STOP_ABOVE_ASK),
    ],
    ids=["a buy stop under the bid", "a sell stop over the ask"],
)
def test_a_stop_on_the_wrong_side_of_the_market_is_refused(
    stop: Decimal, buy: bool, expected: tuple[str, int]
) -> None:
    """A buy stop below the best bid is 1125, a sell stop above the best ask 1124."""
    with pytest.raises(SimRejectError) as info:
        check_stop_side(stop, buy=buy, best_bid=BID, best_ask=ASK)
    assert (info.value.message, info.value.code) == expected


@pytest.mark.parametrize(
    ("stop", "buy"),
    [(BID, True), (ASK, True), (ASK, False), (BID, False)],
    ids=["buy at the bid", "buy at the ask", "sell at the ask", "sell at the bid"],
)
def test_a_stop_at_the_touch_passes(stop: Decimal, buy: bool) -> None:
    """The names say less than the bid and greater than the ask: the touch itself passes."""
    check_stop_side(stop, buy=buy, best_bid=BID, best_ask=ASK)
