"""The emulator's matching engine in process, seen the way the LIVE cycle sees BtcTurk.

``ReplayVenue`` answers what the LIVE process asks the exchange - exchange rules, ticker, order
book, candles, balances, open orders, new own trades - straight from a ``SimExchange``, with no
HTTP and no JSON, and sends orders and cancels to it. Like the emulator's HTTP app, every call
first runs the market up to now (``SimExchange.advance``): a replay makes the same calls in the
same order as a sim-mode LIVE cycle, so resting orders fill, stops trigger and cancels take
effect at the same moments, and both produce the same fills (the parity test proves it).

The domain objects are built from the emulator's values directly. Where the emulator's wire
rounds a value (prices to the pair's grid, volume to 8 decimals), the same rounding is applied
here, so the values equal what the client's mappers would parse from the JSON.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.fingerprint import plain
from btcbot.domain.models import (
    Balance,
    BookLevel,
    Candle,
    ExchangeInfo,
    Fill,
    Order,
    OrderBook,
    SymbolRules,
    Ticker,
)
from btcbot.domain.trading import ApprovedOrderIntent
from btcbot.sim import marketdata
from btcbot.sim.candles import Agg, aggregate
from btcbot.sim.exchange import SimExchange
from btcbot.sim.model import PARTIAL, SimOrder, SimTrade
from btcbot.sim.validation import SimRejectError, parse_order

_VOLUME = Decimal("0.00000001")
_MINUTE = 60
_ZERO = Decimal(0)
_MINUTES_KEPT = 512  # closed candles kept per symbol: many times a strategy window


def _at_ms(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def _dec(value: Decimal | float | None) -> Decimal | None:
    # The emulator's wire prints some values as JSON numbers; the client parses them back.
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True, slots=True)
class Submitted:
    """What became of one order sent to the replay venue."""

    order_id: int | None
    reject_code: str | None = None


class ReplayVenue:
    """The exchange calls of one LIVE cycle, answered by an in-process ``SimExchange``."""

    def __init__(self, sim: SimExchange) -> None:
        self.sim = sim
        self._trades_seen = 0
        self._minutes: dict[str, dict[int, Candle]] = {}  # symbol -> closed candles by index
        self._asked: frozenset[str] | None = None  # the pairs tickers() answers for; None: all

    def _call(self) -> None:
        self.sim.advance()

    # ------------------------------------------------------------------ public market data
    def exchange_info(self) -> ExchangeInfo:
        """Every pair's rules, as ``server/exchangeinfo`` lists them now (the band moves)."""
        self._call()
        rules = {}
        for spec in self.sim.pairs.values():
            info = marketdata.symbol_info(self.sim, spec)
            rules[spec.symbol] = SymbolRules(
                symbol=spec.symbol,
                base=spec.numerator,
                quote=spec.denominator,
                pair_id=spec.pair_id,
                status="TRADING",
                numerator_scale=spec.numerator_scale,
                denominator_scale=spec.denominator_scale,
                has_fraction=spec.has_fraction,
                tick_size=_dec(info["filters"][0]["tickSize"]),
                min_price=_dec(info["filters"][0]["minPrice"]),
                max_price=_dec(info["filters"][0]["maxPrice"]),
                min_notional=Decimal(info["filters"][0]["minExchangeValue"]),
                min_limit_price=_dec(info["minimumLimitOrderPrice"]),
                max_limit_price=_dec(info["maximumLimitOrderPrice"]),
                order_methods=frozenset(_methods(spec.order_methods)),
            )
        return ExchangeInfo(server_time=_at_ms(self.sim.ms()), symbols=rules)

    def tickers(self) -> list[Ticker]:
        """The 24-hour ticker of every pair with candles, in one call (as BtcTurk answers).

        Inside ``asking(symbols)``, only those pairs' tickers: the rest would go unread.
        """
        self._call()
        asked = self._asked
        return [self._ticker(s) for s in self.sim.feeds if asked is None or s in asked]

    @contextmanager
    def asking(self, symbols: Iterable[str]) -> Iterator[None]:
        """Answer ``tickers()`` with ``symbols``' alone while inside (minutes nothing can trade).

        A ticker is a pure function of the market and the instant, so leaving one out changes
        nothing the others say.
        """
        self._asked = frozenset(symbols)
        try:
            yield
        finally:
            self._asked = None

    def _ticker(self, symbol: str) -> Ticker:
        raw = marketdata.ticker(self.sim, self.sim.pairs[symbol])
        return Ticker(
            symbol=symbol,
            last=Decimal(str(raw["last"])),
            bid=Decimal(str(raw["bid"])),
            ask=Decimal(str(raw["ask"])),
            high=Decimal(str(raw["high"])),
            low=Decimal(str(raw["low"])),
            open=Decimal(str(raw["open"])),
            volume=Decimal(str(raw["volume"])),
            average=Decimal(str(raw["average"] or raw["last"])),
            timestamp=_at_ms(raw["timestamp"]),
        )

    def quote(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The best bid and ask as ``tickers()`` reports them now, without the day's figures.

        Asks nothing of the market's clock: a replay calls it after another call of the same
        instant has run the market up to now (``Replay``'s quiet minutes, with nothing open).
        """
        bid, ask = self.sim.top(symbol)
        return _num(bid), _num(ask)

    def order_book(self, symbol: str, limit: int = 100) -> OrderBook:
        """Up to ``limit`` levels a side, best first."""
        self._call()
        book = self.sim.book(symbol, depth=limit)
        return OrderBook(
            symbol=symbol,
            bids=tuple(BookLevel(lv.price, lv.quantity) for lv in book.bids),
            asks=tuple(BookLevel(lv.price, lv.quantity) for lv in book.asks),
            timestamp=_at_ms(self.sim.ms()),
        )

    def klines(
        self, symbol: str, resolution_minutes: int, start: datetime, end: datetime
    ) -> list[Candle]:
        """Candles whose open time lies in ``[start, end]`` (the graph API's seconds)."""
        self._call()
        feed, now = self.sim.feeds[symbol], self.sim.epoch()
        lo, hi = int(start.timestamp() * 1000) // 1000, int(end.timestamp() * 1000) // 1000
        if resolution_minutes != 1:
            rows = aggregate(feed, resolution_minutes * _MINUTE, lo, hi, now)
            return [self._candle(symbol, row) for row in rows]
        # Minutes: the same buckets as ``aggregate``'s, a closed one from the cache.
        out: list[Candle] = []
        for index in range(
            max(feed.index_at(lo - lo % _MINUTE), 0), feed.index_at(min(hi + _MINUTE, now)) + 1
        ):
            opened = feed.start_of(index)
            if now < opened:
                break
            if lo <= opened <= hi:
                closed = now >= opened + _MINUTE
                out.append(self.minute(symbol, index) if closed else self._forming(symbol, index))
        return out

    def minute(self, symbol: str, index: int) -> Candle:
        """Closed 1-minute candle ``index`` of the timeline, as ``klines`` has it.

        A closed candle never changes, and a cycle asks again for most of the window it asked
        for a minute earlier; converting each once was half a signal minute's candle cost.
        Asks nothing of the market's clock; the candle must have closed.
        """
        cache = self._minutes.setdefault(symbol, {})
        candle = cache.get(index)
        if candle is None:
            if len(cache) >= _MINUTES_KEPT:  # a replay moves forward: keep the newest half
                for old in sorted(cache)[: _MINUTES_KEPT // 2]:
                    del cache[old]
            feed = self.sim.feeds[symbol]
            bar = feed.bar(index)
            row = Agg(
                feed.start_of(index), bar.open, bar.high, bar.low, bar.close, bar.volume, _ZERO
            )
            candle = cache[index] = self._candle(symbol, row)
        return candle

    def _forming(self, symbol: str, index: int) -> Candle:
        opened = self.sim.feeds[symbol].start_of(index)
        row = aggregate(self.sim.feeds[symbol], _MINUTE, opened, opened, self.sim.epoch())[0]
        return self._candle(symbol, row)

    def _candle(self, symbol: str, row: Agg) -> Candle:
        quantum = self.sim.pairs[symbol].price_quantum
        return Candle(
            open_time=datetime.fromtimestamp(row.start, tz=UTC),
            open=_num(row.open.quantize(quantum)),
            high=_num(row.high.quantize(quantum)),
            low=_num(row.low.quantize(quantum)),
            close=_num(row.close.quantize(quantum)),
            volume=_num(row.volume.quantize(_VOLUME)),
        )

    def close(self, symbol: str, open_time: datetime) -> Decimal:
        """The close of the closed 1-minute candle opened at ``open_time``, as ``klines`` has it.

        Like ``quote``, asks nothing of the market's clock; the candle must have closed.
        """
        feed = self.sim.feeds[symbol]
        bar = feed.bar(feed.index_at(open_time.timestamp()))
        return _num(bar.close.quantize(self.sim.pairs[symbol].price_quantum))

    # ------------------------------------------------------------------ the account
    def balances(self) -> list[Balance]:
        """Every asset of the account."""
        self._call()
        acct = self.sim.account
        out = []
        for asset in acct.assets():
            free, locked = acct.free.get(asset, Decimal(0)), acct.locked.get(asset, Decimal(0))
            out.append(Balance(asset=asset, total=free + locked, free=free, locked=locked))
        return out

    def new_fills(self) -> list[Fill]:
        """Own trades since the last call, oldest first (reconciliation's new fills)."""
        self._call()
        trades = self.sim.trades
        if len(trades) == self._trades_seen:  # most minutes: nothing new
            return []
        fresh = trades[self._trades_seen :]
        self._trades_seen = len(trades)
        return [as_fill(t) for t in fresh]

    def open_orders(self) -> dict[int, SimOrder]:
        """The account's open orders by exchange id."""
        self._call()
        return dict(self.sim.open)

    # ------------------------------------------------------------------ orders
    def submit(self, approved: ApprovedOrderIntent, client_order_id: str) -> Submitted:
        """POST one order; a refusal comes back with BtcTurk's code, as the LIVE client's."""
        self._call()
        intent = approved.intent
        body: dict[str, object] = {
            "quantity": plain(intent.quantity),
            "newOrderClientId": client_order_id,
            "orderMethod": intent.method.value,
            "orderType": intent.side.value,
            "pairSymbol": intent.symbol,
        }
        if intent.price is not None and intent.method is not OrderMethod.MARKET:
            body["price"] = plain(intent.price)
        try:
            order = self.sim.submit(parse_order(body, self.sim.pairs))
        except SimRejectError as exc:
            return Submitted(order_id=None, reject_code=str(exc.code))
        return Submitted(order_id=order.id)

    def cancel(self, order_id: int) -> bool:
        """DELETE one order; False when the exchange no longer has it open."""
        self._call()
        try:
            self.sim.cancel(order_id)
        except SimRejectError:
            return False
        return True


def _methods(names: tuple[str, ...]) -> list[OrderMethod]:
    """``MARKET``/``STOP_LIMIT`` as the enum; a name we do not know is one we never send."""
    known = {m.value: m for m in OrderMethod}
    return [known[k] for n in names if (k := n.lower().replace("_", "")) in known]


def _num(value: Decimal) -> Decimal:
    """A value as the client reads a JSON number the emulator printed (``sim.wire.num``)."""
    if str(value).isdigit():  # a whole number printed as one (a TRY price): read back as is
        return value
    return Decimal(int(value)) if value == value.to_integral_value() else Decimal(str(float(value)))


def as_fill(trade: SimTrade) -> Fill:
    """One own trade as the ledger books it (positive quantities, the quote as fee asset)."""
    return Fill(
        trade_id=trade.id,
        order_id=trade.order_id,
        client_order_id=trade.client_id,
        symbol=trade.symbol,
        side=Side(trade.side),
        price=trade.price,
        quantity=trade.amount,
        fee=trade.fee,
        tax=trade.tax,
        fee_asset=trade.denominator,
        timestamp=_at_ms(trade.timestamp_ms),
    )


def as_open_order(order: SimOrder, created_at: datetime) -> Order:
    """A live order of ours as risk and strategy see open orders (the book's own record)."""
    partially = order.status == PARTIAL or order.left < order.quantity
    return Order(
        order_id=order.id,
        client_order_id=order.client_id,
        symbol=order.symbol,
        side=Side(order.side),
        method=OrderMethod(order.method),
        price=order.price,
        stop_price=None,
        quantity=order.quantity,
        left_quantity=max(order.left, Decimal(0)),
        status=OrderStatus.PARTIALLY_FILLED if partially else OrderStatus.OPEN,
        created_at=created_at,
        updated_at=_at_ms(order.updated_ms),
    )
