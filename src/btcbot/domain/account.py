"""The account beyond the bot's books: transfers, foreign orders and trades, and the comparison.

The exchange's balances are the truth. The bot's ledger holds only what the bot owns: the TRY
cash (its working capital) and the base assets its own fills bought, plus holdings the operator
handed over (``HANDOVER_HOLDINGS``). Everything else the account holds is **outside** the books:
coins that were there before the bot, deposits of base assets, what the operator bought by hand.
So, per asset, at every reconciliation::

    exchange balance = ledger amount + outside amount

Every change to the account that is not one of the bot's fills is a ``Movement`` with a signed
``delta`` (the change to the account's balance of ``asset``) and a ``target``:

* ``books`` - a capital flow of TRY into or out of the bot's cash: a TRY deposit or withdrawal,
  the TRY leg of a manual trade. Booked to the ledger's cash *and* capital, so it is never PnL;
* ``outside`` - a change to what the account holds outside the books: a base-asset deposit or
  withdrawal, the base leg of a manual trade, the account's holdings when the books were seeded.

A difference that no movement explains is **unexplained**: after it is seen on two consecutive
cycles (a fill landing between the trade and balance reads explains itself by the next one) it
halts trading with a typed reason (docs/LEDGER.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from btcbot.domain.enums import Side
from btcbot.domain.models import Fill

ZERO = Decimal(0)
QUOTE = "TRY"
OUR_PREFIXES = ("bb-", "adopted-")
"""Client-id prefixes of the bot's own orders (``btcbot.execution.client_ids``) and adoptions."""


class MovementKind(StrEnum):
    """Where a movement came from."""

    SEED = "seed"  # what the account held outside the books when they were first opened
    DEPOSIT = "deposit"
    WITHDRAWAL = "withdrawal"
    MANUAL_TRADE = "manual_trade"  # a trade of an order the bot did not place
    ACCEPTED = "accepted"  # an unexplained difference the operator accepted with 'btcbot arm'


class Target(StrEnum):
    """Which side of ``balance = ledger + outside`` a movement changes."""

    BOOKS = "books"
    OUTSIDE = "outside"


@dataclass(frozen=True, slots=True)
class Movement:
    """One change to the account that is not a bot fill; ``delta`` is signed."""

    movement_id: str
    kind: MovementKind
    asset: str
    delta: Decimal
    at: datetime
    target: Target
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Transfer:
    """A deposit or withdrawal from ``users/transactions/crypto`` or ``/fiat``.

    ``amount`` and ``fee`` are positive; ``delta`` is what it did to the balance. API.md marks
    the sign conventions of these rows uncertain, so the mapper takes absolute values and the
    kind from ``balanceType``; a wrong reading shows up as an unexplained difference, which
    halts trading - the conservative failure.
    """

    transfer_id: str
    kind: MovementKind
    asset: str
    amount: Decimal
    fee: Decimal
    at: datetime

    @property
    def delta(self) -> Decimal:
        """The change to the account's balance of ``asset``."""
        if self.kind is MovementKind.DEPOSIT:
            return self.amount - self.fee
        return -(self.amount + self.fee)


QUOTES = ("USDT", "USDC", "TRY", "EUR", "BTC", "ETH")
"""BtcTurk's quote currencies (API.md, exchangeinfo ``denominator``), longest match first."""


def split_symbol(symbol: str) -> tuple[str, str] | None:
    """``BTCTRY`` -> ``("BTC", "TRY")``; ``None`` when no known quote ends the symbol."""
    key = symbol.replace("_", "").upper()
    for quote in QUOTES:
        if key.endswith(quote) and len(key) > len(quote):
            return key[: -len(quote)], quote
    return None


def is_ours(client_order_id: str | None) -> bool:
    """Whether an order with this client id was placed (or adopted) by the bot."""
    return client_order_id is not None and client_order_id.startswith(OUR_PREFIXES)


