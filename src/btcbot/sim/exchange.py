"""SimExchange: one account's orders, balances and fills against the replayed market.

Every request first calls :meth:`SimExchange.advance`, which (1) fills resting limit orders
whose price the replayed price path crossed since the last request, as maker, at the order's
price, with at most ``participation`` x the replayed volume per side and interval, and then
(2) finishes cancels accepted by an *earlier* request once ``cancel_delay`` seconds have
passed — BtcTurk's asynchronous cancel: DELETE answers 200 at once, the order turns Canceled
a moment later and may still fill in between.
"""

from __future__ import annotations

import hashlib
import threading
import uuid
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, Decimal
from pathlib import Path

from btcbot.sim.book import Book, Level, synthetic_book
from btcbot.sim.feed import Bar, ReplayFeed, to_epoch
from btcbot.sim.matching import FeeSchedule, walk
from btcbot.sim.model import (
    CANCELED,
    CLOSED,
    PARTIAL,
    UNTOUCHED,
    Account,
    InsufficientFundsError,
    SimOrder,
    SimTrade,
)
from btcbot.sim.pairs import PairSpec, normalize_symbol, spec_for
from btcbot.sim.validation import OrderParams, SimRejectError, check_band

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
        feeds: Mapping[str, list[Bar]],
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
        self.last_order_id = ORDER_ID_BASE
        self.last_trade_id = TRADE_ID_BASE
        self.seq = 0
        self.processed_until = self.anchor
        self.dirty = False

    # ------------------------------------------------------------------ time and market
    def epoch(self) -> float:
        """The sim clock as Unix seconds."""
        return to_epoch(self.now())

    def ms(self) -> int:
        """The sim clock as Unix milliseconds."""
        return int(self.epoch() * 1000)

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
        """The synthetic book now."""
        feed, t = self.feeds[symbol], self.epoch()
        index = feed.index_at(t)
        return synthetic_book(
            self.pairs[symbol],
            price=feed.price_at(t),
            minute_volume=feed.bar(index).volume,
            index=index,
            depth=depth,
        )

    # ------------------------------------------------------------------ per-request step
    def advance(self) -> None:
        """Run matching up to now and finish due cancels; call once at the start of a request."""
        t = self.epoch()
        self.seq += 1
        if t > self.processed_until:
            for symbol in self.pairs:
                self._match_resting(symbol, self.processed_until, t)
            self.processed_until = t
        for order in [o for o in self.open.values() if o.cancel_seq is not None]:
            due = order.cancel_seq is not None and order.cancel_seq < self.seq
            if due and t >= (order.cancel_at or 0):
                order.status = CANCELED
                self._finish(order, int(t * 1000))

    def _match_resting(self, symbol: str, start: float, end: float) -> None:
        resting = [o for o in self.open.values() if o.symbol == symbol and o.method == "limit"]
        if not resting:
            return
        feed, spec = self.feeds[symbol], self.pairs[symbol]
        low, high = feed.range_between(start, end)
        volume = feed.volume_between(start, end) * self.config.participation
        quantum = Decimal(1).scaleb(-spec.numerator_scale)
        stamp = int(end * 1000)
        buys = sorted(
            (o for o in resting if o.side == "buy"), key=lambda o: (-(o.price or 0), o.id)
        )
        sells = sorted((o for o in resting if o.side == "sell"), key=lambda o: (o.price or 0, o.id))
        for orders in (buys, sells):
            capacity = volume
            for order in orders:
                price = order.price or Decimal(0)
                if (order.side == "buy" and price < low) or (order.side == "sell" and price > high):
                    break
                qty = min(order.left, capacity).quantize(quantum, rounding=ROUND_DOWN)
                if qty <= 0:
                    break
                self._fill(order, price, qty, maker=True, stamp=stamp)
                capacity -= qty

    # ------------------------------------------------------------------ orders
    def submit(self, params: OrderParams) -> SimOrder:
        """Accept checked ``params`` or raise SimRejectError (1226/1227, 1123, 1122)."""
        spec, symbol = params.spec, params.spec.symbol
        if params.method == "limit":
            low, high = self.band(symbol)
            check_band(params.price, low=low, high=high)
        book = self.book(symbol)
        if params.price is not None:
            notional = params.price * params.quantity
        elif params.side == "buy":
            notional = params.quantity
        else:
            notional = params.quantity * book.best_bid
        if notional < spec.min_exchange_value:
            raise SimRejectError("FAILED_MIN_TOTAL_AMOUNT", 1123)
        buy = params.side == "buy"
        asset = spec.denominator if buy else spec.numerator
        amount = self.config.fees.buy_lock(notional) if buy else params.quantity
        try:
            self.account.lock(asset, amount)
        except InsufficientFundsError as exc:
            raise SimRejectError("FAILED_ORDER_WITH_OPEN_ORDERS", 1122) from exc
        order = self._new_order(params, asset, amount)
        if params.method == "market":
            self._run_market(order, book)
        elif buy and order.price is not None and order.price >= book.best_ask:
            self._take(order, book.asks, limit=order.price)
        elif not buy and order.price is not None and order.price <= book.best_bid:
            self._take(order, book.bids, limit=order.price)
        return order

    def _new_order(self, params: OrderParams, asset: str, locked: Decimal) -> SimOrder:
        n = len(self.orders) + 1
        self.last_order_id += 1 + zlib.crc32(f"{self.config.seed}:o:{n}".encode()) % 97
        digest = hashlib.sha256(f"{self.config.seed}:client:{n}".encode()).digest()
        client_id = params.client_id or str(uuid.UUID(bytes=digest[:16], version=4))
        stamp = self.ms()
        order = SimOrder(
            id=self.last_order_id,
            client_id=client_id,
            symbol=params.spec.symbol,
            side=params.side,
            method=params.method,
            price=params.price,
            stop_price=params.stop_price,
            quantity=params.quantity,
            left=params.quantity,
            status=UNTOUCHED,
            created_ms=stamp,
            updated_ms=stamp,
            locked_asset=asset,
            locked=locked,
        )
        self.orders[order.id] = order
        self.open[order.id] = order
        self.dirty = True
        return order

    def _take(self, order: SimOrder, levels: tuple[Level, ...], *, limit: Decimal) -> None:
        """A marketable limit order takes the book up to its price; the rest rests."""
        spec = self.pairs[order.symbol]
        quantum = Decimal(1).scaleb(-spec.numerator_scale)
        for price, qty in walk(
            levels,
            base=order.left,
            quote=None,
            limit=limit,
            is_buy=order.side == "buy",
            base_quantum=quantum,
        ):
            self._fill(order, price, qty, maker=False, stamp=self.ms())

    def _run_market(self, order: SimOrder, book: Book) -> None:
        spec = self.pairs[order.symbol]
        quantum = Decimal(1).scaleb(-spec.numerator_scale)
        band = self.config.market_band
        buy = order.side == "buy"
        pieces = walk(
            book.asks if buy else book.bids,
            base=None if buy else order.quantity,
            quote=order.quantity if buy else None,
            limit=book.best_ask * (1 + band) if buy else book.best_bid * (1 - band),
            is_buy=buy,
            base_quantum=quantum,
        )
        stamp = self.ms()
        for price, qty in pieces:
            self._fill(order, price, qty, maker=False, stamp=stamp)
        if order.is_open:
            # Quote dust too small to buy one base quantum counts as done; anything else was
            # beyond the 5% band and is dropped, as BtcTurk does with market remainders.
            dust = buy and order.left < book.best_ask * quantum
            order.status = CLOSED if dust else CANCELED
            if dust:
                order.left = Decimal(0)
            self._finish(order, stamp)

    def _fill(
        self, order: SimOrder, price: Decimal, qty: Decimal, *, maker: bool, stamp: int
    ) -> None:
        spec = self.pairs[order.symbol]
        notional = price * qty
        fee, tax = self.config.fees.charges(notional, maker=maker)
        if order.side == "buy":
            cost = notional + fee + tax
            self.account.spend_locked(spec.denominator, cost)
            order.locked -= cost
            self.account.credit(spec.numerator, qty)
            order.left -= notional if order.method == "market" else qty
        else:
            self.account.spend_locked(spec.numerator, qty)
            order.locked -= qty
            self.account.credit(spec.denominator, notional - fee - tax)
            order.left -= qty
        n = len(self.trades) + 1
        self.last_trade_id += 1 + zlib.crc32(f"{self.config.seed}:t:{n}".encode()) % 89
        self.trades.append(
            SimTrade(
                id=self.last_trade_id,
                order_id=order.id,
                client_id=order.client_id,
                symbol=order.symbol,
                numerator=spec.numerator,
                denominator=spec.denominator,
                side=order.side,
                price=price,
                amount=qty,
                fee=fee,
                tax=tax,
                timestamp_ms=stamp,
            )
        )
        order.status = CLOSED if order.left <= 0 else PARTIAL
        order.updated_ms = stamp
        if order.status == CLOSED:
            self._finish(order, stamp)
        self.dirty = True

    def _finish(self, order: SimOrder, stamp: int) -> None:
        """Leave the open set: give back whatever the order still holds locked."""
        if order.locked > 0:
            self.account.unlock(order.locked_asset, order.locked)
        order.locked = Decimal(0)
        order.updated_ms = stamp
        self.open.pop(order.id, None)
        self.dirty = True

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
        feeds: Mapping[str, list[Bar]],
        *,
        now: Callable[[], datetime],
        config: SimConfig | None = None,
    ) -> SimExchange:
        """Rebuild an exchange saved by :meth:`save`, replaying the same market."""
        from btcbot.sim.persistence import load_state  # noqa: PLC0415 -- avoids an import cycle

        return load_state(cls, path, feeds, now=now, config=config)
