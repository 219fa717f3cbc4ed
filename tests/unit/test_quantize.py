"""The quantizer: conservative rounding onto BtcTurk's grids, typed refusals, and properties."""

from __future__ import annotations

import dataclasses
import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import QuantizationError
from btcbot.domain.models import SymbolRules
from btcbot.domain.quantize import (
    QuantizeReason,
    price_step,
    quantize_limit,
    quantize_market,
    quote_amount_step,
)

BTCTRY = SymbolRules(
    symbol="BTCTRY",
    base="BTC",
    quote="TRY",
    pair_id=1,
    status="TRADING",
    numerator_scale=8,
    denominator_scale=0,
    has_fraction=False,
    tick_size=Decimal(10),
    min_price=Decimal("0.0000000000001"),
    max_price=Decimal(10000000),
    min_notional=Decimal("99.91"),
    min_limit_price=Decimal("375413.5"),
    max_limit_price=Decimal(37541350),
    order_methods=frozenset(OrderMethod),
)

XLMTRY = dataclasses.replace(
    BTCTRY,
    symbol="XLMTRY",
    base="XLM",
    numerator_scale=0,
    denominator_scale=4,
    has_fraction=True,
    tick_size=Decimal("0.0001"),
    min_notional=Decimal(10),
    min_limit_price=Decimal("0.08"),
    max_limit_price=Decimal(8),
)


def _reason(exc: pytest.ExceptionInfo[QuantizationError]) -> str:
    return exc.value.reason


def test_buy_price_rounds_down_to_the_tick() -> None:
    """A limit buy never pays more than asked: 2,000,019 TRY becomes 2,000,010 on a 10-TRY tick."""
    order = quantize_limit(BTCTRY, Side.BUY, Decimal(2000019), Decimal("0.001234567891"))
    assert order.price == Decimal(2000010)
    assert order.quantity == Decimal("0.00123456")
    assert order.notional == order.price * order.quantity


def test_sell_price_rounds_up_to_the_tick() -> None:
    """A limit sell never sells cheaper than asked: 2,000,011 TRY becomes 2,000,020."""
    order = quantize_limit(BTCTRY, Side.SELL, Decimal(2000011), Decimal("0.001"))
    assert order.price == Decimal(2000020)


def test_price_step_is_the_coarser_of_tick_and_scale() -> None:
    """Tick 10 with denominatorScale 0 gives a 10-TRY step; a fine tick keeps the scale step."""
    assert price_step(BTCTRY) == Decimal(10)
    assert price_step(XLMTRY) == Decimal("0.0001")
    no_fraction = dataclasses.replace(XLMTRY, has_fraction=False, tick_size=Decimal("0.5"))
    assert price_step(no_fraction) == Decimal(1)
    odd = dataclasses.replace(XLMTRY, denominator_scale=2, tick_size=Decimal("0.004"))
    assert price_step(odd) == Decimal("0.02")


def test_below_min_notional_is_refused() -> None:
    """99.90 TRY of BTC is under minExchangeValue 99.91 and is refused with a typed reason."""
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(BTCTRY, Side.BUY, Decimal(1000000), Decimal("0.0000999"))
    assert _reason(exc) == QuantizeReason.BELOW_MIN_NOTIONAL


def test_band_edges_are_refused() -> None:
    """Prices at or beyond the dynamic band are refused on both sides."""
    unfiltered = dataclasses.replace(BTCTRY, max_price=None)
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(unfiltered, Side.SELL, Decimal(37541341), Decimal(1))
    assert _reason(exc) == QuantizeReason.PRICE_ABOVE_BAND
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(BTCTRY, Side.BUY, Decimal(375419), Decimal(1))
    assert _reason(exc) == QuantizeReason.PRICE_BELOW_BAND


@pytest.mark.parametrize(
    ("price", "quantity", "reason", "text"),
    [
        (Decimal(0), Decimal(1), QuantizeReason.INVALID_INPUT, "price must be a positive number"),
        (Decimal("NaN"), Decimal(1), QuantizeReason.INVALID_INPUT, "price must be"),
        (Decimal(2000000), Decimal(-1), QuantizeReason.INVALID_INPUT, "quantity must be"),
        (Decimal(2000000), Decimal("Infinity"), QuantizeReason.INVALID_INPUT, "quantity must be"),
        (Decimal(2000000), Decimal("0.000000001"), QuantizeReason.QUANTITY_ROUNDS_TO_ZERO,
         "quantity 1E-9 rounds to 0"),
        (Decimal(2000000), Decimal("1e13"), QuantizeReason.QUANTITY_TOO_LARGE,
         "has over 12 digits"),
        (Decimal(2000000), Decimal(10**12), QuantizeReason.QUANTITY_TOO_LARGE,
         "quantity 1000000000000 has over 12 digits"),
        (Decimal("1e20"), Decimal(1), QuantizeReason.PRICE_ABOVE_MAX, "above the pair's maxPrice"),
        (Decimal("1e-20"), Decimal(1), QuantizeReason.PRICE_BELOW_MIN,
         "price 1E-20 is below the pair's minPrice"),
        (Decimal(3), Decimal(1), QuantizeReason.PRICE_ROUNDS_TO_ZERO, "price 3 rounds to 0"),
    ],
)  # fmt: skip
def test_bad_inputs_have_typed_reasons(
    price: Decimal, quantity: Decimal, reason: QuantizeReason, text: str
) -> None:
    """Each impossible order is refused with the reason naming the rule it breaks, in words."""
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(BTCTRY, Side.BUY, price, quantity)
    assert _reason(exc) == reason
    assert text in str(exc.value)


