"""Indicator helpers: known values, short history gives None, results bounded and repeatable."""

from __future__ import annotations

import decimal
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from btcbot.strategy.indicators import ema, rolling_std, sma, zscore


def _d(*values: int | str) -> list[Decimal]:
    return [Decimal(v) for v in values]


def test_sma_averages_the_last_window() -> None:
    """SMA uses only the newest ``window`` values."""
    assert sma(_d(100, 1, 2, 3), 3) == Decimal(2)


def test_ema_is_seeded_with_the_sma_and_smooths() -> None:
    """EMA(3) of 1,2,3,4: seed 2, then 0.5*4 + 0.5*2 = 3."""
    assert ema(_d(1, 2, 3, 4), 3) == Decimal(3)


def test_rolling_std_is_the_population_deviation() -> None:
    """The population standard deviation of 2,4,4,4,5,5,7,9 is 2."""
    assert rolling_std(_d(2, 4, 4, 4, 5, 5, 7, 9), 8) == Decimal(2)


def test_zscore_of_the_last_value() -> None:
    """The z-score of 9 within 2,4,4,4,5,5,7,9 (mean 5, std 2) is 2."""
    assert zscore(_d(2, 4, 4, 4, 5, 5, 7, 9), 8) == Decimal(2)


def test_flat_window_has_no_zscore() -> None:
    """A window without variation has no z-score (no division by zero)."""
    assert zscore(_d(5, 5, 5), 3) is None


@pytest.mark.parametrize("indicator", [sma, ema, rolling_std, zscore])
def test_short_history_gives_none(indicator: object) -> None:
    """Every indicator returns None with fewer values than its window."""
    assert indicator(_d(1, 2), 3) is None  # type: ignore[operator]


def test_window_below_one_is_refused() -> None:
    """A zero window is a programming error, reported as ValueError."""
    with pytest.raises(ValueError, match="window"):
        sma(_d(1), 0)


prices = st.lists(st.integers(min_value=1, max_value=10**7).map(Decimal), min_size=1, max_size=60)


@given(values=prices, window=st.integers(min_value=1, max_value=60))
def test_averages_stay_within_the_window_range(values: list[Decimal], window: int) -> None:
    """SMA lies within the window's min and max; EMA within the whole series' range."""
    s = sma(values, window)
    e = ema(values, window)
    if window > len(values):
        assert s is None
        assert e is None
        return
    assert s is not None
    assert e is not None
    tail = values[-window:]
    assert min(tail) <= s <= max(tail)
    assert min(values) <= e <= max(values)


@given(values=prices, window=st.integers(min_value=2, max_value=30))
def test_results_ignore_the_callers_decimal_context(values: list[Decimal], window: int) -> None:
    """A different ambient decimal context does not change any indicator."""
    expected = (sma(values, window), ema(values, window), zscore(values, window))
    with decimal.localcontext(decimal.Context(prec=5, rounding=decimal.ROUND_UP)):
        again = (sma(values, window), ema(values, window), zscore(values, window))
    assert again == expected
