"""The ledger against the exchange's balances: seeding the opening books, and comparing them.

The exchange's balances are the truth about what the account holds; the ledger must agree with
them after every reconciliation (the crash tests check exactly that).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal

from btcbot.domain.errors import ConfigError, MissingMarkError
from btcbot.domain.ledger.core import Ledger
from btcbot.domain.ledger.types import ZERO, Holding, Opening, Pair
from btcbot.domain.models import Balance, SymbolRules


def pair_of(rules: SymbolRules) -> Pair:
    """The ledger's view of a pair listed in ``exchangeinfo``."""
    return Pair(rules.symbol.replace("_", "").upper(), rules.base.upper(), rules.quote.upper())


def opening_from_balances(
    balances: Iterable[Balance],
    pairs: Iterable[Pair],
    marks: Mapping[str, Decimal],
    *,
    handover: Mapping[str, Decimal] | None = None,
    adopt_shortfalls: bool = True,
) -> Opening:
    """Books that start from the account's cash, and only the holdings handed over.

    Each quote currency's total balance (free + locked) becomes cash: TRY is the bot's working
    capital. A base asset becomes a holding only for the amount in ``handover``
    (``HANDOVER_HOLDINGS``), booked in the first pair (in ``pairs`` order) with it as base at
    ``quantity x mark`` so that it starts with no unrealized PnL; the rest of what the account
    holds stays outside the books (``outside_at_seed``), and the bot never sells it.

    Raises:
        MissingMarkError: a handed-over asset's pair has no mark.
        ConfigError: more is handed over than the account holds, or an asset no configured
            pair trades.
    """
    pairs = tuple(pairs)
    wanted = {a.upper(): q for a, q in (handover or {}).items()}
    totals = {b.asset.upper(): b.total for b in balances}
    quotes = sorted({p.quote for p in pairs})
    cash = tuple((quote, totals.get(quote, ZERO)) for quote in quotes)
    holdings: list[Holding] = []
    for asset, quantity in sorted(wanted.items()):
        pair = next((p for p in pairs if p.base == asset), None)
        if pair is None or asset in quotes:
            raise ConfigError(
                f"HANDOVER_HOLDINGS names {asset}, which no pair of SYMBOLS trades as its base"
            )
        if quantity > totals.get(asset, ZERO):
            raise ConfigError(
                f"HANDOVER_HOLDINGS hands over {quantity} {asset} but the account holds "
                f"{totals.get(asset, ZERO)}: lower it"
            )
        mark = marks.get(pair.symbol)
        if mark is None:
            raise MissingMarkError(f"no mark price for {pair.symbol}; {quantity} is handed over")
        holdings.append(Holding(pair.symbol, quantity, quantity * mark))
    return Opening(pairs, cash, tuple(holdings), adopt_shortfalls=adopt_shortfalls)


def outside_at_seed(balances: Iterable[Balance], opening: Opening) -> dict[str, Decimal]:
    """What the account holds beyond the seeded books, per asset (never negative)."""
    ledger = Ledger(opening)
    books = ledger.amounts()
    out: dict[str, Decimal] = {}
    for b in balances:
        rest = b.total - books.get(b.asset.upper(), ZERO)
        if rest > ZERO:
            out[b.asset.upper()] = rest
    return out


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
    held = ledger.amounts()
    return tuple(
        BalanceDifference(asset, amount, totals.get(asset, ZERO))
        for asset, amount in sorted(held.items())
        if abs(amount - totals.get(asset, ZERO)) > tolerance
    )
