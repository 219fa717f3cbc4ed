"""A deterministic synthetic order book around the replayed price."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

from btcbot.sim.pairs import PairSpec

HALF_SPREAD = Decimal("0.0002")  # best bid/ask sit 2 bp either side of the replayed price
LEVEL_STEP = Decimal("0.0002")  # and each further level another 2 bp away
DEPTH = 100  # levels per side, BtcTurk's wire cap


@dataclass(frozen=True, slots=True)
class Level:
    """One price level: price and base quantity."""

    price: Decimal
    quantity: Decimal


@dataclass(frozen=True, slots=True)
class Book:
    """Bids best (highest) first, asks best (lowest) first."""

    bids: tuple[Level, ...]
    asks: tuple[Level, ...]

    @property
    def best_bid(self) -> Decimal:
        """Highest bid price."""
        return self.bids[0].price

    @property
    def best_ask(self) -> Decimal:
        """Lowest ask price."""
        return self.asks[0].price


def _to_tick(value: Decimal, tick: Decimal, rounding: str) -> Decimal:
    return (value / tick).quantize(Decimal(1), rounding=rounding) * tick


def _jitter(symbol: str, index: int, side: str, level: int) -> Decimal:
    """A repeatable factor in [0.5, 1.5) for one level of one minute's book."""
    h = zlib.crc32(f"{symbol}:{index}:{side}:{level}".encode())
    return Decimal(h % 10_000) / 10_000 + Decimal("0.5")


def synthetic_book(
    spec: PairSpec, *, price: Decimal, minute_volume: Decimal, index: int, depth: int = DEPTH
) -> Book:
    """The book at ``price``: ``depth`` levels a side; sizes follow the minute's volume."""
    tick = max(spec.tick_size, spec.price_quantum)
    step = max(tick, _to_tick(price * LEVEL_STEP, tick, ROUND_FLOOR))
    bid0 = _to_tick(price * (1 - HALF_SPREAD), tick, ROUND_FLOOR)
    ask0 = max(_to_tick(price * (1 + HALF_SPREAD), tick, ROUND_CEILING), bid0 + tick)
    unit = max(minute_volume, Decimal("0.01")) / 20
    quantum = Decimal(1).scaleb(-spec.numerator_scale)

    def side(start: Decimal, direction: int, name: str) -> tuple[Level, ...]:
        levels = []
        for k in range(depth):
            level_price = start + direction * k * step
            if level_price <= 0:
                break
            size = unit * (1 + Decimal(k) / 25) * _jitter(spec.symbol, index, name, k)
            levels.append(Level(level_price, size.quantize(quantum, rounding=ROUND_DOWN)))
        return tuple(levels)

    return Book(bids=side(bid0, -1, "bid"), asks=side(ask0, 1, "ask"))
