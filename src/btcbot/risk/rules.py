"""The pre-trade checks, one function each, and ``DEFAULT_RULES``: the ONE order they run in.

Each check returns a ``RiskRejection`` or ``None``. Checks with ``needs_order`` look at the
sized order (``btcbot.risk.sizing``), which the engine builds right before the first of them.
Buys add exposure and sells cut it (spot, no shorting), so the caps, the cash lock and the
cooldown apply to buys only; every other check applies to both sides.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from btcbot.domain.enums import Side
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.quantize import QuantizeReason
from btcbot.domain.trading import (
    OrderIntent,
    RejectReason,
    RiskLimits,
    RiskRejection,
    Signal,
    TradingState,
)
from btcbot.risk.context import CycleTally, RiskContext
from btcbot.risk.sizing import SizedOrder
from btcbot.risk.trading_state import limit_breach, state_refusal

_BAND_REFUSALS = frozenset({QuantizeReason.PRICE_BELOW_BAND, QuantizeReason.PRICE_ABOVE_BAND})


@dataclass(frozen=True, slots=True)
class RuleInput:
    """One signal under review, with the cycle's context and what was approved before it."""

    signal: Signal
    ctx: RiskContext
    tally: CycleTally
    limits: RiskLimits
    sized: SizedOrder | None = None

    @property
    def order(self) -> OrderIntent:
        """The sized order; only for rules declared with ``needs_order``."""
        if self.sized is None:
            raise RuntimeError("a rule that needs the order ran before sizing")
        return self.sized.intent

    @property
    def snapshot(self) -> MarketSnapshot:
        """The signal's snapshot; the market-data check has made sure it exists."""
        return self.ctx.snapshots[self.signal.symbol]

    @property
    def is_buy(self) -> bool:
        """True for a buy: an order that adds exposure."""
        return self.signal.side is Side.BUY


Check = Callable[[RuleInput], RiskRejection | None]


@dataclass(frozen=True, slots=True)
class RiskRule:
    """A named check; ``needs_order`` when it looks at the sized order."""

    name: str
    check: Check
    needs_order: bool = True


def _reject(reason: RejectReason, detail: str) -> RiskRejection:
    return RiskRejection(reason, detail)


def check_trading_state(inp: RuleInput) -> RiskRejection | None:
    """1. Kill switch, then the trading state (HALTED: nothing; REDUCING: sells of a position)."""
    if inp.ctx.kill_switch_reason is not None:
        return _reject(RejectReason.KILL_SWITCH, f"kill switch: {inp.ctx.kill_switch_reason}")
    holds = not inp.ctx.portfolio.position(inp.signal.symbol).is_flat
    refusal = state_refusal(inp.ctx.trading_state, inp.signal.side, holds_position=holds)
    if refusal is None:
        return None
    return _reject(refusal, f"trading state is {inp.ctx.trading_state.value}")


def check_market_data(inp: RuleInput) -> RiskRejection | None:
    """2. A snapshot exists, market_data did not mark it unusable, and it is fresh enough."""
    snapshot = inp.ctx.snapshots.get(inp.signal.symbol)
    if snapshot is None:
        return _reject(RejectReason.NO_MARKET_DATA, f"no snapshot of {inp.signal.symbol}")
    if snapshot.unusable_reason is not None:
        return _reject(RejectReason.MARKET_DATA_UNUSABLE, snapshot.unusable_reason)
    age = snapshot.age(inp.ctx.now)
    if age > timedelta(seconds=inp.limits.max_data_age_seconds):
        return _reject(
            RejectReason.STALE_MARKET_DATA,
            f"data is {age.total_seconds():.1f} s old (limit {inp.limits.max_data_age_seconds} s)",
        )
    return None


def check_unresolved(inp: RuleInput) -> RiskRejection | None:
    """3. No new order in a symbol while one of its orders is in an unknown state."""
    if inp.signal.symbol in inp.ctx.unresolved_symbols:
        return _reject(
            RejectReason.UNRESOLVED_ORDER,
            f"{inp.signal.symbol} has an order of unknown fate; waiting for reconciliation",
        )
    return None


