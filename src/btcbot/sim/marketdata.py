"""Public market JSON built from the replay feed: exchangeinfo, ticker, order book, trades."""

from __future__ import annotations

import zlib
from collections import deque
from decimal import ROUND_DOWN, Decimal
from typing import Any
from weakref import WeakKeyDictionary

from btcbot.sim.exchange import SimExchange
from btcbot.sim.feed import MINUTE, ReplayFeed
from btcbot.sim.pairs import PairSpec
from btcbot.sim.wire import num, text

DAY_MINUTES = 1440
TAPE_BASE = 637_489_129_008_759_423  # public trade ids are large decimal strings on BtcTurk


def symbol_info(sim: SimExchange, spec: PairSpec) -> dict[str, Any]:
    """One exchangeinfo ``symbols[]`` entry, keys and types as in the captured sample."""
    low, high = sim.band(spec.symbol)
    return {
        "id": spec.pair_id,
        "name": spec.symbol,
        "nameNormalized": spec.normalized,
        "status": "TRADING",
        "numerator": spec.numerator,
        "denominator": spec.denominator,
        "numeratorScale": spec.numerator_scale,
        "denominatorScale": spec.denominator_scale,
        "hasFraction": spec.has_fraction,
        "filters": [
            {
                "filterType": "PRICE_FILTER",
                "minPrice": "0.0000000000001",
                "maxPrice": "10000000",
                "tickSize": text(spec.tick_size),
                "minExchangeValue": text(spec.min_exchange_value),
                "minAmount": None,
                "maxAmount": None,
            }
        ],
        "orderMethods": list(spec.order_methods),
        "displayFormat": spec.display_format,
        "commissionFromNumerator": False,
        "order": spec.order,
        "priceRounding": False,
        "isNew": False,
        "marketPriceWarningThresholdPercentage": 0.25,
        "maximumOrderAmount": None,
        "maximumLimitOrderPrice": num(high),
        "minimumLimitOrderPrice": num(low),
    }


def exchange_info(sim: SimExchange) -> dict[str, Any]:
    """``data`` of server/exchangeinfo (currencies are a partial shape; see docs)."""
    assets = sorted({a for s in sim.pairs.values() for a in (s.numerator, s.denominator)})
    return {
        "timeZone": "UTC",
        "serverTime": sim.ms(),
        "symbols": [symbol_info(sim, spec) for spec in sim.pairs.values()],
        "currencies": [
            {
                "id": n,
                "symbol": asset,
                "minWithdrawal": 0,
                "minDeposit": 0,
                "precision": 2 if asset == "TRY" else 8,
                "currencyType": "FIAT" if asset == "TRY" else "CRYPTO",
            }
            for n, asset in enumerate(assets, start=1)
        ],
        "currencyOperationBlocks": [
            {"currencySymbol": a, "depositDisabled": False, "withdrawalDisabled": False}
            for a in assets
        ],
    }


class _RollingDay:
    """The 1439 complete candles before an index, kept up to date one minute at a time.

    A ticker is asked for every cycle; re-summing a day of candles each time was three
    quarters of a replay's cost. Moving forward by a few minutes adds and drops that many: sums are
    exact in Decimal (a day of volumes is far inside 28 digits), and the high and low come from
    monotonic queues, so every figure equals the full recomputation's.
    """

    def __init__(self, feed: ReplayFeed) -> None:
        self._feed = feed
        self._index: int | None = None
        self._volume = Decimal(0)
        self._turnover = Decimal(0)
        self._highs: deque[tuple[int, Decimal]] = deque()
        self._lows: deque[tuple[int, Decimal]] = deque()

    def _add(self, k: int) -> None:
        bar = self._feed.bar(k)
        self._volume += bar.volume
        self._turnover += bar.volume * bar.close
        while self._highs and self._highs[-1][1] <= bar.high:
            self._highs.pop()
        self._highs.append((k, bar.high))
        while self._lows and self._lows[-1][1] >= bar.low:
            self._lows.pop()
        self._lows.append((k, bar.low))

    def _drop(self, k: int) -> None:
        bar = self._feed.bar(k)
        self._volume -= bar.volume
        self._turnover -= bar.volume * bar.close
        while self._highs and self._highs[0][0] <= k:
            self._highs.popleft()
        while self._lows and self._lows[0][0] <= k:
            self._lows.popleft()

    def at(self, index: int) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
        """open, high, low, volume and volume*close of candles ``index - 1439 .. index - 1``."""
        if self._index is not None and 0 < index - self._index < DAY_MINUTES:
            for step in range(self._index + 1, index + 1):  # one minute at a time
                self._add(step - 1)
                self._drop(step - DAY_MINUTES)
        elif index != self._index:
            self._volume = self._turnover = Decimal(0)
            self._highs.clear()
            self._lows.clear()
            for k in range(index - DAY_MINUTES + 1, index):
                self._add(k)
        self._index = index
        opened = self._feed.bar(index - DAY_MINUTES + 1).open
        return opened, self._highs[0][1], self._lows[0][1], self._volume, self._turnover


