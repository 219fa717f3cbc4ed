"""Paper trading: the emulator's account and matching engine against BtcTurk's *real* market.

``PaperExchange`` is a ``SimExchange`` whose market is not a candle replay but what btcbot saw
through BtcTurk's public endpoints (``observe`` is handed every public response body):

- pair rules (scales, tick size, minimum notional) from ``/api/v2/server/exchangeinfo``;
- the last price from ``/api/v2/ticker`` and the whole book from ``/api/v2/orderbook``: a
  market order, or a marketable limit order, walks that real book as taker;
- closed one-minute candles from the graph API's ``klines/history``: a resting limit order
  fills, as maker at its own price, only on a candle that *opened after the order was placed*
  and traded *through* its price (low below a buy, high above a sell; a touch is not enough,
  since the queue ahead of us is unknown), at most ``participation`` x that candle's volume.

Stop orders are refused (1037): the bot sends none, and the real trade path a stop needs is not
observed. Every time is the local clock; every money amount is Decimal.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from btcbot.sim import fills
from btcbot.sim.book import Book, Level
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.feed import MINUTE, Bar
from btcbot.sim.model import CANCELED, Account, SimOrder, SimTrade
from btcbot.sim.pairs import PairSpec, normalize_symbol
from btcbot.sim.validation import OrderParams, SimRejectError

FORMAT = "btcbot-paper-1"


@dataclass
class ObservedMarket:
    """One pair as last seen: price, book, and the closed candles not yet matched against."""

    last: Decimal | None = None
    book: Book | None = None
    matched_until: int = 0  # open time (s) of the newest candle already matched
    pending: list[tuple[int, Bar]] = field(default_factory=list)


class PaperExchange(SimExchange):
    """A ``SimExchange`` fed by observed real market data instead of a candle file."""

    def __init__(
        self,
        *,
        now: Callable[[], datetime],
        balance_try: Decimal,
        config: SimConfig | None = None,
    ) -> None:
        super().__init__({}, now=now, config=config or SimConfig(start_balance=balance_try))
        self.markets: dict[str, ObservedMarket] = {}

    # ------------------------------------------------------------------ observing the market
    def observe(self, path: str, query: Mapping[str, str], body: bytes) -> None:
        """Take in one successful public response; anything unreadable is ignored."""
        try:
            payload = json.loads(body.decode("utf-8"), parse_float=Decimal, parse_int=Decimal)
        except (UnicodeDecodeError, ValueError):
            return
        route = path.lower().rstrip("/")
        with self.lock:
            try:
                if route.endswith("/server/exchangeinfo"):
                    self._take_rules(payload)
                elif route.endswith("/ticker"):
                    self._take_tickers(payload)
                elif route.endswith("/orderbook"):
                    self._take_book(normalize_symbol(query.get("pairSymbol", "")), payload)
                elif route.endswith("/klines/history"):
                    self._take_candles(normalize_symbol(query.get("symbol", "")), payload)
            except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation):
                return  # the client's own mappers report a malformed body; nothing to learn

    def _take_rules(self, payload: Any) -> None:
        for raw in payload["data"]["symbols"]:
            spec = _spec_of(raw)
            if spec.symbol not in self.pairs:
                self.pairs[spec.symbol] = spec
                self.account.credit(spec.numerator, Decimal(0))
                self.account.credit(spec.denominator, Decimal(0))
            self.markets.setdefault(spec.symbol, ObservedMarket())

    def _take_tickers(self, payload: Any) -> None:
        for row in payload["data"]:
            market = self.markets.get(normalize_symbol(str(row["pair"])))
            if market is not None and row.get("last") is not None:
                market.last = Decimal(str(row["last"]))

    def _take_book(self, symbol: str, payload: Any) -> None:
        market = self.markets.get(symbol)
        data = payload["data"]
        bids = tuple(Level(Decimal(str(p)), Decimal(str(a))) for p, a in data["bids"])
        asks = tuple(Level(Decimal(str(p)), Decimal(str(a))) for p, a in data["asks"])
        if market is not None and bids and asks:
            market.book = Book(bids=bids, asks=asks)

    def _take_candles(self, symbol: str, payload: Any) -> None:
        market = self.markets.get(symbol)
        # As the client reads the graph API: only an "ok" answer carries candles.
        if market is None or payload.get("s") != "ok" or not payload.get("t"):
            return
        closed_before = self.epoch()
        newest = max([market.matched_until, *(t for t, _ in market.pending)])
        rows = zip(*(payload[k] for k in ("t", "o", "h", "l", "c", "v")), strict=True)
        taken: dict[int, Bar] = {}
        for t, o, h, lo, c, v in rows:
            start = int(t)
            # A candle still forming, already taken in, or listed twice teaches nothing new
            # (a minute's volume offered twice would fill resting orders twice over).
            if start <= newest or start + MINUTE > closed_before or start in taken:
                continue
            taken[start] = Bar(*(Decimal(str(x)) for x in (o, h, lo, c, v)))
        # Kept only once every row has been read: the client refuses a body with a bad row
        # (or columns of unequal length, which zip reports at the end), so must paper.
        market.pending.extend(taken.items())

    # ------------------------------------------------------------------ the market, as seen
    def _market(self, symbol: str) -> ObservedMarket:
        market = self.markets.get(symbol)
        if market is None or (market.last is None and market.book is None):
            # Nothing observed yet: refuse rather than invent a price.
            raise SimRejectError("NO_MARKET_DATA_OBSERVED_YET", 1037)
        return market

    def price(self, symbol: str) -> Decimal:
        """The last traded price seen (the book's mid when no ticker was seen)."""
        market = self._market(symbol)
        if market.last is not None:
            return market.last
        book = market.book
        assert book is not None  # noqa: S101 -- _market guarantees a price or a book
        return (book.best_bid + book.best_ask) / 2

    def book(self, symbol: str, depth: int = 100) -> Book:
        """The real book as last seen (a one-level book at the last price if none was)."""
        market = self._market(symbol)
        if market.book is None:
            level = (Level(self.price(symbol), Decimal(0)),)
            return Book(bids=level, asks=level)
        return Book(bids=market.book.bids[:depth], asks=market.book.asks[:depth])

    def top(self, symbol: str) -> tuple[Decimal, Decimal]:
        """The best bid and ask of the book as last seen."""
        book = self.book(symbol, depth=1)
        return book.best_bid, book.best_ask

    def book_within(self, symbol: str, limit: Decimal, *, buy: bool) -> Book:
        """The whole book as last seen: its levels are the real ones, not a formula."""
        del limit, buy  # every level seen may be taken up to the limit, as on BtcTurk
        return self.book(symbol)

    def submit(self, params: OrderParams) -> SimOrder:
        """As the emulator, except that stop orders are refused (see the module docstring)."""
        if params.stop_price is not None or params.method.startswith("stop"):
            raise SimRejectError("STOP_ORDERS_NOT_SUPPORTED_IN_PAPER_MODE", 1037)
        return super().submit(params)

    def advance(self) -> None:
        """Match resting orders against the candles seen since the last request; due cancels."""
        self.seq += 1
        stamp = self.ms()
        for symbol, market in self.markets.items():
            for start, bar in sorted(market.pending, key=lambda item: item[0]):
                self._match_candle(symbol, start, bar, stamp)
                market.matched_until = max(market.matched_until, start)
            if market.pending:
                market.pending.clear()
                self.dirty = True
        t = self.epoch()
        for order in [o for o in self.open.values() if o.cancel_seq is not None]:
            due = order.cancel_seq is not None and order.cancel_seq < self.seq
            if due and t >= (order.cancel_at or 0):
                order.status = CANCELED
                fills.finish(self, order, stamp)
        self.processed_until = t

    def _match_candle(self, symbol: str, start: int, bar: Bar, stamp: int) -> None:
        resting = [
            o
            for o in self.open.values()
            if o.symbol == symbol and o.method == "limit" and o.created_ms <= start * 1000
        ]
        quantum = Decimal(1).scaleb(-self.pairs[symbol].numerator_scale)
        for side in ("buy", "sell"):
            capacity = bar.volume * self.config.participation
            orders = sorted(
                (o for o in resting if o.side == side),
                key=lambda o: (-(o.price or 0) if side == "buy" else (o.price or 0), o.id),
            )
            for order in orders:
                price = order.price or Decimal(0)
                through = bar.low < price if side == "buy" else bar.high > price
                qty = min(order.left, capacity).quantize(quantum, rounding=ROUND_DOWN)
                if not through or qty <= 0:
                    break
                fills.fill(self, order, price, qty, maker=True, stamp=stamp)
                capacity -= qty

    # ------------------------------------------------------------------ persistence
    def save(self, path: Path) -> None:
        """Write the paper book to ``path`` atomically (temp file, fsync, rename)."""
        from btcbot.sim.persistence import write_atomically  # noqa: PLC0415 -- import cycle

        state = {
            "format": FORMAT,
            "seq": self.seq,
            "last_order_id": self.last_order_id,
            "last_trade_id": self.last_trade_id,
            "pairs": [_spec_dict(s) for s in self.pairs.values()],
            "matched_until": {k: m.matched_until for k, m in self.markets.items()},
            "account": self.account.to_dict(),
            "orders": [o.to_dict() for o in self.orders.values()],
            "trades": [t.to_dict() for t in self.trades],
        }
        write_atomically(path, json.dumps(state, separators=(",", ":")))
        self.dirty = False

    @classmethod
    def restore(
        cls, path: Path, *, now: Callable[[], datetime], balance_try: Decimal
    ) -> PaperExchange:
        """The paper book saved at ``path``; ValueError names what is wrong with the file."""
        try:
            raw = json.loads(path.read_bytes().decode("utf-8"))
            if not isinstance(raw, dict) or raw.get("format") != FORMAT:
                raw = {}  # every field below is then missing: one KeyError, one message
            paper = cls(now=now, balance_try=balance_try)
            paper.seq = int(raw["seq"])
            paper.last_order_id = int(raw["last_order_id"])
            paper.last_trade_id = int(raw["last_trade_id"])
            for item in raw["pairs"]:
                spec = PairSpec(**{**item, **_spec_decimals(item)})
                paper.pairs[spec.symbol] = spec
            for symbol, until in dict(raw["matched_until"]).items():
                paper.markets[str(symbol)] = ObservedMarket(matched_until=int(until))
            paper.account = Account.from_dict(raw["account"])
            paper.orders = {o.id: o for o in (SimOrder.from_dict(d) for d in raw["orders"])}
            paper.open = {k: o for k, o in paper.orders.items() if o.is_open}
            paper.trades = [SimTrade.from_dict(d) for d in raw["trades"]]
        except (
            OSError,
            ValueError,
            KeyError,
            TypeError,
            AttributeError,
            InvalidOperation,
        ) as exc:
            raise ValueError(f"{path} is damaged or not a paper state file ({exc})") from None
        paper.dirty = False
        return paper


def _spec_of(raw: Mapping[str, Any]) -> PairSpec:
    """A pair's rules from one ``exchangeinfo`` symbol object (a JSON null means absent)."""
    price_filter: Mapping[str, Any] = next(
        (f for f in raw.get("filters") or () if f.get("filterType") == "PRICE_FILTER"), {}
    )
    return PairSpec(
        symbol=normalize_symbol(str(raw["name"])),
        pair_id=int(raw.get("id") or 0),
        numerator=str(raw["numerator"]),
        denominator=str(raw["denominator"]),
        numerator_scale=int(raw["numeratorScale"]),
        denominator_scale=int(raw["denominatorScale"]),
        has_fraction=bool(raw.get("hasFraction")),
        tick_size=Decimal(str(price_filter.get("tickSize") or "0")),
        min_exchange_value=Decimal(str(price_filter.get("minExchangeValue") or "0")),
    )


def _spec_dict(spec: PairSpec) -> dict[str, Any]:
    out = asdict(spec)
    out["tick_size"] = str(spec.tick_size)
    out["min_exchange_value"] = str(spec.min_exchange_value)
    out["order_methods"] = list(spec.order_methods)
    return out


def _spec_decimals(item: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "tick_size": Decimal(str(item["tick_size"])),
        "min_exchange_value": Decimal(str(item["min_exchange_value"])),
        "order_methods": tuple(item["order_methods"]),
    }
