"""The decision core's vocabulary: signals, positions as risk sees them, intents, outcomes, states.

Units, one per kind of quantity, everywhere (docs/STRATEGY_AND_RISK.md):

* money is ``Decimal`` in the pair's **quote** currency (TRY for every pair btcbot trades);
* a ``Signal.size_hint`` is a **quote notional** (TRY to buy, or TRY worth to sell);
* every ratio (drawdown, take-profit, stop-loss, fee lock) is in **percent**: 5 means 5 %.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import ConfigError

if TYPE_CHECKING:
    # Annotations only: settings import this module for RiskLimits, and every health run
    # loads settings; the ledger and the exchange models are not for it to pay for.
    from btcbot.domain.ledger.valuation import Valuation
    from btcbot.domain.models import OrderRequest, SymbolRules

ZERO = Decimal(0)
HUNDRED = Decimal(100)


class StateCause(StrEnum):
    """Why the trading state last changed: the typed half of its reason."""

    RISK = "risk"  # drawdown or daily loss (btcbot.risk.trading_state)
    BOOKS_DIFFER = "books_differ"  # the books do not match the account's balances
    FILL_QUARANTINED = "fill_quarantined"  # a trade row that cannot be booked
    ORDER_QUARANTINED = "order_quarantined"  # an order row that cannot be trusted
    OPERATOR = "operator"  # 'btcbot arm' lifted a halt


class TradingState(StrEnum):
    """How much the bot may trade (transitions: ``btcbot.risk.trading_state``).

    ACTIVE: any order the limits allow. REDUCING: only exposure-cutting orders (sells of a held
    position); entered and left automatically with the drawdown. HALTED: no new order at all;
    entered on a daily-loss or drawdown breach and left only by the operator. Cancels are
    allowed in every state.
    """

    ACTIVE = "active"
    REDUCING = "reducing"
    HALTED = "halted"


@dataclass(frozen=True, slots=True)
class Signal:
    """A strategy's wish to trade one symbol; risk decides whether and how much.

    ``size_hint`` is the quote notional (TRY) the strategy wants to buy, or the TRY worth it wants
    to sell at the current bid (risk caps a sell at the position actually held). ``as_of`` is the
    open time of the candle the signal was computed on, so two cycles on the same candle can be
    recognised as the same signal.
    """

    symbol: str
    side: Side
    size_hint: Decimal
    reason: str
    strategy: str
    as_of: datetime


@dataclass(frozen=True, slots=True)
class PositionView:
    """What is held of one symbol: base quantity and average cost per unit (quote currency)."""

    symbol: str
    quantity: Decimal
    avg_cost: Decimal

    @property
    def is_flat(self) -> bool:
        """True when nothing is held."""
        return self.quantity <= ZERO


@dataclass(frozen=True, slots=True)
class PortfolioView:
    """The ledger's figures the risk layer needs, all in the quote currency (TRY).

    ``cash`` is the total quote balance the ledger books, *including* what open buy orders lock
    (risk subtracts those locks itself). ``daily_pnl`` is realized plus unrealized PnL since the
    Europe/Istanbul day opened; ``peak_equity`` is the highest equity seen.
    """

    cash: Decimal
    equity: Decimal
    peak_equity: Decimal
    daily_pnl: Decimal
    positions: Mapping[str, PositionView] = field(default_factory=dict)

    @property
    def drawdown_pct(self) -> Decimal:
        """Percent below the peak equity (5 means 5 %); zero at or above the peak."""
        if self.peak_equity <= ZERO or self.equity >= self.peak_equity:
            return ZERO
        return (self.peak_equity - self.equity) / self.peak_equity * HUNDRED

    def position(self, symbol: str) -> PositionView:
        """The position in ``symbol``, flat when none is booked."""
        return self.positions.get(symbol) or PositionView(symbol, ZERO, ZERO)

    @classmethod
    def from_valuation(cls, valuation: Valuation) -> PortfolioView:
        """Build the view from the ledger's valuation of the quote currency."""
        positions = {
            p.symbol: PositionView(p.symbol, p.quantity, p.avg_cost) for p in valuation.positions
        }
        return cls(
            cash=valuation.cash,
            equity=valuation.equity,
            peak_equity=valuation.peak_equity,
            daily_pnl=valuation.daily_pnl,
            positions=positions,
        )


def is_dust(quantity: Decimal, price: Decimal, rules: SymbolRules) -> bool:
    """True when a held ``quantity`` is worth less than the venue's minimum order at ``price``.

    Such a remainder can never be sold on its own; strategies treat it as flat and risk records
    it as ``DustPosition`` instead of retrying a sell every cycle.
    """
    return quantity > ZERO and quantity * price < rules.min_notional


@dataclass(frozen=True, slots=True)
class OrderIntent:
    """An order sized from a signal (limit at the touch), before or after quantization."""

    symbol: str
    side: Side
    method: OrderMethod
    price: Decimal
    quantity: Decimal
    strategy: str
    reason: str

    @property
    def notional(self) -> Decimal:
        """Price x quantity in the quote currency."""
        return self.price * self.quantity


@dataclass(frozen=True, slots=True)
class ApprovedOrderIntent:
    """An order risk approved, already on the venue's grids; execution may send it as is.

    ``index`` is its position among the cycle's approved intents (0, 1, ...), stable for equal
    inputs, so execution can derive a deterministic client order id from (cycle id, index).
    """

    index: int
    intent: OrderIntent

    @property
    def symbol(self) -> str:
        """The pair, e.g. ``BTCTRY``."""
        return self.intent.symbol

    @property
    def side(self) -> Side:
        """Buy or sell."""
        return self.intent.side

    def to_request(self, client_order_id: str) -> OrderRequest:
        """The ``OrderRequest`` to send under ``client_order_id``."""
        from btcbot.domain.models import OrderRequest  # noqa: PLC0415 - see the imports above

        i = self.intent
        return OrderRequest(
            symbol=i.symbol,
            side=i.side,
            method=i.method,
            quantity=i.quantity,
            price=i.price,
            client_order_id=client_order_id,
        )


