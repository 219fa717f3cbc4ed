"""Turn a signal into a limit order at the touch, on the venue's grids (or say why it cannot be).

- A BUY is priced at the best ask; its quantity is ``size_hint / price``.
- A SELL is priced at the best bid; its quantity is ``size_hint / price`` capped at what is
  held and not already offered (open sells and sells approved earlier this cycle) and at
  ``max_notional / price`` (RISK_MAX_ORDER_NOTIONAL_TRY, as for buys), so a large exit is split
  over cycles. "Held" is the bot's own inventory: what the account holds outside the books is
  never offered. When the remainder would be dust, the whole available position is sold if
  that fits the cap, and half of it otherwise, so no sell ever *creates* dust. A position
  worth less than the venue's minimum is reported as ``DustPosition`` (not a rejection to
  retry).
- Quantization uses ``btcbot.domain.quantize.quantize_limit`` (conservative rounding). Its
  refusal is carried along, not raised: the exchange-rules and price-band checks report it at
  their place in the documented order, and the engine never approves a refused order.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass, replace
from decimal import Decimal

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import QuantizationError
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.quantize import QuantizeReason, quantize_limit
from btcbot.domain.trading import (
    ZERO,
    DustPosition,
    OrderIntent,
    RejectReason,
    RiskRejection,
    Signal,
    is_dust,
)
from btcbot.risk.context import CycleTally, RiskContext

# Fixed precision so sizing never depends on whatever decimal context the caller set.
_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class SizedOrder:
    """The order a signal becomes: quantized when the quantizer accepted it, raw otherwise."""

    intent: OrderIntent
    refusal: QuantizeReason | None = None
    refusal_detail: str = ""


def size_signal(
    signal: Signal,
    snapshot: MarketSnapshot,
    ctx: RiskContext,
    tally: CycleTally,
    *,
    max_notional: Decimal | None = None,
) -> SizedOrder | RiskRejection | DustPosition:
    """Size ``signal`` against ``snapshot`` (see the module docstring)."""
    if signal.side is Side.BUY:
        price = snapshot.best_ask
        if price is None:
            return RiskRejection(RejectReason.MARKET_DATA_UNUSABLE, "the book has no ask")
        quantity = _CONTEXT.divide(signal.size_hint, price)
    else:
        price = snapshot.best_bid
        if price is None:
            return RiskRejection(RejectReason.MARKET_DATA_UNUSABLE, "the book has no bid")
        sell = _sell_quantity(signal, snapshot, ctx, tally, price, max_notional)
        if not isinstance(sell, Decimal):
            return sell
        quantity = sell
    raw = OrderIntent(
        symbol=signal.symbol,
        side=signal.side,
        method=OrderMethod.LIMIT,
        price=price,
        quantity=quantity,
        strategy=signal.strategy,
        reason=signal.reason,
    )
    try:
        q = quantize_limit(snapshot.rules, signal.side, price, quantity)
    except QuantizationError as exc:
        return SizedOrder(raw, QuantizeReason(exc.reason), str(exc))
    # A limit order always comes back with a price; the fallback only satisfies the type.
    return SizedOrder(replace(raw, price=q.price or price, quantity=q.quantity))


def _sell_quantity(  # noqa: PLR0917 - one private call site, every argument distinct
    signal: Signal,
    snapshot: MarketSnapshot,
    ctx: RiskContext,
    tally: CycleTally,
    price: Decimal,
    max_notional: Decimal | None,
) -> Decimal | RiskRejection | DustPosition:
    symbol = signal.symbol
    held = ctx.portfolio.position(symbol).quantity
    offered = ctx.open_sell_quantity(symbol) + tally.sell_quantity(symbol)
    available = held - offered
    if available <= ZERO:
        detail = f"nothing of {symbol} left to sell (held {held}, already offered {offered})"
        return RiskRejection(RejectReason.NO_POSITION, detail)
    rules = snapshot.rules
    if is_dust(available, price, rules):
        if offered > ZERO:
            detail = f"the rest of {symbol} ({available}) is below the minimum; already selling"
            return RiskRejection(RejectReason.NO_POSITION, detail)
        return DustPosition(symbol, available, available * price, rules.min_notional)
    cap = available if max_notional is None else _CONTEXT.divide(max_notional, price)
    wanted = min(_CONTEXT.divide(signal.size_hint, price), available, cap)
    if is_dust(available - wanted, price, rules):
        return available if available <= cap else _CONTEXT.divide(available, Decimal(2))
    return wanted
