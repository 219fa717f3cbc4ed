"""A deterministic synthetic order book around the replayed price."""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal

from btcbot.sim.pairs import PairSpec

HALF_SPREAD = Decimal("0.0002")  # best bid/ask sit 2 bp either side of the replayed price
LEVEL_STEP = Decimal("0.0002")  # and each further level another 2 bp away
DEPTH = 100  # levels per side, BtcTurk's wire cap
_HALF = Decimal("0.5")
_ONE = Decimal(1)
_BELOW, _ABOVE = 1 - HALF_SPREAD, 1 + HALF_SPREAD  # exact: 0.9998 and 1.0002
_GROWTH = tuple(1 + Decimal(k) / 25 for k in range(DEPTH))  # exact: k / 25 never rounds


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
    return (value / tick).quantize(_ONE, rounding=rounding) * tick


def _jitter(prefix_crc: int, level: int) -> Decimal:
    """A repeatable factor in [0.5, 1.5) for one level of one minute's book.

    ``prefix_crc`` is the CRC-32 of ``symbol:index:side:``; the CRC continues over the level,
    so the factor is that of the whole ``symbol:index:side:level`` without formatting it anew.
    """
    h = zlib.crc32(str(level).encode(), prefix_crc)
    return Decimal(h % 10_000) / 10_000 + _HALF


def _tick(spec: PairSpec) -> Decimal:
    return max(spec.tick_size, spec.price_quantum)


def top_of_book(spec: PairSpec, price: Decimal) -> tuple[Decimal, Decimal]:
    """The best bid and ask of the book at ``price``: what level 0 of ``synthetic_book`` holds.

    A replay values its books at the mid every minute; this is that price without the sizes
    of a hundred levels it would not look at.
    """
    tick = _tick(spec)
    bid0 = _to_tick(price * _BELOW, tick, ROUND_FLOOR)
    ask0 = max(_to_tick(price * _ABOVE, tick, ROUND_CEILING), bid0 + tick)
    return bid0, ask0


def _step(price: Decimal, tick: Decimal) -> Decimal:
    return max(tick, _to_tick(price * LEVEL_STEP, tick, ROUND_FLOOR))


def levels_within(spec: PairSpec, price: Decimal, limit: Decimal, *, bids: bool) -> int:
    """How many levels of one side of the book at ``price`` lie at ``limit`` or better.

    At most ``DEPTH``; what an order limited to ``limit`` can take, so the emulator builds no
    more of the book than that.
    """
    step = _step(price, _tick(spec))
    bid0, ask0 = top_of_book(spec, price)
    room = bid0 - limit if bids else limit - ask0
    if room < 0:
        # Short of the best level: none. (``//`` truncates a Decimal toward zero, so a limit
        # just short of the top counted one level.)
        return 0
    return min(DEPTH, int(room // step) + 1)


def synthetic_book(
    spec: PairSpec, *, price: Decimal, minute_volume: Decimal, index: int, depth: int = DEPTH
) -> Book:
    """The book at ``price``: ``depth`` levels a side; sizes follow the minute's volume."""
    tick = _tick(spec)
    step = _step(price, tick)
    bid0, ask0 = top_of_book(spec, price)
    unit = max(minute_volume, Decimal("0.01")) / 20
    quantum = Decimal(1).scaleb(-spec.numerator_scale)

    def side(start: Decimal, direction: int, name: str) -> tuple[Level, ...]:
        levels = []
        prefix = zlib.crc32(f"{spec.symbol}:{index}:{name}:".encode())
        for k in range(depth):
            level_price = start + direction * k * step
            if level_price <= 0:
                break
            growth = _GROWTH[k] if k < DEPTH else 1 + Decimal(k) / 25
            size = unit * growth * _jitter(prefix, k)
            levels.append(Level(level_price, size.quantize(quantum, rounding=ROUND_DOWN)))
        return tuple(levels)

    return Book(bids=side(bid0, -1, "bid"), asks=side(ask0, 1, "ask"))
