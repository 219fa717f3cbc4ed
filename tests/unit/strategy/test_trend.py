"""Trend follower: signals on the crossing candle only, entries when flat, exits when holding."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from strategy_factories import inp, open_order, position

from btcbot.domain.enums import Side
from btcbot.strategy.indicators import sma
from btcbot.strategy.params import TrendParams
from btcbot.strategy.trend import TrendFollower

TREND = TrendFollower(TrendParams(fast_window=2, slow_window=4, order_notional_try=Decimal(500)))
FLAT_THEN_UP = [10, 10, 10, 10, 10, 12]  # SMA2 11 > SMA4 10.5, previously equal
FLAT_THEN_DOWN = [10, 10, 10, 10, 10, 8]
HELD = position("100", "10")  # worth 800-1,200 TRY here: sellable (minimum 100)


def test_upward_crossing_buys_the_configured_notional() -> None:
    """The candle where the fast SMA crosses above the slow one gives a BUY of order_notional."""
    signal = TREND.evaluate(inp(FLAT_THEN_UP))
    assert signal is not None
    assert (signal.side, signal.size_hint, signal.strategy) == (Side.BUY, Decimal(500), "trend")
    assert signal.as_of == inp(FLAT_THEN_UP).as_of
    assert "crossed above" in signal.reason


def test_no_signal_on_the_candle_after_the_crossing() -> None:
    """Once the fast SMA is already above, the next candle signals nothing."""
    assert TREND.evaluate(inp([*FLAT_THEN_UP, 13])) is None


def test_downward_crossing_sells_the_whole_position() -> None:
    """A downward crossing while holding gives a SELL worth the position at the bid."""
    signal = TREND.evaluate(inp(FLAT_THEN_DOWN, held=HELD))
    assert signal is not None
    assert signal.side is Side.SELL
    assert signal.size_hint == Decimal(800)  # 100 units at the bid (the last close, 8)


def test_downward_crossing_when_flat_is_silent() -> None:
    """There is nothing to exit when flat, so a downward crossing gives no signal."""
    assert TREND.evaluate(inp(FLAT_THEN_DOWN)) is None


def test_upward_crossing_while_holding_does_not_buy_again() -> None:
    """A crossing seen again after the entry filled gives no second buy."""
    assert TREND.evaluate(inp(FLAT_THEN_UP, held=HELD)) is None


def test_open_order_blocks_a_new_entry() -> None:
    """An order of ours already open in the symbol blocks a new entry."""
    assert TREND.evaluate(inp(FLAT_THEN_UP, orders=(open_order(),))) is None


def test_dust_counts_as_flat() -> None:
    """A position worth less than the venue minimum (1 unit at 12 TRY) does not block an entry."""
    assert TREND.evaluate(inp(FLAT_THEN_UP, held=position("1", "10"))) is not None


def test_insufficient_history_gives_no_signal() -> None:
    """With only slow_window candles (one short of seeing a crossing) there is no signal."""
    assert TREND.evaluate(inp([10, 10, 10, 12])) is None
    assert TREND.required_candles == 5


series = st.lists(st.integers(min_value=1, max_value=50), min_size=0, max_size=40)


@given(closes=series, quantity=st.sampled_from(["0", "1", "100"]))
def test_same_input_same_signal(closes: list[int], quantity: str) -> None:
    """Evaluating the same input twice gives equal signals."""
    held = position(quantity, "10")
    assert TREND.evaluate(inp(closes, held=held)) == TREND.evaluate(inp(closes, held=held))


@given(closes=series)
def test_buys_happen_exactly_on_upward_crossings(closes: list[int]) -> None:
    """When flat, a BUY is emitted if and only if the newest candle crosses upward."""
    values = [Decimal(c) for c in closes]
    crossed = False
    if len(values) >= 5:
        fast, slow = sma(values, 2), sma(values, 4)
        prev_fast, prev_slow = sma(values[:-1], 2), sma(values[:-1], 4)
        assert fast is not None
        assert slow is not None
        assert prev_fast is not None
        assert prev_slow is not None
        crossed = prev_fast <= prev_slow and fast > slow
    signal = TREND.evaluate(inp(closes))
    assert (signal is not None and signal.side is Side.BUY) == crossed