def check_orders_per_cycle(inp: RuleInput) -> RiskRejection | None:
    """4. At most ``max_orders_per_cycle`` approvals per cycle."""
    if inp.tally.count >= inp.limits.max_orders_per_cycle:
        return _reject(
            RejectReason.MAX_ORDERS_PER_CYCLE,
            f"{inp.tally.count} orders approved this cycle already",
        )
    return None


def check_open_orders(inp: RuleInput) -> RiskRejection | None:
    """5. Open orders plus this cycle's approvals stay under the total and per-symbol limits."""
    symbol = inp.signal.symbol
    total = len(inp.ctx.open_for()) + inp.tally.count
    if total >= inp.limits.max_open_orders:
        return _reject(RejectReason.MAX_OPEN_ORDERS, f"{total} orders open or approved")
    mine = len(inp.ctx.open_for(symbol)) + inp.tally.count_for(symbol)
    if mine >= inp.limits.max_open_orders_per_symbol:
        return _reject(
            RejectReason.MAX_OPEN_ORDERS_PER_SYMBOL, f"{mine} orders of {symbol} open or approved"
        )
    return None


def check_order_notional(inp: RuleInput) -> RiskRejection | None:
    """6. An order's notional is at most ``max_order_notional_try`` (sells are sized to fit)."""
    notional = inp.order.notional
    if notional > inp.limits.max_order_notional_try:
        return _reject(
            RejectReason.ORDER_NOTIONAL_CAP,
            f"order notional {notional} TRY above {inp.limits.max_order_notional_try} TRY",
        )
    return None


def check_position_cap(inp: RuleInput) -> RiskRejection | None:
    """7. Position value + open and approved buys + this buy <= ``max_position_notional_try``."""
    if not inp.is_buy:
        return None
    symbol = inp.signal.symbol
    after = (
        inp.ctx.position_value(symbol)
        + inp.ctx.open_buy_notional(symbol)
        + inp.tally.buy_notional(symbol)
        + inp.order.notional
    )
    if after > inp.limits.max_position_notional_try:
        return _reject(
            RejectReason.POSITION_CAP,
            f"{symbol} exposure would be {after} TRY, cap {inp.limits.max_position_notional_try}",
        )
    return None


def check_exposure_cap(inp: RuleInput) -> RiskRejection | None:
    """8. All positions + open and approved buys + this buy <= ``max_total_exposure_try``."""
    if not inp.is_buy:
        return None
    after = (
        inp.ctx.total_position_value()
        + inp.ctx.open_buy_notional()
        + inp.tally.buy_notional()
        + inp.order.notional
    )
    if after > inp.limits.max_total_exposure_try:
        return _reject(
            RejectReason.EXPOSURE_CAP,
            f"total exposure would be {after} TRY, cap {inp.limits.max_total_exposure_try}",
        )
    return None


def check_cash(inp: RuleInput) -> RiskRejection | None:
    """9. notional x (1 + fee and tax) <= cash - open and approved buy locks - reserve."""
    if not inp.is_buy:
        return None
    lim = inp.limits
    factor = lim.fee_lock_factor
    locked = (inp.ctx.open_buy_notional() + inp.tally.buy_notional()) * factor
    free = inp.ctx.portfolio.cash - locked - lim.cash_reserve_try
    needed = inp.order.notional * factor
    if needed > free:
        return _reject(
            RejectReason.INSUFFICIENT_CASH,
            f"needs {needed} TRY with fees; {free} TRY free above the {lim.cash_reserve_try} "
            "TRY reserve",
        )
    return None


def check_exchange_rules(inp: RuleInput) -> RiskRejection | None:
    """10. The venue's minimum notional, scales and price filter (via the domain quantizer)."""
    sized = inp.sized
    minimum = inp.snapshot.rules.min_notional
    if inp.order.notional < minimum or (
        sized is not None and sized.refusal is QuantizeReason.BELOW_MIN_NOTIONAL
    ):
        return _reject(
            RejectReason.BELOW_MIN_NOTIONAL,
            f"notional {inp.order.notional} below the venue minimum {minimum}",
        )
    if sized is not None and sized.refusal is not None and sized.refusal not in _BAND_REFUSALS:
        return _reject(RejectReason.EXCHANGE_RULES, sized.refusal_detail)
    return None


