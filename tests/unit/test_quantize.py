"""The quantizer: conservative rounding onto BtcTurk's grids, typed refusals, and properties."""

from __future__ import annotations

import dataclasses
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
    ("price", "quantity", "reason"),
    [
        (Decimal(0), Decimal(1), QuantizeReason.INVALID_INPUT),
        (Decimal("NaN"), Decimal(1), QuantizeReason.INVALID_INPUT),
        (Decimal(2000000), Decimal(-1), QuantizeReason.INVALID_INPUT),
        (Decimal(2000000), Decimal("Infinity"), QuantizeReason.INVALID_INPUT),
        (Decimal(2000000), Decimal("0.000000001"), QuantizeReason.QUANTITY_ROUNDS_TO_ZERO),
        (Decimal(2000000), Decimal("1e13"), QuantizeReason.QUANTITY_TOO_LARGE),
        (Decimal("1e20"), Decimal(1), QuantizeReason.PRICE_ABOVE_MAX),
        (Decimal("1e-20"), Decimal(1), QuantizeReason.PRICE_BELOW_MIN),
        (Decimal(3), Decimal(1), QuantizeReason.PRICE_ROUNDS_TO_ZERO),
    ],
)
def test_bad_inputs_have_typed_reasons(
    price: Decimal, quantity: Decimal, reason: QuantizeReason
) -> None:
    """Each impossible order is refused with the reason naming the rule it breaks."""
    with pytest.raises(QuantizationError) as exc:
        quantize_limit(BTCTRY, Side.BUY, price, quantity)
    assert _reason(exc) == reason


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
