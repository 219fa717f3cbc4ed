"""Turn a desired order into prices and quantities BtcTurk accepts, or say exactly why not.

Pure functions over ``SymbolRules``; no I/O, so the risk layer and the backtest use the same code.

Rounding is conservative, always in the direction that cannot cost more than asked for:

* limit BUY price rounds **down** (never pay more than the caller's price);
* limit SELL price rounds **up** (never sell cheaper than the caller's price);
* every quantity rounds **down** (never spend or sell more than the caller asked for) -- that
  includes the quote amount of a market BUY.

Rounding can push an order under the minimum notional or outside the price band; it is then
refused with a typed ``QuantizeReason`` rather than "fixed" by rounding the other way.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal
from enum import StrEnum
from math import lcm
from typing import NoReturn

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import QuantizationError
from btcbot.domain.models import OrderRequest, SymbolRules

# BtcTurk's swagger pattern for order numbers is ^\d{0,12}(\.\d{1,16})?$: at most 12 integer digits.
_MAX_WIRE_NUMBER = Decimal(10) ** 12
# Room for 12 integer digits plus any scale BtcTurk lists (numeratorScale tops out well below 30).
_CONTEXT = decimal.Context(prec=60, traps=[decimal.InvalidOperation, decimal.DivisionByZero])


class QuantizeReason(StrEnum):
    """Why a desired order cannot be made acceptable to the venue."""

    INVALID_INPUT = "invalid_input"  # NaN, infinity, zero or negative price/quantity
    PAIR_NOT_TRADING = "pair_not_trading"
    METHOD_NOT_SUPPORTED = "method_not_supported"
    QUANTITY_ROUNDS_TO_ZERO = "quantity_rounds_to_zero"
    PRICE_ROUNDS_TO_ZERO = "price_rounds_to_zero"
    QUANTITY_TOO_LARGE = "quantity_too_large"
    PRICE_BELOW_MIN = "price_below_min"  # PRICE_FILTER minPrice
    PRICE_ABOVE_MAX = "price_above_max"  # PRICE_FILTER maxPrice
    PRICE_BELOW_BAND = "price_below_band"  # minimumLimitOrderPrice (1227)
    PRICE_ABOVE_BAND = "price_above_band"  # maximumLimitOrderPrice (1226)
    BELOW_MIN_NOTIONAL = "below_min_notional"  # minExchangeValue (1123)
    REFERENCE_PRICE_REQUIRED = "reference_price_required"


@dataclass(frozen=True, slots=True)
class QuantizedOrder:
    """Wire-ready values for one order; ``notional`` is what the venue checks against its minimum.

    For a MARKET BUY ``quantity`` is the quote amount to spend and ``price`` is ``None``.
    """

    symbol: str
    side: Side
    method: OrderMethod
    price: Decimal | None
    quantity: Decimal
    notional: Decimal

    def to_request(self, client_order_id: str) -> OrderRequest:
        """The ``OrderRequest`` the exchange client sends for these values."""
        return OrderRequest(
            symbol=self.symbol,
            side=self.side,
            method=self.method,
            quantity=self.quantity,
            price=self.price,
            client_order_id=client_order_id,
        )


def price_step(rules: SymbolRules) -> Decimal:
    """The smallest price increment we will ever send for ``rules``' pair.

    A price must have at most ``denominatorScale`` decimals, be an integer when ``hasFraction`` is
    false, and -- conservatively -- be a multiple of ``tickSize``. API.md §3.2 marks tickSize
    enforcement as uncertain (BTCTRY has tickSize 10 with denominatorScale 0); a price on the tick
    grid satisfies BtcTurk under either reading, so we always round to it. The step is the least
    common multiple of the two grids, so both hold at once.
    """
    scale_step = _scale_step(rules.denominator_scale, has_fraction=rules.has_fraction)
    tick = rules.tick_size
    if tick is None or tick <= 0:
        return scale_step
    return _decimal_lcm(scale_step, tick)


def quantity_step(rules: SymbolRules) -> Decimal:
    """The smallest base-quantity increment (``numeratorScale`` decimals)."""
    return _scale_step(rules.numerator_scale, has_fraction=True)


def quote_amount_step(rules: SymbolRules) -> Decimal:
    """The smallest market-buy quote amount increment (``denominatorScale``/``hasFraction``)."""
    return _scale_step(rules.denominator_scale, has_fraction=rules.has_fraction)


def quantize_limit(
    rules: SymbolRules, side: Side, price: Decimal, quantity: Decimal
) -> QuantizedOrder:
    """Round a limit order onto the venue's grids and check every rule BtcTurk enforces.

    Raises:
        QuantizationError: with a ``QuantizeReason`` when no acceptable order exists.
    """
    _check_tradable(rules, OrderMethod.LIMIT)
    _check_positive(price, "price")
    _check_positive(quantity, "quantity")
    if quantity >= _MAX_WIRE_NUMBER:
        _refuse(QuantizeReason.QUANTITY_TOO_LARGE, f"quantity {quantity} has over 12 digits")
    _check_price_filter(rules, price)
    rounding = ROUND_FLOOR if side is Side.BUY else ROUND_CEILING
    q_price = _round_to(price, price_step(rules), rounding)
    if q_price <= 0:
        _refuse(QuantizeReason.PRICE_ROUNDS_TO_ZERO, f"price {price} rounds to 0")
    q_quantity = _round_to(quantity, quantity_step(rules), ROUND_FLOOR)
    if q_quantity <= 0:
        _refuse(QuantizeReason.QUANTITY_ROUNDS_TO_ZERO, f"quantity {quantity} rounds to 0")
    _check_price_filter(rules, q_price)
    _check_band(rules, q_price)
    notional = q_price * q_quantity
    _check_notional(rules, notional)
    return QuantizedOrder(rules.symbol, side, OrderMethod.LIMIT, q_price, q_quantity, notional)


def quantize_market(
    rules: SymbolRules,
    side: Side,
    quantity: Decimal,
    *,
    reference_price: Decimal | None = None,
) -> QuantizedOrder:
    """Round a market order: a BUY's ``quantity`` is the quote amount, a SELL's the base amount.

    A market SELL's notional is only known at fill time, so it is estimated at
    ``reference_price`` (pass the best bid); it is required for sells.

    Raises:
        QuantizationError: with a ``QuantizeReason`` when no acceptable order exists.
    """
    _check_tradable(rules, OrderMethod.MARKET)
    _check_positive(quantity, "quantity")
    if quantity >= _MAX_WIRE_NUMBER:
        _refuse(QuantizeReason.QUANTITY_TOO_LARGE, f"quantity {quantity} has over 12 digits")
    if side is Side.BUY:
        amount = _round_to(quantity, quote_amount_step(rules), ROUND_FLOOR)
        if amount <= 0:
            _refuse(QuantizeReason.QUANTITY_ROUNDS_TO_ZERO, f"quote amount {quantity} rounds to 0")
        _check_notional(rules, amount)
        return QuantizedOrder(rules.symbol, side, OrderMethod.MARKET, None, amount, amount)
    if reference_price is None:
        _refuse(QuantizeReason.REFERENCE_PRICE_REQUIRED, "a market sell needs a reference price")
    _check_positive(reference_price, "reference price")
    base = _round_to(quantity, quantity_step(rules), ROUND_FLOOR)
    if base <= 0:
        _refuse(QuantizeReason.QUANTITY_ROUNDS_TO_ZERO, f"quantity {quantity} rounds to 0")
    notional = base * reference_price
    _check_notional(rules, notional)
    return QuantizedOrder(rules.symbol, side, OrderMethod.MARKET, None, base, notional)


def _scale_step(scale: int, *, has_fraction: bool) -> Decimal:
    if not has_fraction or scale <= 0:
        return Decimal(1)
    return Decimal(1).scaleb(-scale)


def _decimal_lcm(a: Decimal, b: Decimal) -> Decimal:
    """Least common multiple of two positive decimals, exactly (via a shared power of ten)."""
    exponent = min(_exponent(a), _exponent(b), 0)
    ia = int(a.scaleb(-exponent))
    ib = int(b.scaleb(-exponent))
    return Decimal(lcm(ia, ib)).scaleb(exponent)


def _exponent(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return exponent if isinstance(exponent, int) else 0


def _round_to(value: Decimal, step: Decimal, rounding: str) -> Decimal:
    """``value`` rounded to a multiple of ``step``, keeping the step's number of decimals."""
    with decimal.localcontext(_CONTEXT):
        units = (value / step).to_integral_value(rounding=rounding)
        exponent = _exponent(step)
        return (units * step).quantize(Decimal(1).scaleb(min(exponent, 0)))