def check_price_band(inp: RuleInput) -> RiskRejection | None:
    """11. The limit price lies strictly inside the venue's dynamic band."""
    rules = inp.snapshot.rules
    price = inp.order.price
    above = rules.max_limit_price is not None and price >= rules.max_limit_price
    below = rules.min_limit_price is not None and price <= rules.min_limit_price
    refused = inp.sized is not None and inp.sized.refusal in _BAND_REFUSALS
    if above or below or refused:
        return _reject(
            RejectReason.PRICE_BAND,
            f"price {price} outside ({rules.min_limit_price}, {rules.max_limit_price})",
        )
    return None


def check_cooldown(inp: RuleInput) -> RiskRejection | None:
    """12. No buy within ``cooldown_after_fill_seconds`` of the symbol's last fill."""
    if not inp.is_buy:
        return None
    last = inp.ctx.last_fill_at(inp.signal.symbol)
    cooldown = timedelta(seconds=inp.limits.cooldown_after_fill_seconds)
    if last is not None and inp.ctx.now - last < cooldown:
        return _reject(RejectReason.COOLDOWN, f"{inp.signal.symbol} filled at {last.isoformat()}")
    return None


def check_loss_limits(inp: RuleInput) -> RiskRejection | None:
    """13. Daily loss and drawdown on this cycle's books.

    A breach refuses everything; the soft drawdown threshold refuses buys (the thresholds
    ``next_trading_state`` applies, so the refusal starts in the cycle of the breach).
    """
    breach = limit_breach(inp.ctx.portfolio, inp.limits)
    if breach is not None:
        return breach
    drawdown = inp.ctx.portfolio.drawdown_pct
    if drawdown >= inp.limits.reduce_at_drawdown_pct:
        holds = not inp.ctx.portfolio.position(inp.signal.symbol).is_flat
        if state_refusal(TradingState.REDUCING, inp.signal.side, holds_position=holds):
            return _reject(
                RejectReason.REDUCING_ONLY,
                f"drawdown {drawdown:.4f} % at or above {inp.limits.reduce_at_drawdown_pct} %",
            )
    return None


def check_submit_rate(inp: RuleInput) -> RiskRejection | None:
    """14. At most ``max_submits_per_window`` submits in the trailing window, this cycle's too."""
    window = timedelta(seconds=inp.limits.submit_window_seconds)
    now = inp.ctx.now
    # Submits stamped after ``now`` (the clock stepped back) still count: fail closed.
    recent = sum(1 for t in inp.ctx.recent_submits if t > now - window)
    if recent + inp.tally.count >= inp.limits.max_submits_per_window:
        return _reject(
            RejectReason.SUBMIT_RATE,
            f"{recent + inp.tally.count} submits in the last {inp.limits.submit_window_seconds} s",
        )
    return None


DEFAULT_RULES: tuple[RiskRule, ...] = (
    RiskRule("trading_state", check_trading_state, needs_order=False),
    RiskRule("market_data", check_market_data, needs_order=False),
    RiskRule("unresolved_orders", check_unresolved, needs_order=False),
    RiskRule("orders_per_cycle", check_orders_per_cycle, needs_order=False),
    RiskRule("open_orders", check_open_orders, needs_order=False),
    RiskRule("order_notional", check_order_notional),
    RiskRule("position_cap", check_position_cap),
    RiskRule("exposure_cap", check_exposure_cap),
    RiskRule("cash", check_cash),
    RiskRule("exchange_rules", check_exchange_rules),
    RiskRule("price_band", check_price_band),
    RiskRule("cooldown", check_cooldown),
    RiskRule("loss_limits", check_loss_limits),
    RiskRule("submit_rate", check_submit_rate),
)
