"""The ``Strategy`` port and what a strategy sees of one symbol at one instant.

A strategy is pure and deterministic: its signal depends only on its parameters and the
``StrategyInput`` (no clock reads, no randomness, no I/O, no memory between calls). Positions
are per symbol, not per strategy: every strategy sees the one position the account holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from btcbot.domain.enums import Side
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Order
from btcbot.domain.trading import PositionView, Signal, is_dust


@dataclass(frozen=True, slots=True)
class StrategyInput:
    """One symbol's snapshot, its position and our open orders in it."""

    snapshot: MarketSnapshot
    position: PositionView
    open_orders: tuple[Order, ...] = ()

    @property
    def symbol(self) -> str:
        """The pair, e.g. ``BTCTRY``."""
        return self.snapshot.symbol

    @property
    def closes(self) -> tuple[Decimal, ...]:
        """Closing prices of the closed candles, oldest first."""
        return tuple(c.close for c in self.snapshot.candles)

    @property
    def as_of(self) -> datetime:
        """Open time of the newest candle (the snapshot time when there are none)."""
        candles = self.snapshot.candles
        return candles[-1].open_time if candles else self.snapshot.taken_at

    @property
    def exit_price(self) -> Decimal:
        """What a sell would get now: the best bid, else the last trade."""
        bid = self.snapshot.best_bid
        return bid if bid is not None else self.snapshot.ticker.last

    @property
    def holds(self) -> bool:
        """True when a sellable position is held; dust counts as flat, so it is never chased."""
        quantity = self.position.quantity
        return quantity > 0 and not is_dust(quantity, self.exit_price, self.snapshot.rules)

    def has_open(self, side: Side | None = None) -> bool:
        """True when an order of ours (of ``side``, if given) is open in this symbol."""
        return any(o.status.is_open and (side is None or o.side is side) for o in self.open_orders)

    def exit_signal(self, strategy: str, reason: str) -> Signal:
        """A sell of the whole position, sized at the exit price."""
        return Signal(
            symbol=self.symbol,
            side=Side.SELL,
            size_hint=self.position.quantity * self.exit_price,
            reason=reason,
            strategy=strategy,
            as_of=self.as_of,
        )


class Strategy(Protocol):
    """Turns one symbol's ``StrategyInput`` into at most one signal."""

    @property
    def name(self) -> str:
        """Stable name, recorded on every signal."""
        ...

    @property
    def required_candles(self) -> int:
        """How many closed candles it needs before it can signal an entry."""
        ...

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """The signal for this instant, or ``None`` (hold)."""
        ...
