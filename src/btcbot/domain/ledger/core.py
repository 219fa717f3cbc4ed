"""The fill ledger: fills applied exactly once become positions, PnL, fees, tax and cash.

Money is in the pair's quote currency, per quote asset. Formulas, units, the day boundary and
the invariants are in docs/LEDGER.md; valuation at mark prices is in ``ledger_valuation``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date
from decimal import Decimal, Inexact, localcontext

from btcbot.domain.errors import InvalidFillError, LedgerError
from btcbot.domain.ledger.fills import EXACT, fill_effect
from btcbot.domain.ledger.types import (
    ZERO,
    DayTotals,
    LedgerSnapshot,
    Opening,
    Pair,
    Position,
    trading_day,
)
from btcbot.domain.models import Fill

__all__ = ["Ledger"]


class Ledger:
    """Positions at average cost and cash per quote asset, built only from applied fills.

    State is explicit and small: a ledger equals ``Ledger.replay(opening, fills)`` of the fills
    it applied, in the order it applied them. ``snapshot()``/``from_snapshot()`` persist it.
    """

    def __init__(self, opening: Opening) -> None:
        self._opening = opening
        self._pairs = {pair.symbol: pair for pair in opening.pairs}
        self._cash: dict[str, Decimal] = {}
        self._capital: dict[str, Decimal] = {}
        for asset, amount in opening.cash:
            self._cash[asset] = self._cash.get(asset, ZERO) + amount
            self._capital[asset] = self._capital.get(asset, ZERO) + amount
        self._positions: dict[str, Position] = {}
        for holding in opening.holdings:
            pair = self._pair(holding.symbol)
            if holding.quantity < ZERO or holding.cost_basis < ZERO:
                raise LedgerError(f"opening holding of {holding.symbol} must not be negative")
            self._positions[pair.symbol] = Position(
                pair.symbol, quantity=holding.quantity, cost_basis=holding.cost_basis
            )
            self._capital[pair.quote] = self._capital.get(pair.quote, ZERO) + holding.cost_basis
        self._days: dict[tuple[date, str], DayTotals] = {}
        self._applied: set[int] = set()

    # ------------------------------------------------------------------ building
    @classmethod
    def replay(cls, opening: Opening, fills: Iterable[Fill]) -> Ledger:
        """Rebuild a ledger by applying ``fills`` in order to fresh books."""
        ledger = cls(opening)
        ledger.apply_fills(fills)
        return ledger

    @classmethod
    def from_snapshot(cls, snapshot: LedgerSnapshot) -> Ledger:
        """Restore a ledger exactly as ``snapshot()`` captured it.

        Raises:
            LedgerError: the snapshot holds a position in a pair its opening does not register.
        """
        ledger = cls(snapshot.opening)
        unknown = sorted({p.symbol for p in snapshot.positions} - set(ledger._pairs))
        if unknown:
            raise LedgerError(f"snapshot holds positions in unregistered pairs: {unknown}")
        ledger._capital = dict(snapshot.capital)
        ledger._cash = dict(snapshot.cash)
        ledger._positions = {p.symbol: p for p in snapshot.positions}
        ledger._days = {(d.day, d.quote): d for d in snapshot.days}
        ledger._applied = set(snapshot.applied_trade_ids)
        return ledger

    def copy(self) -> Ledger:
        """An independent ledger with the same state (records are immutable, so this is cheap)."""
        twin = Ledger(self._opening)
        twin._capital, twin._cash = dict(self._capital), dict(self._cash)
        twin._positions, twin._days = dict(self._positions), dict(self._days)
        twin._applied = set(self._applied)
        return twin

    def snapshot(self) -> LedgerSnapshot:
        """The whole state as sorted plain values (equal ledgers give equal snapshots)."""
        return LedgerSnapshot(
            opening=self._opening,
            capital=tuple(sorted(self._capital.items())),
            cash=tuple(sorted(self._cash.items())),
            positions=tuple(self._positions[s] for s in sorted(self._positions)),
            days=tuple(self._days[k] for k in sorted(self._days)),
            applied_trade_ids=tuple(sorted(self._applied)),
        )

    # ------------------------------------------------------------------ applying
    def apply_fill(self, fill: Fill) -> bool:
        """Account for ``fill`` once; False (and no change) when its trade id was applied before.

        Raises:
            InvalidFillError: the fill breaks the Fill contract or names an unknown pair.
            InventoryShortfallError: a sell exceeds the position and shortfalls are not adopted.
        """
        if fill.trade_id in self._applied:
            return False
        pair = self._pair(fill.symbol)
        effect = fill_effect(
            self.position(pair.symbol), pair, fill, adopt_shortfalls=self._opening.adopt_shortfalls
        )
        key = (trading_day(fill.timestamp), pair.quote)
        day = self._days.get(key, DayTotals(key[0], pair.quote))
        try:
            with localcontext(EXACT):
                cash = self.cash(pair.quote) + effect.cash_delta
                capital = self.capital(pair.quote) + effect.capital_delta
                day = replace(
                    day,
                    realized_pnl=day.realized_pnl + effect.realized,
                    fees=day.fees + effect.fee,
                    tax=day.tax + effect.tax,
                    fills=day.fills + 1,
                )
        except Inexact as exc:
            raise InvalidFillError(
                f"fill {fill.trade_id} has more digits than the ledger holds exactly"
            ) from exc
        # Nothing was mutated above, so a refused fill leaves the books untouched.
        self._positions[pair.symbol] = effect.position
        self._cash[pair.quote] = cash
        if effect.capital_delta:
            self._capital[pair.quote] = capital
        self._days[key] = day
        self._applied.add(fill.trade_id)
        return True

    def apply_flow(self, asset: str, delta: Decimal) -> None:
        """Capital entering (``delta > 0``) or leaving the books as cash: never PnL.

        A TRY deposit or withdrawal, or the TRY leg of a trade the operator made by hand
        (``btcbot.domain.account``). Cash and capital move together, so gains, drawdown and the
        daily PnL do not see it; the books may not be left with negative cash.

        Raises:
            LedgerError: ``asset`` is not a cash asset of the books, or the flow would leave
                its cash negative.
        """
        if asset not in self.quotes():
            raise LedgerError(f"{asset} is not a cash asset of the books ({self.quotes()})")
        with localcontext(EXACT):
            cash = self.cash(asset) + delta
            capital = self.capital(asset) + delta
        if cash < ZERO:
            raise LedgerError(f"a flow of {delta} {asset} would leave the books' cash negative")
        self._cash[asset] = cash
        self._capital[asset] = capital

    def amounts(self) -> dict[str, Decimal]:
        """What the books hold per asset: the cash of each quote and every position's base."""
        held = {quote: self.cash(quote) for quote in self.quotes()}
        for pair in self.pairs:
            held[pair.base] = held.get(pair.base, ZERO) + self.position(pair.symbol).quantity
        return held

    def apply_fills(self, fills: Iterable[Fill]) -> int:
        """Apply each fill in order; return how many were new."""
        return sum(1 for fill in fills if self.apply_fill(fill))

    def _pair(self, symbol: str) -> Pair:
        pair = self._pairs.get(symbol.replace("_", "").upper())
        if pair is None:
            raise InvalidFillError(f"pair {symbol} is not registered with the ledger")
        return pair

    # ------------------------------------------------------------------ reading
    @property
    def opening(self) -> Opening:
        """The books this ledger started from."""
        return self._opening

    @property
    def pairs(self) -> tuple[Pair, ...]:
        """The registered pairs."""
        return self._opening.pairs

    def pair(self, symbol: str) -> Pair:
        """The registered pair of ``symbol`` (``BTCTRY`` or ``BTC_TRY``)."""
        return self._pair(symbol)

    def has_applied(self, trade_id: int) -> bool:
        """True when the fill with ``trade_id`` is already in the books."""
        return trade_id in self._applied

    def position(self, symbol: str) -> Position:
        """The position in ``symbol``; a flat one when nothing was ever traded."""
        key = symbol.replace("_", "").upper()
        return self._positions.get(key) or Position(key)

    def positions(self, quote: str | None = None) -> tuple[Position, ...]:
        """Every position ever opened (flat ones too), optionally only those quoted in ``quote``."""
        return tuple(
            self._positions[s]
            for s in sorted(self._positions)
            if quote is None or self._pairs[s].quote == quote
        )

    def quotes(self) -> tuple[str, ...]:
        """The quote currencies of the registered pairs."""
        return tuple(sorted({pair.quote for pair in self._opening.pairs}))

    def cash(self, asset: str) -> Decimal:
        """Cash held in ``asset`` according to the books."""
        return self._cash.get(asset, ZERO)

    def capital(self, quote: str) -> Decimal:
        """Opening cash + opening holdings at cost + adopted inventory, in ``quote``."""
        return self._capital.get(quote, ZERO)

    def cost_basis(self, quote: str) -> Decimal:
        """Cost basis of everything held in pairs quoted in ``quote``."""
        return sum((p.cost_basis for p in self.positions(quote)), ZERO)

    def realized_pnl(self, quote: str) -> Decimal:
        """Realized PnL of pairs quoted in ``quote``, before fees and tax."""
        return sum((p.realized_pnl for p in self.positions(quote)), ZERO)

    def fees(self, quote: str) -> Decimal:
        """Fees paid in pairs quoted in ``quote``, converted to ``quote``."""
        return sum((p.fees for p in self.positions(quote)), ZERO)

    def tax(self, quote: str) -> Decimal:
        """Tax paid in pairs quoted in ``quote``, converted to ``quote``."""
        return sum((p.tax for p in self.positions(quote)), ZERO)

    def day_totals(self, day: date, quote: str) -> DayTotals:
        """Realized PnL, fees and tax of fills on Europe/Istanbul ``day`` in ``quote``."""
        return self._days.get((day, quote), DayTotals(day, quote))

    def check_invariants(self) -> None:
        """Raise LedgerError unless inventory is non-negative and cash is conserved per quote."""
        for position in self._positions.values():
            if position.quantity < ZERO or position.cost_basis < ZERO:
                raise LedgerError(f"negative inventory in {position.symbol}")
            if position.quantity == ZERO and position.cost_basis != ZERO:
                raise LedgerError(f"flat {position.symbol} still carries cost basis")
        for quote in self.quotes():
            with localcontext(EXACT):
                books = self.capital(quote) + self.realized_pnl(quote)
                books -= self.fees(quote) + self.tax(quote)
                held = self.cash(quote) + self.cost_basis(quote)
            if books != held:
                raise LedgerError(f"cash not conserved in {quote}: {books} != {held}")
