"""The ledger's immutable records: pairs, the opening books, positions, day totals, snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

ZERO = Decimal(0)

# Turkey has kept UTC+3 all year since 2016; the IANA zone is still used so a future change to
# Turkish time law arrives with a tzdata update instead of a code change.
ISTANBUL = ZoneInfo("Europe/Istanbul")


def trading_day(at: datetime) -> date:
    """The local calendar day in Europe/Istanbul that the aware instant ``at`` falls on."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError("trading_day needs an aware datetime")
    return at.astimezone(ISTANBUL).date()


_INSTANT = timedelta(microseconds=1)


@lru_cache(maxsize=16)
def trading_day_span(day: date) -> tuple[datetime, datetime]:
    """The instants ``[start, end)`` that fall on trading ``day``, as aware UTC.

    For a caller asking every minute whether an instant is still on a day it knows: two
    comparisons, where ``trading_day`` converts the instant's zone each time. Each bound is
    checked against ``trading_day`` itself; should a zone rule ever put a bound elsewhere than
    at local midnight, the span is empty, so the caller asks ``trading_day`` every time.
    """
    start, end = (
        datetime(d.year, d.month, d.day, tzinfo=ISTANBUL).astimezone(UTC)
        for d in (day, day + timedelta(days=1))
    )
    exact = trading_day(start) == day and trading_day(end - _INSTANT) == day
    exact = exact and trading_day(start - _INSTANT) < day < trading_day(end)
    return (start, end) if exact else (start, start)


@dataclass(frozen=True, slots=True)
class Pair:
    """A traded pair: ``symbol`` as BtcTurk spells it without the underscore (``BTCTRY``)."""

    symbol: str
    base: str
    quote: str


@dataclass(frozen=True, slots=True)
class Holding:
    """Base quantity already held when the books open, with the quote amount it is booked at."""

    symbol: str
    quantity: Decimal
    cost_basis: Decimal


@dataclass(frozen=True, slots=True)
class Opening:
    """Where the books start; together with the applied fills it determines the whole ledger.

    ``cash`` is per asset (``(("TRY", Decimal("10000")),)``), ``holdings`` per symbol. With
    ``adopt_shortfalls`` a sell larger than the position adopts the missing base quantity at the
    fill price as external capital (see docs/LEDGER.md); without it such a sell is refused.
    """

    pairs: tuple[Pair, ...]
    cash: tuple[tuple[str, Decimal], ...] = ()
    holdings: tuple[Holding, ...] = ()
    adopt_shortfalls: bool = False


@dataclass(frozen=True, slots=True)
class Position:
    """What the ledger holds of one symbol; money fields are in the pair's quote currency.

    ``cost_basis`` is the quote amount the held quantity is booked at (fees excluded); the
    average cost is derived from it, so cash conservation stays exact. ``adopted_quantity``
    counts base units adopted from outside the bot (sells larger than the known position).
    """

    symbol: str
    quantity: Decimal = ZERO
    cost_basis: Decimal = ZERO
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    tax: Decimal = ZERO
    adopted_quantity: Decimal = ZERO

    @property
    def avg_cost(self) -> Decimal:
        """Average cost per base unit; zero when flat."""
        if self.quantity == ZERO:
            return ZERO
        return self.cost_basis / self.quantity

    @property
    def is_flat(self) -> bool:
        """True when nothing is held."""
        return self.quantity == ZERO

    def market_value(self, mark: Decimal) -> Decimal:
        """Quantity times ``mark``, in quote currency."""
        return self.quantity * mark

    def unrealized_pnl(self, mark: Decimal) -> Decimal:
        """Gain of the held quantity at ``mark`` over its cost basis."""
        return self.quantity * mark - self.cost_basis


@dataclass(frozen=True, slots=True)
class DayTotals:
    """Fill-driven totals of one Europe/Istanbul day in one quote currency."""

    day: date
    quote: str
    realized_pnl: Decimal = ZERO
    fees: Decimal = ZERO
    tax: Decimal = ZERO
    fills: int = 0

    @property
    def net(self) -> Decimal:
        """Realized PnL of the day after its fees and tax."""
        return self.realized_pnl - self.fees - self.tax


@dataclass(frozen=True, slots=True)
class LedgerSnapshot:
    """The complete ledger as plain values: equal ledgers give equal snapshots.

    Every collection is sorted (cash and capital by asset, positions by symbol, days by day
    then quote, trade ids ascending) so equality does not depend on insertion order.
    """

    opening: Opening
    capital: tuple[tuple[str, Decimal], ...]
    cash: tuple[tuple[str, Decimal], ...]
    positions: tuple[Position, ...]
    days: tuple[DayTotals, ...]
    applied_trade_ids: tuple[int, ...]