_DAYS: WeakKeyDictionary[ReplayFeed, _RollingDay] = WeakKeyDictionary()


def _day_before(feed: ReplayFeed, index: int) -> tuple[Decimal, Decimal, Decimal, Decimal, Decimal]:
    """open, high, low, volume and volume*close of the 1439 complete candles before ``index``."""
    day = _DAYS.get(feed)
    if day is None:
        day = _DAYS[feed] = _RollingDay(feed)
    return day.at(index)


def ticker(sim: SimExchange, spec: PairSpec) -> dict[str, Any]:
    """One ticker item: rolling 24 h over the replayed candles; numbers, as captured."""
    feed, now = sim.feeds[spec.symbol], sim.epoch()
    index = feed.index_at(now)
    opened, high, low, volume, turnover = _day_before(feed, index)
    current = feed.candle_so_far(index, now)
    assert current is not None  # noqa: S101 -- the candle covering now has started by definition
    last = sim.price(spec.symbol)
    high, low = max(high, current.high), min(low, current.low)
    volume += current.volume
    turnover += current.volume * current.close
    quantum = spec.price_quantum
    bid, ask = sim.top(spec.symbol)
    daily = last - opened.quantize(quantum)
    return {
        "pair": spec.symbol,
        "pairNormalized": spec.normalized,
        "timestamp": sim.ms(),
        "last": num(last),
        "high": num(high.quantize(quantum)),
        "low": num(low.quantize(quantum)),
        "bid": num(bid),
        "ask": num(ask),
        "open": num(opened.quantize(quantum)),
        "volume": num(volume.quantize(Decimal("0.00000001"), rounding=ROUND_DOWN)),
        "average": num((turnover / volume).quantize(quantum) if volume else last),
        "daily": num(daily),
        "dailyPercent": num((daily / opened * 100).quantize(Decimal("0.01"))),
        "denominatorSymbol": spec.denominator,
        "numeratorSymbol": spec.numerator,
        "order": spec.order,
    }


def order_book(sim: SimExchange, spec: PairSpec, limit: int) -> dict[str, Any]:
    """``data`` of /api/v2/orderbook: string pairs, bids descending, asks ascending."""
    book = sim.book(spec.symbol, depth=limit)
    return {
        "timestamp": float(sim.ms()),  # BtcTurk sometimes sends this as a float
        "bids": [[text(lv.price), text(lv.quantity)] for lv in book.bids],
        "asks": [[text(lv.price), text(lv.quantity)] for lv in book.asks],
    }


def public_trades(sim: SimExchange, spec: PairSpec, last: int) -> list[dict[str, Any]]:
    """The public tape: three prints per replayed minute (at 10, 30, 50 s), newest first."""
    feed, now = sim.feeds[spec.symbol], sim.epoch()
    quantum = Decimal(1).scaleb(-spec.numerator_scale)
    out: list[dict[str, Any]] = []
    index = feed.index_at(now)
    while len(out) < last and index > feed.index_at(now) - DAY_MINUTES:
        bar = feed.bar(index)
        for j in (2, 1, 0):
            at = feed.start_of(index) + 10 + 20 * j
            if at > now or len(out) >= last:
                continue
            price = feed.price_at(at).quantize(spec.price_quantum)
            jitter = Decimal(zlib.crc32(f"{spec.symbol}:{index}:{j}".encode()) % 1000 + 1) / 1000
            amount = (bar.volume / 3 * jitter).quantize(quantum, rounding=ROUND_DOWN)
            out.append(
                {
                    "pair": spec.symbol,
                    "pairNormalized": spec.normalized,
                    "numerator": spec.numerator,
                    "denominator": spec.denominator,
                    "date": sim.stamp(at),
                    "tid": str(TAPE_BASE + index * 3 + j),
                    "price": text(price),
                    "amount": text(max(amount, quantum)),
                    "side": "buy" if price >= feed.price_at(at - MINUTE / 6) else "sell",
                }
            )
        index -= 1
    return out
