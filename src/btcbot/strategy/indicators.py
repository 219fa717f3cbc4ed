"""Indicator helpers over ``Decimal`` series (oldest first); ``None`` when history is too short.

Every computation runs in one fixed decimal context, so results never depend on the caller's
context and equal inputs give bit-equal outputs.
"""

from __future__ import annotations

import decimal
from collections.abc import Sequence
from decimal import Decimal

_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


def _check_window(window: int) -> None:
    if window < 1:
        raise ValueError(f"an indicator window must be at least 1, got {window}")


def sma(values: Sequence[Decimal], window: int) -> Decimal | None:
    """Simple moving average of the last ``window`` values."""
    _check_window(window)
    if len(values) < window:
        return None
    with decimal.localcontext(_CONTEXT):
        return sum(values[-window:], Decimal(0)) / window


def ema(values: Sequence[Decimal], window: int) -> Decimal | None:
    """Exponential moving average, smoothing 2/(window+1), seeded with the first window's SMA."""
    _check_window(window)
    seed = sma(values[:window], window)
    if seed is None:
        return None
    with decimal.localcontext(_CONTEXT):
        alpha = Decimal(2) / (window + 1)
        average = seed
        for value in values[window:]:
            # This form keeps every step inside [average, value] despite rounding.
            average += alpha * (value - average)
        return average


def rolling_std(values: Sequence[Decimal], window: int) -> Decimal | None:
    """Population standard deviation of the last ``window`` values."""
    mean = sma(values, window)
    if mean is None:
        return None
    with decimal.localcontext(_CONTEXT):
        variance = sum(((v - mean) ** 2 for v in values[-window:]), Decimal(0)) / window
        return variance.sqrt()


def zscore(values: Sequence[Decimal], window: int) -> Decimal | None:
    """How many standard deviations the last value lies from the last ``window``'s mean.

    ``None`` when history is short or the window is flat (a zero deviation has no z-score).
    """
    mean = sma(values, window)
    std = rolling_std(values, window)
    if mean is None or std is None or std == 0:
        return None
    with decimal.localcontext(_CONTEXT):
        return (values[-1] - mean) / std
