"""What the risk engine decides on: the cycle's inputs, and the intents it approved so far."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from btcbot.domain.enums import Side
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Fill, Order
from btcbot.domain.trading import ZERO, OrderIntent, PortfolioView, TradingState


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Everything outside the signals that risk looks at; built by the caller each cycle.

    ``now`` comes from the injected clock; ``kill_switch_reason`` is set when the KILL_SWITCH
    setting refuses every order (the kill file stops the cycle before any decision, so it never
    reaches here: ``btcbot.risk.kill_switch``); ``open_orders`` are our orders still open on the
    exchange (closed ones are ignored); ``recent_fills`` and ``recent_submits`` need only reach
    back over the cooldown and the submit-rate window; ``unresolved_symbols`` are symbols with an
    order whose fate execution does not know yet (pending submit or ambiguous).
    """

    now: datetime
    trading_state: TradingState
    kill_switch_reason: str | None
    snapshots: Mapping[str, MarketSnapshot]
    portfolio: PortfolioView
    open_orders: Sequence[Order] = ()
    recent_fills: Sequence[Fill] = ()
    recent_submits: Sequence[datetime] = ()
    unresolved_symbols: frozenset[str] = frozenset()

    def open_for(self, symbol: str | None = None) -> tuple[Order, ...]:
        """Open orders, all or of one symbol."""
        return tuple(
            o
            for o in self.open_orders
            if o.status.is_open and (symbol is None or o.symbol == symbol)
        )

    def open_buy_notional(self, symbol: str | None = None) -> Decimal:
        """Quote value still to be bought by open buy orders (a market buy's left is quote)."""
        total = ZERO
        for order in self.open_for(symbol):
            if order.side is Side.BUY:
                left = order.left_quantity
                total += left if order.price is None else order.price * left
        return total

    def open_sell_quantity(self, symbol: str) -> Decimal:
        """Base quantity already offered by open sell orders of ``symbol``."""
        return sum((o.left_quantity for o in self.open_for(symbol) if o.side is Side.SELL), ZERO)

    def last_fill_at(self, symbol: str) -> datetime | None:
        """When ``symbol`` last filled, if within the fills given."""
        times = [f.timestamp for f in self.recent_fills if f.symbol == symbol]
        return max(times) if times else None

    def mark(self, symbol: str) -> Decimal:
        """Price a held position is valued at: mid, else last trade, else its average cost."""
        snapshot = self.snapshots.get(symbol)
        if snapshot is not None:
            mid = snapshot.mid
            return mid if mid is not None else snapshot.ticker.last
        return self.portfolio.position(symbol).avg_cost

    def position_value(self, symbol: str) -> Decimal:
        """Market value of the position in ``symbol``."""
        return self.portfolio.position(symbol).quantity * self.mark(symbol)

    def total_position_value(self) -> Decimal:
        """Market value of every position held."""
        return sum((self.position_value(s) for s in sorted(self.portfolio.positions)), ZERO)


@dataclass(frozen=True, slots=True)
class CycleTally:
    """The intents approved earlier in this cycle: they count against every limit."""

    approved: tuple[OrderIntent, ...] = ()

    def add(self, intent: OrderIntent) -> CycleTally:
        """The tally with ``intent`` approved too."""
        return CycleTally((*self.approved, intent))

    @property
    def count(self) -> int:
        """How many orders this cycle approved."""
        return len(self.approved)

    def count_for(self, symbol: str) -> int:
        """How many orders of ``symbol`` this cycle approved."""
        return sum(1 for i in self.approved if i.symbol == symbol)

    def buy_notional(self, symbol: str | None = None) -> Decimal:
        """Quote notional of approved buys, all or of one symbol."""
        return sum(
            (
                i.notional
                for i in self.approved
                if i.side is Side.BUY and (symbol is None or i.symbol == symbol)
            ),
            ZERO,
        )

    def sell_quantity(self, symbol: str) -> Decimal:
        """Base quantity of approved sells of ``symbol``."""
        return sum(
            (i.quantity for i in self.approved if i.side is Side.SELL and i.symbol == symbol),
            ZERO,
        )
