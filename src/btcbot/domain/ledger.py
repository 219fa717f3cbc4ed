"""The fill ledger: fills applied exactly once become positions, PnL, fees, tax and cash.

Money is in the pair's quote currency, per quote asset. Formulas, units, the day boundary and
the invariants are in docs/LEDGER.md; valuation at mark prices is in ``ledger_valuation``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, InvalidOperation, localcontext

from btcbot.domain.enums import Side
from btcbot.domain.errors import InvalidFillError, InventoryShortfallError, LedgerError
from btcbot.domain.ledger_types import (
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

# Sixty digits hold any realistic price x quantity exactly; trapping Inexact turns silent
# rounding (which would break cash conservation) into a typed error instead.
_EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[Inexact, InvalidOperation])
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
class _Effect:
    """Everything one fill changes, computed before anything is mutated."""

    position: Position
    cash_delta: Decimal
    capital_delta: Decimal
    realized: Decimal
    fee: Decimal
    tax: Decimal


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
        """Restore a ledger exactly as ``snapshot()`` captured it."""
        ledger = cls(snapshot.opening)
        ledger._capital = dict(snapshot.capital)
        ledger._cash = dict(snapshot.cash)
        ledger._positions = {p.symbol: p for p in snapshot.positions}
        ledger._days = {(d.day, d.quote): d for d in snapshot.days}
        ledger._applied = set(snapshot.applied_trade_ids)
        return ledger

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
        pair = self._validate(fill)
        try:
            with localcontext(_EXACT):
                effect = self._buy(pair, fill) if fill.side is Side.BUY else self._sell(pair, fill)
                cash = self.cash(pair.quote) + effect.cash_delta
                capital = self.capital(pair.quote) + effect.capital_delta
                key = (trading_day(fill.timestamp), pair.quote)
                day = self._days.get(key, DayTotals(key[0], pair.quote))
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

    def apply_fills(self, fills: Iterable[Fill]) -> int:
        """Apply each fill in order; return how many were new."""
        return sum(1 for fill in fills if self.apply_fill(fill))

    def _validate(self, fill: Fill) -> Pair:
        pair = self._pair(fill.symbol)
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
        return pair

    def _pair(self, symbol: str) -> Pair:
        pair = self._pairs.get(symbol.replace("_", "").upper())
        if pair is None:
            raise InvalidFillError(f"pair {symbol} is not registered with the ledger")
        return pair

    @staticmethod
    def _charges(pair: Pair, fill: Fill) -> _Charges:
        # Tax is VAT on the fee, so it is charged in the fee's asset.
        if fill.fee_asset.upper() == pair.base:
            return _Charges(fill.fee * fill.price, fill.tax * fill.price, fill.fee + fill.tax, ZERO)
        return _Charges(fill.fee, fill.tax, ZERO, fill.fee + fill.tax)

    def _buy(self, pair: Pair, fill: Fill) -> _Effect:
        charges = self._charges(pair, fill)
        received = fill.quantity - charges.base
        if received < ZERO:
            raise InvalidFillError(f"fill {fill.trade_id}: base fee exceeds the bought quantity")
        old = self.position(pair.symbol)
        position = replace(
            old,
            quantity=old.quantity + received,
            cost_basis=old.cost_basis + fill.price * received,
            fees=old.fees + charges.fee,
            tax=old.tax + charges.tax,
        )
        cash_delta = -(fill.price * fill.quantity) - charges.quote
        return _Effect(position, cash_delta, ZERO, ZERO, charges.fee, charges.tax)

    def _sell(self, pair: Pair, fill: Fill) -> _Effect:
        charges = self._charges(pair, fill)
        disposed = fill.quantity + charges.base
        old = self.position(pair.symbol)
        shortfall = disposed - old.quantity
        capital_delta = ZERO
        if shortfall > ZERO:
            if not self._opening.adopt_shortfalls:
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
        return _Effect(position, cash_delta, capital_delta, realized, charges.fee, charges.tax)

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
            with localcontext(_EXACT):
                books = self.capital(quote) + self.realized_pnl(quote)
                books -= self.fees(quote) + self.tax(quote)
                held = self.cash(quote) + self.cost_basis(quote)
            if books != held:
                raise LedgerError(f"cash not conserved in {quote}: {books} != {held}")


def _released_cost(position: Position, disposed: Decimal) -> Decimal:
    """Cost basis leaving the position when ``disposed`` base units are sold (average cost)."""
    if disposed == position.quantity:
        return position.cost_basis
    with localcontext() as ctx:
        ctx.traps[Inexact] = False
        share = position.cost_basis * disposed / position.quantity
        return share.quantize(_COST_QUANTUM)