def target_of(asset: str) -> Target:
    """TRY moves the bot's cash; any other asset moves what the account holds outside."""
    return Target.BOOKS if asset.upper() == QUOTE else Target.OUTSIDE


def transfer_movement(transfer: Transfer) -> Movement:
    """A transfer as a movement."""
    return Movement(
        movement_id=f"transfer-{transfer.transfer_id}",
        kind=transfer.kind,
        asset=transfer.asset.upper(),
        delta=transfer.delta,
        at=transfer.at,
        target=target_of(transfer.asset),
        detail=f"{transfer.kind.value} {transfer.amount} {transfer.asset} fee {transfer.fee}",
    )


def manual_trade_movements(trade: Fill, base: str, quote: str) -> tuple[Movement, Movement]:
    """A trade of a foreign order: its base leg outside, its quote leg a capital flow."""
    sign = 1 if trade.side is Side.BUY else -1
    base_delta = sign * trade.quantity
    quote_delta = -sign * trade.notional
    charges = trade.fee + trade.tax
    if trade.fee_asset.upper() == base:
        base_delta -= charges
    else:
        quote_delta -= charges
    detail = f"{trade.side.value} {trade.quantity} {trade.symbol} at {trade.price} (order "
    detail += f"{trade.order_id}, client id {trade.client_order_id!r})"
    return (
        Movement(
            f"trade-{trade.trade_id}-{base}",
            MovementKind.MANUAL_TRADE,
            base,
            base_delta,
            trade.timestamp,
            target_of(base),
            detail,
        ),
        Movement(
            f"trade-{trade.trade_id}-{quote}",
            MovementKind.MANUAL_TRADE,
            quote,
            quote_delta,
            trade.timestamp,
            target_of(quote),
            detail,
        ),
    )


@dataclass(frozen=True, slots=True)
class AssetDifference:
    """One asset on which ``balance = ledger + outside`` does not hold."""

    asset: str
    exchange: Decimal
    ledger: Decimal
    outside: Decimal

    @property
    def unexplained(self) -> Decimal:
        """Exchange minus what the books and the outside movements explain."""
        return self.exchange - self.ledger - self.outside

    def describe(self) -> str:
        """``BTC: exchange 0.5 = books 0.3 + outside 0.1 + unexplained 0.1``."""
        return (
            f"{self.asset}: exchange {self.exchange} = books {self.ledger} + outside "
            f"{self.outside} + unexplained {self.unexplained}"
        )


TOLERANCE = {QUOTE: Decimal("0.01")}
"""Per-asset tolerance of the comparison: a kuruş of TRY, one satoshi-sized unit otherwise.

Both sides add the exchange's own numbers (every trade's amount, fee and tax as reported), so
they agree exactly; the tolerance only absorbs the exchange rounding a balance for display.
"""
DEFAULT_TOLERANCE = Decimal("0.00000001")


def differences(
    exchange: Mapping[str, Decimal],
    ledger: Mapping[str, Decimal],
    outside: Mapping[str, Decimal],
) -> tuple[AssetDifference, ...]:
    """Every asset of any side whose unexplained amount exceeds its tolerance."""
    assets = sorted(set(exchange) | set(ledger) | {a for a, v in outside.items() if v})
    rows = (
        AssetDifference(a, exchange.get(a, ZERO), ledger.get(a, ZERO), outside.get(a, ZERO))
        for a in assets
    )
    return tuple(
        row for row in rows if abs(row.unexplained) > TOLERANCE.get(row.asset, DEFAULT_TOLERANCE)
    )


def outside_totals(movements: Iterable[Movement]) -> dict[str, Decimal]:
    """What the account holds outside the books, per asset, from its outside movements."""
    totals: dict[str, Decimal] = {}
    for m in movements:
        if m.target is Target.OUTSIDE:
            totals[m.asset] = totals.get(m.asset, ZERO) + m.delta
    return totals
