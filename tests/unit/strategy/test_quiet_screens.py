"""A screen says "cannot signal" only when the strategy, asked, gives no signal.

The backtest skips the decision of a minute on the screens' word (``btcbot.backtest.screens``),
so every "cannot" is checked here against the real strategy over random closes - narrow
integer ranges, so crossings, ties and flat windows are common - and random holdings (flat,
dust, held; bids around the take-profit and stop-loss).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from strategy_factories import RULES, inp, position

from btcbot.backtest.screens import Holding, MeanReversionScreen, Screen, TrendScreen, screens_for
from btcbot.strategy.mean_reversion import MeanReversion
from btcbot.strategy.params import MeanReversionParams, TrendParams
from btcbot.strategy.protocols import Strategy
from btcbot.strategy.trend import TrendFollower

closes_st = st.lists(st.integers(min_value=96, max_value=104), min_size=2, max_size=60)
quantity_st = st.sampled_from(["0", "0.5", "0.9", "1", "3"])  # 0.5 x ~100 < 100: dust
cost_st = st.integers(min_value=97, max_value=103)
bid_st = st.integers(min_value=95, max_value=105)


def _check(
    strategy: Strategy,
    screen: Screen,
    closes: Sequence[int | Decimal],
    held: tuple[str, int, int],
) -> int:
    """Feed ``closes`` one by one; at each, a "cannot" must match the strategy. Count them."""
    quantity, cost, bid = held
    quiet = 0
    for n, close in enumerate(closes, start=1):
        screen.push(Decimal(close))
        holding = Holding(Decimal(quantity), Decimal(cost), Decimal(bid), RULES.min_notional)
        if screen.may_signal(holding):
            continue
        quiet += 1
        pos = position(quantity, str(cost)) if Decimal(quantity) else None
        signal = strategy.evaluate(inp(closes[:n], held=pos, bid=str(bid)))
        assert signal is None, (closes[:n], held, signal)
    return quiet


@settings(max_examples=400, deadline=None)
@given(
    closes=closes_st,
    fast=st.integers(min_value=1, max_value=4),
    extra=st.integers(min_value=1, max_value=6),
    held=st.tuples(quantity_st, cost_st, bid_st),
)
def test_trend_screen_never_hides_a_crossing(
    closes: list[int], fast: int, extra: int, held: tuple[str, int, int]
) -> None:
    """Every minute the trend screen calls quiet, the trend strategy signals nothing."""
    params = TrendParams(fast_window=fast, slow_window=fast + extra)
    _check(TrendFollower(params), TrendScreen(params), closes, held)


@settings(max_examples=400, deadline=None)
@given(
    closes=closes_st,
    window=st.integers(min_value=2, max_value=8),
    entry_z=st.sampled_from(["0.5", "1", "1.5", "2"]),
    take=st.sampled_from(["0.5", "1", "2"]),
    stop=st.sampled_from(["0.5", "1", "3"]),
    held=st.tuples(quantity_st, cost_st, bid_st),
)
def test_mean_reversion_screen_never_hides_an_entry_or_exit(  # noqa: PLR0917 - hypothesis
    closes: list[int], window: int, entry_z: str, take: str, stop: str, held: tuple[str, int, int]
) -> None:
    """Every minute the mean-reversion screen calls quiet, the strategy signals nothing."""
    params = MeanReversionParams(
        window=window,
        entry_z=Decimal(entry_z),
        take_profit_pct=Decimal(take),
        stop_loss_pct=Decimal(stop),
    )
    _check(MeanReversion(params), MeanReversionScreen(params), closes, held)


@settings(max_examples=300, deadline=None)
@given(
    steps=st.lists(st.integers(min_value=-3, max_value=3), min_size=20, max_size=30),
    digits=st.sampled_from([20, 24, 26, 27]),
    window=st.sampled_from([3, 6, 7]),  # the mean of these does not end: it rounds
    entry_z=st.sampled_from(["0.5", "1", "1.2", "2"]),
)
def test_a_nearly_flat_window_of_long_numbers_is_left_to_the_strategy(
    steps: list[int], digits: int, window: int, entry_z: str
) -> None:
    """Closes of 20 to 27 digits moving in the last: the strategy's 28-digit z is rough there.

    Without the nearly-flat guard the screen called about one such minute in 300 quiet where
    the strategy bought.
    """
    base = 10**digits
    closes = [base + sum(steps[: n + 1]) for n in range(len(steps))]
    params = MeanReversionParams(window=window, entry_z=Decimal(entry_z))
    _check(MeanReversion(params), MeanReversionScreen(params), closes, ("0", 1, 1))


# Closes of 0 to 4 decimals, some with trailing zeros (100.50): the screens count in integers,
# each close times a power of ten, and rescale everything when a close needs more decimals.
fractional_st = st.lists(
    st.tuples(st.integers(min_value=9_600, max_value=10_400), st.integers(0, 4)).map(
        lambda nk: Decimal(nk[0]).scaleb(-2).quantize(Decimal(1).scaleb(-nk[1]))
    ),
    min_size=2,
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(
    closes=fractional_st,
    fast=st.integers(min_value=1, max_value=4),
    extra=st.integers(min_value=1, max_value=6),
    window=st.integers(min_value=2, max_value=8),
    held=st.tuples(quantity_st, cost_st, bid_st),
)
def test_closes_with_decimals_screen_as_whole_ones(
    closes: list[Decimal], fast: int, extra: int, window: int, held: tuple[str, int, int]
) -> None:
    """Every "cannot" over closes with any number of decimals matches both strategies."""
    trend = TrendParams(fast_window=fast, slow_window=fast + extra)
    _check(TrendFollower(trend), TrendScreen(trend), closes, held)
    mr = MeanReversionParams(window=window, entry_z=Decimal(1))
    _check(MeanReversion(mr), MeanReversionScreen(mr), closes, held)


def test_the_screens_do_call_minutes_quiet() -> None:
    """Not a screen that always says "may": a calm trend and a calm flat book are quiet."""
    rising = list(range(100, 130))
    trend = TrendParams(fast_window=2, slow_window=5)
    assert _check(TrendFollower(trend), TrendScreen(trend), rising, ("0", 100, 100)) > 20
    calm = [100, 101] * 15
    mr = MeanReversionParams(window=4)
    assert _check(MeanReversion(mr), MeanReversionScreen(mr), calm, ("1", 100, 100)) > 20


def test_only_the_built_in_strategies_have_screens() -> None:
    """A strategy of any other type (a user's, a subclass) turns the quiet test off."""

    class Tuned(TrendFollower):
        pass

    built_in: list[Strategy] = [TrendFollower(TrendParams()), MeanReversion(MeanReversionParams())]
    screens = screens_for(built_in)
    assert screens is not None
    assert [type(s) for s in screens] == [TrendScreen, MeanReversionScreen]
    assert screens_for([*built_in, Tuned(TrendParams())]) is None