@pytest.mark.parametrize(
    ("rules", "price", "quantity"),
    [
        (BTCTRY, Decimal(10_000_000), Decimal("0.001")),  # maxPrice itself
        (dataclasses.replace(BTCTRY, min_price=Decimal(400_000)), Decimal(400_000), Decimal(1)),
        (XLMTRY, Decimal(1), Decimal(10)),  # a price of 1 on a 0.0001 grid; exactly 10 TRY
        (XLMTRY, Decimal("0.0801"), Decimal(125)),  # one tick above the band's minimum
    ],
)
def test_an_order_at_a_rules_own_limit_is_accepted(
    rules: SymbolRules, price: Decimal, quantity: Decimal
) -> None:
    """An order sitting exactly on maxPrice, minPrice or minExchangeValue is accepted.

    Those limits are themselves allowed; only the band's edges are refused.
    """
    order = quantize_limit(rules, Side.BUY, price, quantity)
    assert (order.price, order.quantity) == (price, quantity)


def test_the_bands_lower_edge_itself_is_refused_with_its_words() -> None:
    """0.08 TRY on XLMTRY's 0.08 minimum is refused (edges are refused: API.md leaves it open)."""
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(XLMTRY, Side.BUY, Decimal("0.08"), Decimal(200))
    assert _reason(exc) == QuantizeReason.PRICE_BELOW_BAND
    assert str(exc.value) == "price_below_band: price 0.0800 is not above the dynamic minimum 0.08"
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(XLMTRY, Side.SELL, Decimal(8), Decimal(2))
    assert str(exc.value) == "price_above_band: price 8.0000 is not below the dynamic maximum 8"


def test_under_the_minimum_notional_is_refused_with_its_words() -> None:
    """The refusal names the notional and the venue's minimum."""
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(XLMTRY, Side.BUY, Decimal(1), Decimal(9))
    assert str(exc.value) == "below_min_notional: notional 9.0000 is below minExchangeValue 10"


@pytest.mark.parametrize(
    ("changes", "step"),
    [
        ({"tick_size": Decimal(0)}, Decimal("0.0001")),  # a zero tick means no tick grid
        ({"denominator_scale": 2, "tick_size": Decimal("0.5")}, Decimal("0.5")),
        ({"denominator_scale": 1, "tick_size": None}, Decimal("0.1")),
    ],
)
def test_price_step_of_odd_grids(changes: dict[str, object], step: Decimal) -> None:
    """A zero tick, a tick coarser than the scale, and a one-decimal scale."""
    assert price_step(dataclasses.replace(XLMTRY, **changes)) == step  # type: ignore[arg-type]


def test_the_market_buy_amount_step_follows_the_pairs_fraction() -> None:
    """XLMTRY's quote amounts have four decimals; a pair without fractions, whole TRY."""
    assert quote_amount_step(XLMTRY) == Decimal("0.0001")
    assert quote_amount_step(dataclasses.replace(XLMTRY, has_fraction=False)) == 1


def test_rounding_ignores_the_callers_decimal_context() -> None:
    """A caller's four-digit context changes nothing, and a whole step keeps no decimals."""
    with decimal.localcontext(decimal.Context(prec=4)):
        order = quantize_limit(BTCTRY, Side.BUY, Decimal(2000019), Decimal("0.001234567891"))
    assert (order.price, order.quantity) == (Decimal(2000010), Decimal("0.00123456"))
    assert order.price is not None
    assert order.price.as_tuple().exponent == 0


