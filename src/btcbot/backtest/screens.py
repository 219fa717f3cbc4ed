"""Which minutes of a replay cannot produce a signal, for the built-in strategies.

A replay skips the decision of a quiet minute (``btcbot.backtest.engine``) only when, for
every symbol, every enabled strategy's screen says it *cannot* signal. A screen answers for one
strategy on one symbol from the closes the strategy would see and the position it would see,
and errs toward "may":

- sums are kept exactly, in integers (each close times the power of ten that makes every close
  seen so far whole), and every comparison is widened by a relative margin far larger than the
  strategy's own 28-digit rounding can move it (a window too flat for that to hold is left to
  the strategy), so "cannot" is never wrong;
- "may" only costs a full cycle, which then decides as the LIVE cycle does.

A strategy without a screen - any user strategy, or a subclass of a built-in one, whose
``evaluate`` may do anything - has every minute decided in full.
"""

from __future__ import annotations

import decimal
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from btcbot.strategy.mean_reversion import MeanReversion
from btcbot.strategy.params import MeanReversionParams, TrendParams
from btcbot.strategy.protocols import Strategy
from btcbot.strategy.trend import TrendFollower

_WIDE = decimal.Context(prec=60)
_SLACK = Decimal("1e-12")  # relative margin of every comparison; the strategies round at 1e-28
_PER_SLACK = int(1 / _SLACK)  # the margin in integers: x > y * 1e-12  <=>  x * 10**12 > y
_ONE = Decimal(1)
_HUNDRED = Decimal(100)
# Nearly flat: w Q - S^2 below S^2 / this (1e-16 of it). The deviation is then under 1e-8 of
# the mean (a quantized price window is far above it unless nearly flat), and the strategy's
# 28-digit z, which rounds by about 1e-28 x mean / deviation, could outgrow the margin.
_PER_NEARLY_FLAT = 10**16


@dataclass(frozen=True, slots=True)
class Holding:
    """What a strategy would see of the account in one symbol this minute."""

    quantity: Decimal  # zero when flat
    avg_cost: Decimal
    bid: Decimal  # the exit price: the ticker's best bid
    min_notional: Decimal  # the pair's minimum order value (dust is below it)

    @property
    def clearly_holds(self) -> bool:
        """A position that is certainly not dust (``StrategyInput.holds`` is then True)."""
        worth = _WIDE.multiply(self.quantity, self.bid)
        return worth >= _WIDE.multiply(self.min_notional, _ONE + _SLACK)


class Screen(Protocol):
    """One strategy on one symbol: can it signal on the newest closes and this holding?"""

    def push(self, close: Decimal) -> None:
        """One more closed candle's close (oldest first, every candle the strategy sees)."""
        ...

    def may_signal(self, holding: Holding) -> bool:
        """False only when the strategy certainly returns no signal this minute."""
        ...


class _Window:
    """Exact running sums of the last ``size`` values (and of their squares, if asked).

    The values are closes as ``_Integers`` gives them: every comparison the screens make is
    homogeneous in them, so the power of ten they carry changes no answer.
    """

    def __init__(self, size: int, *, squares: bool = False) -> None:
        self.size = size
        self._squares = squares
        self.values: deque[int] = deque(maxlen=size)
        self.pushed = 0
        self.total = 0
        self.total_squares = 0

    def push(self, value: int) -> None:
        """Slide the window one value forward."""
        values = self.values
        if len(values) == self.size:
            old = values[0]
            self.total -= old
            if self._squares:
                self.total_squares -= old * old
        self.total += value
        if self._squares:
            self.total_squares += value * value
        values.append(value)  # the deque drops the oldest
        self.pushed += 1

    def rescale(self, factor: int) -> None:
        """Every value, and so every sum, ``factor`` times as large."""
        self.values = deque((value * factor for value in self.values), maxlen=self.size)
        self.total *= factor
        self.total_squares *= factor * factor


class _Integers:
    """Closes as exact integers: each times ``10**digits``, as few digits as make all whole.

    Integer sums are exact at any size and several times faster than Decimal ones. A close with
    more decimals than any before raises ``digits`` and rescales ``windows`` to match.
    """

    def __init__(self, *windows: _Window) -> None:
        self._windows = windows
        self._digits = 0
        self._unit = 1  # 10**digits

    def of(self, close: Decimal) -> int:
        """``close * 10**digits``, exactly."""
        numerator, denominator = close.as_integer_ratio()
        if denominator == 1:  # a whole close, as TRY prices are
            return numerator * self._unit
        value, rest = divmod(numerator * self._unit, denominator)
        if not rest:
            return value
        digits = self._digits
        while (10**digits) % denominator:  # the denominator divides a power of ten
            digits += 1
        factor = 10 ** (digits - self._digits)
        self._digits, self._unit = digits, 10**digits
        for window in self._windows:
            window.rescale(factor)
        return numerator * self._unit // denominator


