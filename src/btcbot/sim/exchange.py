"""SimExchange: one account's orders, balances and fills against the replayed market.

Every request first calls :meth:`SimExchange.advance`, which (1) fills resting limit orders
whose price the replayed price path crossed since the last request, as maker, at the order's
price, with at most ``participation`` x the replayed volume per side and interval; (2) triggers
the stop orders the path reached; then (3) finishes cancels accepted by an *earlier* request
once ``cancel_delay`` seconds have passed — BtcTurk's asynchronous cancel: DELETE answers 200
at once, the order turns Canceled a moment later and may still fill in between. What happens
to an order after acceptance lives in ``fills.py``.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

from btcbot.sim import fills
from btcbot.sim.book import DEPTH, Book, levels_within, synthetic_book, top_of_book
from btcbot.sim.feed import Bar, ReplayFeed, to_epoch
from btcbot.sim.matching import FeeSchedule
from btcbot.sim.model import (
    CANCELED,
    UNTOUCHED,
    Account,
    InsufficientFundsError,
    SimOrder,
    SimTrade,
    SimTransfer,
)
from btcbot.sim.pairs import PairSpec, normalize_symbol, spec_for
from btcbot.sim.validation import OrderParams, SimRejectError, check_band, check_stop_side

ORDER_ID_BASE = 25_327_923_517  # BtcTurk's order ids were ~2.5e10 in 2024: far above 2**31
TRADE_ID_BASE = 1_149_163_839_863_900_657  # and trade ids above 2**53


@dataclass(frozen=True, slots=True)
class SimConfig:
    """Knobs of one emulator run (all documented in docs/EMULATOR.md)."""

    fees: FeeSchedule = field(default_factory=FeeSchedule)
    start_balance: Decimal = Decimal(100_000)  # TRY credited to a fresh account
    cancel_delay: float = 0.0  # seconds (sim clock) before an accepted cancel takes effect
    participation: Decimal = Decimal("0.25")  # share of replayed volume resting orders may fill
    market_band: Decimal = Decimal("0.05")  # market orders walk the book this far from best
    history_minutes: int = 1440  # candles of the file that lie before the sim's start
    seed: int = 0  # varies order-id gaps and generated client ids


class SimExchange:
    """The matching engine, the account and the replay market of the emulator."""

    def __init__(
        self,
        feeds: Mapping[str, Sequence[Bar]],
        *,
        now: Callable[[], datetime],
        config: SimConfig | None = None,
        anchor: float | None = None,
    ) -> None:
        self.now = now
        self.config = config or SimConfig()
        self.anchor = to_epoch(now()) if anchor is None else anchor
        self.lock = threading.RLock()  # the HTTP server is threaded; requests run one at a time
        self.pairs: dict[str, PairSpec] = {}
        self.feeds: dict[str, ReplayFeed] = {}
        for n, (raw, bars) in enumerate(sorted(feeds.items())):
            symbol = normalize_symbol(raw)
            feed = ReplayFeed(bars, anchor=self.anchor, history_minutes=self.config.history_minutes)
            self.pairs[symbol] = spec_for(symbol, reference_price=feed.first_price, pair_id=100 + n)
            self.feeds[symbol] = feed
        self.account = Account()
        self.account.credit("TRY", self.config.start_balance)
        for spec in self.pairs.values():
            self.account.credit(spec.numerator, Decimal(0))
            self.account.credit(spec.denominator, Decimal(0))
        self.orders: dict[int, SimOrder] = {}
        self.open: dict[int, SimOrder] = {}
        self.trades: list[SimTrade] = []
        self.transfers: list[SimTransfer] = []
        self.last_order_id = ORDER_ID_BASE
        self.last_trade_id = TRADE_ID_BASE
        self.seq = 0
        self.processed_until = self.anchor
        self.saved_at = self.anchor  # the sim clock at the last save (persistence.py)
        self.dirty = False
        self.skew_seconds = 0.0  # set by the app from the fault plan's ``skew``
        self._books: dict[str, tuple[float, int, Book]] = {}  # symbol -> (instant, depth, book)
        # The clock's last instant and its Unix seconds: the same datetime object converts to
        # the same number, and a cycle asks for it several times.
        self._epoch_of: datetime | None = None
        self._epoch = 0.0

    # ------------------------------------------------------------------ time and market
    def epoch(self) -> float:
        """The exchange's clock as Unix seconds: the sim clock plus any injected skew.

        The skew moves the exchange's whole world - the replayed market, candle boundaries,
        every timestamp it reports - against the sim clock, which is the bot's (host) clock in
        tests: ``skew=-10`` is a host whose clock runs 10 s ahead of the exchange.
        """
        now = self.now()
        if now is not self._epoch_of:  # a replay asks several times an instant
            self._epoch_of, self._epoch = now, to_epoch(now)
        return self._epoch + self.skew_seconds

    def ms(self) -> int:
        """The exchange's clock now, in Unix ms."""
        return self.stamp(self.epoch())

    @staticmethod
    def stamp(epoch: float) -> int:
        """A timestamp the exchange reports for an event at exchange time ``epoch``, in ms."""
        return int(epoch * 1000)

    def price(self, symbol: str) -> Decimal:
        """The replayed price now, on the pair's price grid."""
        spec = self.pairs[symbol]
        raw = self.feeds[symbol].price_at(self.epoch())
        return raw.quantize(spec.price_quantum, rounding=ROUND_HALF_EVEN)

    def band(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The dynamic limit-price band: 0.1x and 10x the current price."""
        price = self.price(symbol)
        return price / 10, price * 10

    def book(self, symbol: str, depth: int = 100) -> Book:
        """The synthetic book now.

        A pure function of the market and the instant, and level ``k`` does not depend on the
        depth asked for; so the deepest book built at this instant serves shallower requests
        (a cycle asks for the book, then the ticker asks for its best bid and ask).
        """
        feed, t = self.feeds[symbol], self.epoch()
        cached = self._books.get(symbol)
        if cached is not None and cached[0] == t and cached[1] >= depth:
            full = cached[2]
            return full if cached[1] == depth else Book(full.bids[:depth], full.asks[:depth])
        index = feed.index_at(t)
        book = synthetic_book(
            self.pairs[symbol],
            price=feed.price_at(t),
            minute_volume=feed.bar(index).volume,
            index=index,
            depth=depth,
        )
        self._books[symbol] = (t, depth, book)
        return book

    def top(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The best bid and ask now: level 0 of ``book(symbol)``, without building the book."""
        t = self.epoch()
        cached = self._books.get(symbol)
        if cached is not None and cached[0] == t:
            return cached[2].best_bid, cached[2].best_ask
        return top_of_book(self.pairs[symbol], self.feeds[symbol].price_at(t))

    def book_within(self, symbol: str, limit: Decimal, *, buy: bool) -> Book:
        """The book as deep as an order limited to ``limit`` can take, and one level more.

        The levels past the limit cannot fill it, so building them (a hundred a side) was
        wasted on an order at the touch.
        """
        price = self.feeds[symbol].price_at(self.epoch())
        inside = levels_within(self.pairs[symbol], price, limit, bids=not buy)
        return self.book(symbol, depth=min(inside + 1, DEPTH))

    # ------------------------------------------------------------------ per-request step
    def advance(self) -> None:
        """Run the market up to now and finish due cancels; call once at the start of a request.

        Order of work: resting limit orders fill over the elapsed interval, then stops the
        path reached trigger, then cancels accepted by an earlier request take effect.
        """
        t = self.epoch()
        self.seq += 1
        if t > self.processed_until:
            if self.open:  # nothing rests: nothing can fill or trigger
                for symbol in self.pairs:
                    fills.match_resting(self, symbol, self.processed_until, t)
                    fills.trigger_stops(self, symbol, self.processed_until, t)
            self.processed_until = t
        if not self.open:  # most requests of a replay: nothing of ours on the book
            return
        for order in [o for o in self.open.values() if o.cancel_seq is not None]:
            due = order.cancel_seq is not None and order.cancel_seq < self.seq
            if due and t >= (order.cancel_at or 0):
                order.status = CANCELED
                fills.finish(self, order, self.stamp(t))

    # ------------------------------------------------------------------ orders
    def submit(self, params: OrderParams) -> SimOrder:
        """Accept checked ``params`` or raise SimRejectError (1124/1125, 1226/1227, 1123, 1122)."""
        spec, symbol = params.spec, params.spec.symbol
        buy = params.side == "buy"
        book = self.book(symbol, depth=1)  # the full book only when the order will take it
        if params.method in ("limit", "stoplimit"):
            low, high = self.band(symbol)
            check_band(params.price, low=low, high=high)
        if params.stop_price is not None:
            check_stop_side(
                params.stop_price, buy=buy, best_bid=book.best_bid, best_ask=book.best_ask
            )
        reference = params.price or params.stop_price
        if reference is not None:
            notional = reference * params.quantity
        else:
            notional = params.quantity if buy else params.quantity * book.best_bid
        if notional < spec.min_exchange_value:
            raise SimRejectError("FAILED_MIN_TOTAL_AMOUNT", 1123)
        if buy and params.method == "stopmarket":
            notional *= 1 + self.config.market_band  # the triggered market order may walk 5%
        asset = spec.denominator if buy else spec.numerator
        amount = self.config.fees.buy_lock(notional) if buy else params.quantity
        try:
            self.account.lock(asset, amount)
        except InsufficientFundsError as exc:
            raise SimRejectError("FAILED_ORDER_WITH_OPEN_ORDERS", 1122) from exc
        order = self.new_order(
            symbol=symbol,
            side=params.side,
            method=params.method,
            quantity=params.quantity,
            price=params.price,
            stop_price=params.stop_price,
            client_id=params.client_id,
            asset=asset,
            locked=amount,
        )
        if order.method == "market":
            fills.run_market(self, order, self.book(symbol))
        elif order.method == "limit" and fills.marketable(order, book):
            limit = order.price or Decimal(0)
            full = self.book_within(symbol, limit, buy=buy)
            fills.take(self, order, full.asks if buy else full.bids, limit=limit)
        return order

    def new_order(
        self,
        *,
        symbol: str,
        side: str,
        method: str,
        quantity: Decimal,
        price: Decimal | None,
        stop_price: Decimal | None,
        client_id: str | None,
        asset: str,
        locked: Decimal,
    ) -> SimOrder:
        """Record a new open order holding ``locked`` of ``asset`` (already locked)."""
        n = len(self.orders) + 1
        self.last_order_id += 1 + zlib.crc32(f"{self.config.seed}:o:{n}".encode()) % 97
        digest = hashlib.sha256(f"{self.config.seed}:client:{n}".encode()).digest()
        stamp = self.ms()
        order = SimOrder(
            id=self.last_order_id,
            client_id=client_id or str(uuid.UUID(bytes=digest[:16], version=4)),
            symbol=symbol,
            side=side,
            method=method,
            price=price,
            stop_price=stop_price,
            quantity=quantity,
            left=quantity,
            status=UNTOUCHED,
            created_ms=stamp,
            updated_ms=stamp,
            locked_asset=asset,
            locked=locked,
            in_quote=method == "market" and side == "buy" and stop_price is None,
        )
        self.orders[order.id] = order
        self.open[order.id] = order
        self.dirty = True
        return order

    def deposit(self, asset: str, amount: Decimal) -> SimTransfer:
        """Credit ``amount`` of ``asset`` from outside (a bank transfer, a coin deposit)."""
        with self.lock:
            self.account.credit(asset.upper(), amount)
            return self._transfer("deposit", asset, amount, Decimal(0))

    def withdraw(self, asset: str, amount: Decimal, fee: Decimal = Decimal(0)) -> SimTransfer:
        """Debit ``amount`` plus ``fee`` of free ``asset``; InsufficientFundsError when short."""
        with self.lock:
            key = asset.upper()
            if self.account.free.get(key, Decimal(0)) < amount + fee:
                raise InsufficientFundsError(key)
            self.account.free[key] -= amount + fee
            return self._transfer("withdrawal", asset, amount, fee)

    def _transfer(self, kind: str, asset: str, amount: Decimal, fee: Decimal) -> SimTransfer:
        transfer = SimTransfer(
            id=len(self.transfers) + 1,
            kind=kind,
            asset=asset.upper(),
            amount=amount,
            fee=fee,
            timestamp_ms=self.ms(),
        )
        self.transfers.append(transfer)
        self.dirty = True
        return transfer

    def next_trade_id(self) -> int:
        """A new trade id: increasing, far above 2**53, with seeded gaps."""
        n = len(self.trades) + 1
        self.last_trade_id += 1 + zlib.crc32(f"{self.config.seed}:t:{n}".encode()) % 89
        return self.last_trade_id

    def cancel(self, order_id: int) -> None:
        """Accept a cancel (it takes effect on a later request) or raise 1052."""
        order = self.open.get(order_id)
        if order is None or order.method == "market":
            raise SimRejectError("NO_ORDER_MATCHES_YOUR_REQUEST", 1052, full=False)
        if order.cancel_seq is None:
            order.cancel_seq = self.seq
            order.cancel_at = self.epoch() + self.config.cancel_delay
            self.dirty = True

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> None:
        """Write the whole exchange state to ``path`` atomically (see persistence.py)."""
        from btcbot.sim.persistence import save_state  # noqa: PLC0415 -- avoids an import cycle

        save_state(self, path)

    @classmethod
    def load(
        cls,
        path: Path,
        feeds: Mapping[str, Sequence[Bar]],
        *,
        now: Callable[[], datetime],
        config: SimConfig | None = None,
    ) -> SimExchange:
        """Rebuild an exchange saved by :meth:`save`, replaying the same market."""
        from btcbot.sim.persistence import load_state  # noqa: PLC0415 -- avoids an import cycle

        return load_state(cls, path, feeds, now=now, config=config)
