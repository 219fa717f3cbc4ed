"""Mean reversion: z-score entries, take-profit and stop-loss at exactly their prices."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategy_factories import inp, open_order, position

from btcbot.domain.enums import Side
from btcbot.domain.errors import ConfigError
from btcbot.strategy.mean_reversion import MeanReversion
from btcbot.strategy.params import MeanReversionParams

PARAMS = MeanReversionParams(
    window=8,
    entry_z=Decimal(2),
    take_profit_pct=Decimal(2),
    stop_loss_pct=Decimal(1),
    order_notional_try=Decimal(700),
)
MR = MeanReversion(PARAMS)
# Seven equal closes then a lower one: the last close's z-score is exactly -sqrt(7) = -2.6458.
DIP = [1010] * 7 + [1000]
COST = "1000"
HELD = position("1", COST)  # worth about 1,000 TRY: sellable (minimum 100)


def test_deep_dip_buys() -> None:
    """A close 2 deviations under its mean gives a BUY of order_notional_try."""
    signal = MR.evaluate(inp(DIP))
    assert signal is not None
    assert (signal.side, signal.size_hint, signal.strategy) == (
        Side.BUY,
        Decimal(700),
        "mean_reversion",
    )


def test_shallow_dip_does_not_buy() -> None:
    """A close less than entry_z deviations under its mean gives no signal."""
    assert MR.evaluate(inp([1000, 1010, 990, 1000, 1005, 995, 1000, 998])) is None


@pytest.mark.parametrize(("entry_z", "buys"), [("2.64", True), ("2.65", False)])
def test_entry_threshold(entry_z: str, buys: bool) -> None:
    """The dip (z = -2.6458) buys under entry_z 2.64 and not under 2.65."""
    strategy = MeanReversion(MeanReversionParams(window=8, entry_z=Decimal(entry_z)))
    assert (strategy.evaluate(inp(DIP)) is not None) == buys


def test_insufficient_history_gives_no_entry() -> None:
    """Fewer closes than the window give no entry signal."""
    assert MR.evaluate(inp(DIP[1:])) is None
    assert MR.required_candles == 8


@pytest.mark.parametrize(
    ("bid", "expected"),
    [
        ("1020", "take-profit"),  # exactly cost x 1.02
        ("1019.99", None),
        ("990", "stop-loss"),  # exactly cost x 0.99
        ("990.01", None),
        ("900", "stop-loss"),
    ],
)
def test_exit_prices_relative_to_average_cost(bid: str, expected: str | None) -> None:
    """Take-profit fires at cost x (1 + tp%) and above, stop-loss at cost x (1 - sl%) and below."""
    signal = MR.evaluate(inp([1000] * 8, held=HELD, bid=bid))
    if expected is None:
        assert signal is None
        return
    assert signal is not None
    assert signal.side is Side.SELL
    assert signal.reason.startswith(expected)
    assert signal.size_hint == Decimal(bid)  # the whole position (1 unit) at the bid


def test_exits_need_no_history() -> None:
    """A stop-loss fires even with no candles at all."""
    signal = MR.evaluate(inp([], held=HELD, bid="900"))
    assert signal is not None
    assert signal.side is Side.SELL


def test_holding_never_adds_on_a_dip() -> None:
    """While a sellable position is held a dip gives no second BUY."""
    assert MR.evaluate(inp(DIP, held=position("1", "1000"), bid="1000")) is None


def test_dust_is_never_exited() -> None:
    """A position below the venue minimum is not chased with stop-loss sells every cycle."""
    assert MR.evaluate(inp([1000] * 8, held=position("0.05", COST), bid="500")) is None


def test_open_sell_blocks_a_second_exit() -> None:
    """An exit already open is not sent again."""
    held = inp([1000] * 8, held=HELD, bid="900", orders=(open_order(Side.SELL),))
    assert MR.evaluate(held) is None


def test_stop_loss_of_100_percent_is_refused() -> None:
    """A stop-loss of 100 % or more is a configuration error."""
    with pytest.raises(ConfigError, match="stop_loss_pct"):
        MeanReversionParams(stop_loss_pct=Decimal(100))


@given(
    closes=st.lists(st.integers(min_value=1, max_value=5000), max_size=30),
    bid=st.integers(min_value=1, max_value=5000),
    quantity=st.sampled_from(["0", "0.01", "1"]),
)
def test_same_input_same_signal(closes: list[int], bid: int, quantity: str) -> None:
    """Evaluating the same input twice gives equal signals."""
    held = position(quantity, COST)
    first = MR.evaluate(inp(closes, held=held, bid=str(bid)))
    assert first == MR.evaluate(inp(list(closes), held=held, bid=str(bid)))