def test_pair_not_trading_and_method_missing_are_refused() -> None:
    """A halted pair and a pair without MARKET orders are refused before any rounding."""
    halted = dataclasses.replace(BTCTRY, status="HALT")
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(halted, Side.BUY, Decimal(2000000), Decimal(1))
    assert _reason(exc) == QuantizeReason.PAIR_NOT_TRADING
    limit_only = dataclasses.replace(BTCTRY, order_methods=frozenset({OrderMethod.LIMIT}))
    with pytest.raises(QuantizationError) as exc:
        quantize_market(limit_only, Side.BUY, Decimal(500))
    assert _reason(exc) == QuantizeReason.METHOD_NOT_SUPPORTED
    assert str(exc.value) == "method_not_supported: BTCTRY has no market orders"


def test_a_price_of_thirteen_digits_never_reaches_the_wire() -> None:
    """10^12 TRY has 13 integer digits, over BtcTurk's pattern, whatever the pair's maxPrice."""
    unbounded = dataclasses.replace(BTCTRY, max_price=None, max_limit_price=None)
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(unbounded, Side.SELL, Decimal(10**12), Decimal("0.001"))
    assert _reason(exc) == QuantizeReason.PRICE_ABOVE_MAX


def test_market_buy_quantity_is_quote_amount_at_denominator_scale() -> None:
    """A market buy spends a whole-TRY amount on BTCTRY (hasFraction false), rounded down."""
    order = quantize_market(BTCTRY, Side.BUY, Decimal("250.99"))
    assert order.quantity == Decimal(250)
    assert order.price is None
    assert order.notional == Decimal(250)
    request = order.to_request("cid-1")
    assert request.method is OrderMethod.MARKET
    assert request.quantity == Decimal(250)


def test_market_sell_needs_reference_price_for_notional() -> None:
    """A market sell is checked against minExchangeValue at the reference price."""
    with pytest.raises(QuantizationError) as exc:
        quantize_market(BTCTRY, Side.SELL, Decimal("0.001"))
    assert _reason(exc) == QuantizeReason.REFERENCE_PRICE_REQUIRED
    with pytest.raises(QuantizationError) as exc:
        quantize_market(BTCTRY, Side.SELL, Decimal("0.00001"), reference_price=Decimal(2000000))
    assert _reason(exc) == QuantizeReason.BELOW_MIN_NOTIONAL
    order = quantize_market(
        BTCTRY, Side.SELL, Decimal("0.000123456789"), reference_price=Decimal(2000000)
    )
    assert order.quantity == Decimal("0.00012345")


def test_market_buy_below_min_notional_is_refused() -> None:
    """Spending 99 TRY is below minExchangeValue 99.91."""
    with pytest.raises(QuantizationError) as exc:
        quantize_market(BTCTRY, Side.BUY, Decimal("99.95"))
    assert _reason(exc) == QuantizeReason.BELOW_MIN_NOTIONAL


def _decimals(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return max(-exponent, 0)


@given(
    rules=st.sampled_from([BTCTRY, XLMTRY]),
    side=st.sampled_from(Side),
    price=st.decimals(min_value=Decimal("0.01"), max_value=Decimal(50000000), places=6),
    quantity=st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(100000), places=10),
)
def test_quantized_limit_orders_always_satisfy_the_rules(
    rules: SymbolRules, side: Side, price: Decimal, quantity: Decimal
) -> None:
    """Any quantized limit order respects scales, tick, band, notional and the caller's limits."""
    try:
        order = quantize_limit(rules, side, price, quantity)
    except QuantizationError as exc:
        reason = exc.reason
        assert isinstance(reason, QuantizeReason)
        return
    assert order.price is not None
    assert _decimals(order.quantity) <= rules.numerator_scale
    assert _decimals(order.price) <= rules.denominator_scale
    assert rules.has_fraction or order.price == order.price.to_integral_value()
    assert rules.tick_size is not None
    assert order.price % rules.tick_size == 0
    assert rules.min_limit_price is not None
    assert rules.max_limit_price is not None
    assert rules.min_limit_price < order.price < rules.max_limit_price
    assert order.price * order.quantity >= rules.min_notional
    assert order.quantity <= quantity
    assert order.price <= price if side is Side.BUY else order.price >= price


@given(
    rules=st.sampled_from([BTCTRY, XLMTRY]),
    amount=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(10**9), places=6),
)
def test_quantized_market_buys_never_overspend(rules: SymbolRules, amount: Decimal) -> None:
    """A market buy's quote amount is on the quote grid, at least the minimum and at most asked."""
    try:
        order = quantize_market(rules, Side.BUY, amount)
    except QuantizationError as exc:
        reason = exc.reason
        assert reason in {QuantizeReason.BELOW_MIN_NOTIONAL, QuantizeReason.QUANTITY_ROUNDS_TO_ZERO}
        return
    assert order.quantity <= amount
    assert order.quantity >= rules.min_notional
    assert _decimals(order.quantity) <= (rules.denominator_scale if rules.has_fraction else 0)
