"""Exchange-facing domain models: market data, balances, orders and fills.

Every price, amount and fee is a ``Decimal``; every time is an aware UTC ``datetime``; order ids
are ints (BtcTurk's exceed 2**31) and trade ids are ints (they can exceed 2**53). Wire DTOs are
converted to these exactly once, in ``btcbot.exchange.mappers``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from btcbot.domain.enums import OrderMethod, OrderStatus, Side


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """What BtcTurk accepts for one pair, from ``/api/v2/server/exchangeinfo``.

    ``min_notional`` is ``minExchangeValue``: price x quantity for limit orders, the quote amount
    for market buys. ``min_limit_price``/``max_limit_price`` are the dynamic price band
    (``minimumLimitOrderPrice``/``maximumLimitOrderPrice``), ``None`` when the venue omits them.
    """

    symbol: str
    base: str
    quote: str
    pair_id: int
    status: str
    numerator_scale: int
    denominator_scale: int
    has_fraction: bool
    tick_size: Decimal | None
    min_price: Decimal | None
    max_price: Decimal | None
    min_notional: Decimal
    min_limit_price: Decimal | None
    max_limit_price: Decimal | None
    order_methods: frozenset[OrderMethod]

    @property
    def is_trading(self) -> bool:
        """True when the pair accepts orders (``TRADING`` is the only value ever observed)."""
        return self.status.upper() == "TRADING"


@dataclass(frozen=True, slots=True)
class Ticker:
    """The 24-hour ticker of one pair."""

    symbol: str
    last: Decimal
    bid: Decimal
    ask: Decimal
    high: Decimal
    low: Decimal
    open: Decimal
    volume: Decimal
    average: Decimal
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class BookLevel:
    """One price level of an order book."""

    price: Decimal
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class OrderBook:
    """Bids best (highest) first, asks best (lowest) first."""

    symbol: str
    bids: tuple[BookLevel, ...]
    asks: tuple[BookLevel, ...]
    timestamp: datetime

    @property
    def best_bid(self) -> BookLevel | None:
        """The highest bid, if any."""
        return self.bids[0] if self.bids else None

    @property
    def best_ask(self) -> BookLevel | None:
        """The lowest ask, if any."""
        return self.asks[0] if self.asks else None


@dataclass(frozen=True, slots=True)
class PublicTrade:
    """A trade printed on the public tape."""

    symbol: str
    trade_id: str
    price: Decimal
    quantity: Decimal
    side: Side
    timestamp: datetime


# Every price and volume of a candle btcbot keeps or replays lies below this. The emulator
# prices, sizes and sums candles in Decimal's 28 digits at the pairs' scales (8 decimals of
# volume over a day of minutes, a price over its tick): past about 10^17 they overflow that
# precision, and no pair trades within many orders of magnitude of the bound.
MAX_CANDLE_VALUE = Decimal(10) ** 15


@dataclass(frozen=True, slots=True)
class Candle:
    """One OHLCV candle; ``open_time`` is the start of its interval."""

    open_time: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal


@dataclass(frozen=True, slots=True)
class Balance:
    """One asset of the account: ``total = free + locked``."""

    asset: str
    total: Decimal
    free: Decimal
    locked: Decimal


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """An order as we want it sent, already quantized.

    For a MARKET BUY ``quantity`` is the amount of **quote** currency to spend (BtcTurk's rule);
    for every other order it is the base quantity. ``price`` is ``None`` for market orders.
    """

    symbol: str
    side: Side
    method: OrderMethod
    quantity: Decimal
    price: Decimal | None
    client_order_id: str
    stop_price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class OrderAck:
    """What ``POST /api/v1/order`` answered: the exchange accepted the order."""

    order_id: int
    client_order_id: str | None
    symbol: str
    side: Side
    method: OrderMethod
    price: Decimal | None
    quantity: Decimal
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Order:
    """An order as the exchange reports it (open orders, all orders, single order)."""

    order_id: int
    client_order_id: str | None
    symbol: str
    side: Side
    method: OrderMethod
    price: Decimal | None
    stop_price: Decimal | None
    quantity: Decimal
    left_quantity: Decimal
    status: OrderStatus
    created_at: datetime | None
    updated_at: datetime | None

    @property
    def filled_quantity(self) -> Decimal:
        """Base quantity already traded: quantity - leftAmount (never negative)."""
        return max(self.quantity - self.left_quantity, Decimal(0))

    def problem(self) -> str | None:
        """Why this order row cannot be trusted (``None`` when it can).

        The exchange never reports an order of quantity 0, a price or stop price of 0, or more
        left than was ordered: such a row is bad data, and syncing it would move the bot's
        order states (and unblock a symbol) on a lie.
        """
        if not (self.quantity.is_finite() and self.quantity > 0):
            return f"quantity {self.quantity} is not positive"
        if not self.left_quantity.is_finite() or not 0 <= self.left_quantity <= self.quantity:
            return f"left {self.left_quantity} is not between 0 and the quantity {self.quantity}"
        for name, value in (("price", self.price), ("stop price", self.stop_price)):
            if value is not None and not (value.is_finite() and value > 0):
                return f"{name} {value} is not positive"
        return None


@dataclass(frozen=True, slots=True)
class Fill:
    """One of our own trades (``users/transactions/trade``).

    ``quantity``, ``fee`` and ``tax`` are always positive here; BtcTurk sends sells' amount and
    every fee and tax as negative numbers, and the mapper normalises them with ``side`` explicit.
    """

    trade_id: int
    order_id: int
    client_order_id: str | None
    symbol: str
    side: Side
    price: Decimal
    quantity: Decimal
    fee: Decimal
    tax: Decimal
    fee_asset: str
    timestamp: datetime

    @property
    def notional(self) -> Decimal:
        """Quote value of the fill before fees."""
        return self.price * self.quantity

    def problem(self) -> str | None:
        """Why this trade row cannot be booked (``None`` when it can).

        The exchange never reports a trade at price 0, of quantity 0, or with fee and tax over
        ``MAX_CHARGES_PCT`` of its notional (BtcTurk charges well under 1 %): such a row is bad
        data, and booking it would poison the ledger for good.
        """
        if not (self.price.is_finite() and self.price > 0):
            return f"price {self.price} is not positive"
        if not (self.quantity.is_finite() and self.quantity > 0):
            return f"quantity {self.quantity} is not positive"
        charges = self.fee + self.tax
        if not charges.is_finite() or charges < 0:
            return f"fee + tax {charges} is not a non-negative amount"
        if charges > self.notional * MAX_CHARGES_PCT / 100:
            return f"fee + tax {charges} exceed {MAX_CHARGES_PCT} % of the notional {self.notional}"
        return None


MAX_CHARGES_PCT = Decimal(5)


@dataclass(frozen=True, slots=True)
class ExchangeInfo:
    """The rules of every pair the exchange lists, keyed by upper-case symbol."""

    server_time: datetime
    symbols: dict[str, SymbolRules] = field(default_factory=dict)

    def rules_for(self, symbol: str) -> SymbolRules | None:
        """Rules of ``symbol`` (case-insensitive, ``BTC_TRY`` or ``BTCTRY``), if listed."""
        return self.symbols.get(symbol.replace("_", "").upper())