class TrendScreen:
    """``TrendFollower``: a signal needs the fast SMA to cross the slow one on the newest close.

    A crossing up signals only while not holding; a crossing down only while holding. Each
    close is classed once, as it arrives: fast above slow (+1), below (-1) or too close to
    call (0).
    """

    def __init__(self, params: TrendParams) -> None:
        self._fast = _Window(params.fast_window)
        self._slow = _Window(params.slow_window)
        self._integers = _Integers(self._fast, self._slow)
        self._side = self._side_before = 0

    def push(self, close: Decimal) -> None:
        """One more close."""
        value = self._integers.of(close)
        self._fast.push(value)
        self._slow.push(value)
        self._side_before, self._side = self._side, self._classify()

    def may_signal(self, holding: Holding) -> bool:
        """Whether fast - slow can change sign (or touch zero) between the last two closes."""
        slow = self._slow
        if slow.pushed <= slow.size:
            return True  # short of the strategy's own ``required_candles``: let it say
        before, now = self._side_before, self._side
        up = before < 1 and now > -1  # prev_fast <= prev_slow and fast > slow, widened
        down = before > -1 and now < 1  # prev_fast >= prev_slow and fast < slow, widened
        return (down and holding.quantity > 0) or (up and not holding.clearly_holds)

    def _classify(self) -> int:
        """+1 / -1 when SMA fast is clearly above / below SMA slow, 0 when too close to call."""
        a = self._fast.total * self._slow.size
        b = self._slow.total * self._fast.size
        gap, slack = (a - b) * _PER_SLACK, abs(a) + abs(b)  # the gap against 1e-12 of both
        return 1 if gap > slack else -1 if gap < -slack else 0


class MeanReversionScreen:
    """``MeanReversion``: an entry needs z <= -entry_z; an exit needs the bid at a threshold."""

    def __init__(self, params: MeanReversionParams) -> None:
        self._closes = _Window(params.window, squares=True)
        self._integers = _Integers(self._closes)
        self._entry = True  # until the window is full
        with decimal.localcontext(_WIDE):
            self._up = (_ONE + params.take_profit_pct / _HUNDRED) * (_ONE - _SLACK)
            self._down = (_ONE - params.stop_loss_pct / _HUNDRED) * (_ONE + _SLACK)
            # entry_z^2, narrowed by the margin: exact at 60 digits, then an exact fraction.
            z2 = params.entry_z * params.entry_z * (_ONE - _SLACK)
        self._z2_numerator, self._z2_denominator = z2.as_integer_ratio()

    def push(self, close: Decimal) -> None:
        """One more close."""
        self._closes.push(self._integers.of(close))
        self._entry = self._may_enter()

    def may_signal(self, holding: Holding) -> bool:
        """An exit when a position is held, else (or for dust) an entry."""
        if holding.quantity > 0 and self._may_exit(holding):
            return True
        return self._entry and not holding.clearly_holds

    def _may_exit(self, holding: Holding) -> bool:
        """Take-profit at cost x (1 + tp %) or above, stop-loss at cost x (1 - sl %) or below."""
        cost = holding.avg_cost
        bid = holding.bid
        return bid >= _WIDE.multiply(cost, self._up) or bid <= _WIDE.multiply(cost, self._down)

    def _may_enter(self) -> bool:
        """The z-score (w x - S) / sqrt(w Q - S^2) of the window: entry at z <= -entry_z < 0."""
        closes = self._closes
        if closes.pushed < closes.size:
            return True
        w, total = closes.size, closes.total
        spread = w * closes.total_squares - total * total
        if spread <= 0:
            return spread < 0  # zero: a flat window has no z-score; below zero cannot be
        if spread * _PER_NEARLY_FLAT < total * total:
            return True  # nearly flat: the strategy's own rounding decides, so let it say
        deviation = w * closes.values[-1] - total
        if deviation >= 0:
            return False
        # deviation^2 >= z2 x spread, in integers
        return deviation * deviation * self._z2_denominator >= self._z2_numerator * spread


def screens_for(strategies: Sequence[Strategy]) -> list[Screen] | None:
    """A fresh screen per strategy for one symbol; ``None`` when one has no screen."""
    screens: list[Screen] = []
    for strategy in strategies:
        if type(strategy) is TrendFollower:
            screens.append(TrendScreen(strategy.params))
        elif type(strategy) is MeanReversion:
            screens.append(MeanReversionScreen(strategy.params))
        else:
            return None
    return screens
