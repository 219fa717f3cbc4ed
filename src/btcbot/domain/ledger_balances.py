"""The ledger against the exchange's balances: seeding the opening books, and comparing them.

The exchange's balances are the truth about what the account holds; the ledger must agree with
them after every reconciliation (the crash tests check exactly that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from btcbot.domain.errors import MissingMarkError
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger_types import ZERO, Holding, Opening, Pair
from btcbot.domain.models import Balance, SymbolRules


def pair_of(rules: SymbolRules) -> Pair:
    """The ledger's view of a pair listed in ``exchangeinfo``."""
    return Pair(rules.symbol.replace("_", "").upper(), rules.base.upper(), rules.quote.upper())


def opening_from_balances(
    balances: Iterable[Balance],
    pairs: Iterable[Pair],
    marks: Mapping[str, Decimal],
    *,
    adopt_shortfalls: bool = True,
) -> Opening:
    """Books that start from what the account holds now.

    Each quote currency's total balance (free + locked) becomes cash; each base asset held is
    booked as a holding of the first pair (in ``pairs`` order) that has it as base, at
    ``quantity x mark`` so that it starts with no unrealized PnL.

    Raises:
        MissingMarkError: a base asset is held but its pair has no mark.
    """
    pairs = tuple(pairs)
    totals = {b.asset.upper(): b.total for b in balances}
    quotes = sorted({p.quote for p in pairs})
    cash = tuple((quote, totals.get(quote, ZERO)) for quote in quotes)
    holdings: list[Holding] = []
    booked: set[str] = set(quotes)
    for pair in pairs:
        quantity = totals.get(pair.base, ZERO)
        if pair.base in booked or quantity <= ZERO:
            continue
        mark = marks.get(pair.symbol)
        if mark is None:
            raise MissingMarkError(f"no mark price for {pair.symbol}; the account holds {quantity}")
        holdings.append(Holding(pair.symbol, quantity, quantity * mark))
        booked.add(pair.base)
    return Opening(pairs, cash, tuple(holdings), adopt_shortfalls=adopt_shortfalls)


@dataclass(frozen=True, slots=True)
class BalanceDifference:
    """An asset on which the ledger and the exchange disagree."""

    asset: str
    ledger: Decimal
    exchange: Decimal

    @property
    def difference(self) -> Decimal:
        """Ledger minus exchange."""
        return self.ledger - self.exchange


def balance_differences(
    ledger: Ledger, balances: Iterable[Balance], *, tolerance: Decimal = ZERO
) -> tuple[BalanceDifference, ...]:
    """Assets whose ledger amount differs from the exchange's total by more than ``tolerance``.

    Compared per asset: the cash the ledger holds in it (quote currencies) plus the quantity of
    every position that has it as base. Assets the ledger does not track are ignored.
    """
    totals = {b.asset.upper(): b.total for b in balances}
    held: dict[str, Decimal] = {quote: ledger.cash(quote) for quote in ledger.quotes()}
    for pair in ledger.pairs:
        held[pair.base] = held.get(pair.base, ZERO) + ledger.position(pair.symbol).quantity
    return tuple(
        BalanceDifference(asset, amount, totals.get(asset, ZERO))
        for asset, amount in sorted(held.items())
        if abs(amount - totals.get(asset, ZERO)) > tolerance
    )
