"""What one fill does to a position and to cash: the ledger's arithmetic, free of state.

Formulas and the handling of base-asset fees are documented in docs/LEDGER.md.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext

from btcbot.domain.enums import Side
from btcbot.domain.errors import InvalidFillError, InventoryShortfallError
from btcbot.domain.ledger.types import ZERO, Pair, Position
from btcbot.domain.models import Fill

# Sixty digits hold any realistic price x quantity exactly; trapping Inexact turns silent
# rounding (which would break cash conservation) into a typed error instead.
EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation])
# The only division (cost released by a partial sell) is rounded here, once.
_COST_QUANTUM = Decimal("1e-18")


@dataclass(frozen=True, slots=True)
class _Charges:
    """Fee and tax of one fill in quote units, and what they take from each asset."""

    fee: Decimal
    tax: Decimal
    base: Decimal
    quote: Decimal


@dataclass(frozen=True, slots=True)
class FillEffect:
    """Everything one fill changes, computed before the ledger mutates anything."""

    position: Position
    cash_delta: Decimal
    capital_delta: Decimal
    realized: Decimal
    fee: Decimal
    tax: Decimal


def validate_fill(pair: Pair, fill: Fill) -> None:
    """Raise InvalidFillError unless ``fill`` keeps the Fill contract for ``pair``."""
    if fill.quantity <= ZERO or fill.price <= ZERO:
        raise InvalidFillError(f"fill {fill.trade_id}: quantity and price must be positive")
    if fill.fee < ZERO or fill.tax < ZERO:
        raise InvalidFillError(f"fill {fill.trade_id}: fee and tax must not be negative")
    if fill.timestamp.tzinfo is None:
        raise InvalidFillError(f"fill {fill.trade_id}: timestamp must be timezone-aware")
    charged = fill.fee != ZERO or fill.tax != ZERO
    if charged and fill.fee_asset.upper() not in (pair.base, pair.quote):
        raise InvalidFillError(
            f"fill {fill.trade_id}: fee asset {fill.fee_asset!r} is neither "
            f"{pair.base} nor {pair.quote}"
        )


def fill_effect(old: Position, pair: Pair, fill: Fill, *, adopt_shortfalls: bool) -> FillEffect:
    """What ``fill`` does to ``old`` (the position in ``pair``), computed exactly.

    Raises:
        InvalidFillError: the fill breaks the Fill contract, or its arithmetic would round.
        InventoryShortfallError: a sell exceeds ``old`` and ``adopt_shortfalls`` is off.
    """
    validate_fill(pair, fill)
    try:
        with localcontext(EXACT):
            if fill.side is Side.BUY:
                return _buy(old, pair, fill)
            return _sell(old, pair, fill, adopt_shortfalls=adopt_shortfalls)
    except Inexact as exc:
        raise InvalidFillError(
            f"fill {fill.trade_id} has more digits than the ledger holds exactly"
        ) from exc


def _charges(pair: Pair, fill: Fill) -> _Charges:
    # Tax is VAT on the fee, so it is charged in the fee's asset.
    if fill.fee_asset.upper() == pair.base:
        return _Charges(fill.fee * fill.price, fill.tax * fill.price, fill.fee + fill.tax, ZERO)
    return _Charges(fill.fee, fill.tax, ZERO, fill.fee + fill.tax)


def _buy(old: Position, pair: Pair, fill: Fill) -> FillEffect:
    charges = _charges(pair, fill)
    received = fill.quantity - charges.base
    if received < ZERO:
        raise InvalidFillError(f"fill {fill.trade_id}: base fee exceeds the bought quantity")
    position = replace(
        old,
        quantity=old.quantity + received,
        cost_basis=old.cost_basis + fill.price * received,
        fees=old.fees + charges.fee,
        tax=old.tax + charges.tax,
    )
    cash_delta = -(fill.price * fill.quantity) - charges.quote
    return FillEffect(position, cash_delta, ZERO, ZERO, charges.fee, charges.tax)


def _sell(old: Position, pair: Pair, fill: Fill, *, adopt_shortfalls: bool) -> FillEffect:
    charges = _charges(pair, fill)
    disposed = fill.quantity + charges.base
    shortfall = disposed - old.quantity
    capital_delta = ZERO
    if shortfall > ZERO:
        if not adopt_shortfalls:
            raise InventoryShortfallError(
                f"sell {fill.trade_id} of {disposed} {pair.base} exceeds the position "
                f"{old.quantity}; enable shortfall adoption or apply the missing buys first",
                symbol=pair.symbol,
                shortfall=shortfall,
            )
        # Base we never saw bought entered the account from outside: book it at the fill
        # price, so the adopted part realizes nothing and counts as external capital.
        capital_delta = shortfall * fill.price
        old = replace(
            old,
            quantity=old.quantity + shortfall,
            cost_basis=old.cost_basis + capital_delta,
            adopted_quantity=old.adopted_quantity + shortfall,
        )
    released = _released_cost(old, disposed)
    realized = fill.price * disposed - released
    position = replace(
        old,
        quantity=old.quantity - disposed,
        cost_basis=old.cost_basis - released,
        realized_pnl=old.realized_pnl + realized,
        fees=old.fees + charges.fee,
        tax=old.tax + charges.tax,
    )
    cash_delta = fill.price * fill.quantity - charges.quote
    return FillEffect(position, cash_delta, capital_delta, realized, charges.fee, charges.tax)


def _released_cost(position: Position, disposed: Decimal) -> Decimal:
    """Cost basis leaving the position when ``disposed`` base units are sold (average cost)."""
    if disposed == position.quantity:
        return position.cost_basis
    with localcontext() as ctx:
        ctx.traps[Inexact] = False
        share = position.cost_basis * disposed / position.quantity
        return share.quantize(_COST_QUANTUM)