class RejectReason(StrEnum):
    """Why risk refused a signal; one value per check, in the order the checks run."""

    KILL_SWITCH = "kill_switch"
    TRADING_HALTED = "trading_halted"
    REDUCING_ONLY = "reducing_only"
    NO_MARKET_DATA = "no_market_data"
    MARKET_DATA_UNUSABLE = "market_data_unusable"
    STALE_MARKET_DATA = "stale_market_data"
    UNRESOLVED_ORDER = "unresolved_order"
    NO_POSITION = "no_position"
    MAX_ORDERS_PER_CYCLE = "max_orders_per_cycle"
    MAX_OPEN_ORDERS = "max_open_orders"
    MAX_OPEN_ORDERS_PER_SYMBOL = "max_open_orders_per_symbol"
    ORDER_NOTIONAL_CAP = "order_notional_cap"
    POSITION_CAP = "position_cap"
    EXPOSURE_CAP = "exposure_cap"
    INSUFFICIENT_CASH = "insufficient_cash"
    BELOW_MIN_NOTIONAL = "below_min_notional"
    EXCHANGE_RULES = "exchange_rules"
    PRICE_BAND = "price_band"
    COOLDOWN = "cooldown"
    DAILY_LOSS_LIMIT = "daily_loss_limit"
    MAX_DRAWDOWN = "max_drawdown"
    SUBMIT_RATE = "submit_rate"


@dataclass(frozen=True, slots=True)
class RiskRejection:
    """A typed refusal: ``reason`` for metrics and tests, ``detail`` for people (one line)."""

    reason: RejectReason
    detail: str


@dataclass(frozen=True, slots=True)
class DustPosition:
    """A sell found the position worth less than the venue's minimum order: it is dust.

    Recorded once per cycle as a typed outcome, not a rejection to retry; strategies already
    treat dust as flat, so no exit signal for it repeats.
    """

    symbol: str
    quantity: Decimal
    notional: Decimal
    min_notional: Decimal


RiskOutcome = ApprovedOrderIntent | RiskRejection | DustPosition


@dataclass(frozen=True, slots=True)
class RiskDecision:
    """What risk made of one signal."""

    signal: Signal
    outcome: RiskOutcome

    @property
    def approved(self) -> ApprovedOrderIntent | None:
        """The approved intent, or ``None`` when refused or dust."""
        return self.outcome if isinstance(self.outcome, ApprovedOrderIntent) else None


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """Every risk limit with its unit; defaults suit a small TRY account (see the docs).

    Money in TRY, ratios in percent, durations in seconds, counts as plain ints. Proposed env
    names are ``RISK_`` + the upper-cased field name (e.g. ``RISK_MAX_ORDER_NOTIONAL_TRY``).
    """

    max_orders_per_cycle: int = 4
    max_open_orders: int = 10
    max_open_orders_per_symbol: int = 2
    max_order_notional_try: Decimal = Decimal(2500)
    max_position_notional_try: Decimal = Decimal(10000)
    max_total_exposure_try: Decimal = Decimal(25000)
    cash_reserve_try: Decimal = Decimal(500)
    # BtcTurk locks price x quantity plus the maximum commission and its tax on a buy (FAQ: 1 BTC
    # at 50,000 TRY needs 50,090 TRY free, i.e. 0.18 %); 0.25 leaves room for a fee-tier change.
    max_fee_and_tax_pct: Decimal = Decimal("0.25")
    max_data_age_seconds: int = 30
    cooldown_after_fill_seconds: int = 60
    max_daily_loss_try: Decimal = Decimal(1000)
    reduce_at_drawdown_pct: Decimal = Decimal(5)
    max_drawdown_pct: Decimal = Decimal(10)
    max_submits_per_window: int = 10
    submit_window_seconds: int = 60

    def __post_init__(self) -> None:
        """Refuse limits that would silently disable a check or contradict each other."""
        for name in (
            "max_orders_per_cycle",
            "max_open_orders",
            "max_open_orders_per_symbol",
            "max_order_notional_try",
            "max_position_notional_try",
            "max_total_exposure_try",
            "max_data_age_seconds",
            "max_daily_loss_try",
            "max_drawdown_pct",
            "max_submits_per_window",
            "submit_window_seconds",
        ):
            if getattr(self, name) <= 0:
                raise ConfigError(f"risk limit {name} must be positive, got {getattr(self, name)}")
        for name in ("cash_reserve_try", "max_fee_and_tax_pct", "cooldown_after_fill_seconds"):
            if getattr(self, name) < 0:
                raise ConfigError(f"risk limit {name} must not be negative")
        for name in ("max_drawdown_pct", "max_fee_and_tax_pct"):
            # Above 100 no order could ever be sized: a typo for a bot that never buys.
            if getattr(self, name) > HUNDRED:
                raise ConfigError(f"risk limit {name} is a percent: at most 100")
        if not ZERO < self.reduce_at_drawdown_pct <= self.max_drawdown_pct:
            raise ConfigError(
                "risk limit reduce_at_drawdown_pct must be above 0 and at most max_drawdown_pct"
            )

    @property
    def fee_lock_factor(self) -> Decimal:
        """What a buy locks per unit of notional: 1 + max fee and tax."""
        return 1 + self.max_fee_and_tax_pct / HUNDRED