def _refuse(reason: QuantizeReason, detail: str) -> NoReturn:
    raise QuantizationError(f"{reason.value}: {detail}", reason=reason)


def _check_tradable(rules: SymbolRules, method: OrderMethod) -> None:
    if not rules.is_trading:
        _refuse(QuantizeReason.PAIR_NOT_TRADING, f"{rules.symbol} status is {rules.status}")
    if method not in rules.order_methods:
        _refuse(QuantizeReason.METHOD_NOT_SUPPORTED, f"{rules.symbol} has no {method} orders")


def _check_positive(value: Decimal, what: str) -> None:
    if not value.is_finite() or value <= 0:
        _refuse(QuantizeReason.INVALID_INPUT, f"{what} must be a positive number, got {value}")


def _check_price_filter(rules: SymbolRules, price: Decimal) -> None:
    if price >= _MAX_WIRE_NUMBER or (rules.max_price is not None and price > rules.max_price):
        _refuse(QuantizeReason.PRICE_ABOVE_MAX, f"price {price} is above the pair's maxPrice")
    if rules.min_price is not None and price < rules.min_price:
        _refuse(QuantizeReason.PRICE_BELOW_MIN, f"price {price} is below the pair's minPrice")


def _check_band(rules: SymbolRules, price: Decimal) -> None:
    # The codes read PRICE_MUST_BE_LESS_THAN_MAXPRICE / ..._MINPRICE; whether the band edges are
    # inclusive is undocumented, so the edges themselves are refused (valid under both readings).
    if rules.max_limit_price is not None and price >= rules.max_limit_price:
        _refuse(
            QuantizeReason.PRICE_ABOVE_BAND,
            f"price {price} is not below the dynamic maximum {rules.max_limit_price}",
        )
    if rules.min_limit_price is not None and price <= rules.min_limit_price:
        _refuse(
            QuantizeReason.PRICE_BELOW_BAND,
            f"price {price} is not above the dynamic minimum {rules.min_limit_price}",
        )


def _check_notional(rules: SymbolRules, notional: Decimal) -> None:
    if notional < rules.min_notional:
        _refuse(
            QuantizeReason.BELOW_MIN_NOTIONAL,
            f"notional {notional} is below minExchangeValue {rules.min_notional}",
        )
