"""The example strategy's own test: it breaks out, exits on the breakdown, and loads by path."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import ConfigError
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import BookLevel, Candle, OrderBook, SymbolRules, Ticker
from btcbot.domain.trading import PositionView
from btcbot.strategy.engine import build_strategies
from btcbot.strategy.params import StrategyParams
from btcbot.strategy.protocols import StrategyInput
from btcbot_examples.breakout import Breakout

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
RULES = SymbolRules(
    symbol="BTCTRY",
    base="BTC",
    quote="TRY",
    pair_id=1,
    status="TRADING",
    numerator_scale=8,
    denominator_scale=2,
    has_fraction=True,
    tick_size=None,
    min_price=None,
    max_price=None,
    min_notional=Decimal(100),
    min_limit_price=None,
    max_limit_price=None,
    order_methods=frozenset({OrderMethod.LIMIT}),
)
PATH = "btcbot_examples.breakout:Breakout"


def _input(closes: list[int], held: str = "0") -> StrategyInput:
    cs = tuple(
        Candle(
            START + timedelta(minutes=i), Decimal(c), Decimal(c), Decimal(c), Decimal(c), Decimal(1)
        )
        for i, c in enumerate(closes)
    )
    at = START + timedelta(minutes=len(cs))
    last = cs[-1].close
    book = OrderBook(
        "BTCTRY", (BookLevel(last, Decimal(1)),), (BookLevel(last + 1, Decimal(1)),), at
    )
    ticker = Ticker("BTCTRY", last, last, last + 1, last, last, last, Decimal(1), last, at)
    snap = MarketSnapshot("BTCTRY", RULES, ticker, book, cs, at, at, None)
    quantity = Decimal(held)
    return StrategyInput(snap, PositionView("BTCTRY", quantity, quantity * last))


def test_a_close_above_the_window_high_buys_when_flat() -> None:
    """Five flat closes then a higher one: a buy of the configured notional."""
    signal = Breakout(window=5, order_notional_try=700).evaluate(_input([100] * 5 + [101]))
    assert signal is not None
    assert signal.side is Side.BUY
    assert signal.size_hint == Decimal(700)
    assert signal.strategy == "breakout5"


def test_a_close_below_the_window_low_exits_a_held_position() -> None:
    """Holding, a close under the window's low sells everything; flat, it does nothing."""
    closes = [100] * 5 + [99]
    exit_signal = Breakout(window=5).evaluate(_input(closes, held="5"))
    assert exit_signal is not None
    assert exit_signal.side is Side.SELL
    assert Breakout(window=5).evaluate(_input(closes)) is None


def test_too_few_candles_or_no_breakout_is_no_signal() -> None:
    """Inside the range, or before the window is full: hold."""
    assert Breakout(window=5).evaluate(_input([100] * 4 + [101])) is None
    assert Breakout(window=5).evaluate(_input([100, 102, 101, 100, 102, 101])) is None


def test_it_loads_by_import_path_with_its_parameters() -> None:
    """STRATEGIES=btcbot_examples.breakout:Breakout with a table of parameters."""
    params = StrategyParams(enabled=(PATH,), custom={PATH: {"window": 7}})
    (strategy,) = build_strategies(params)
    assert strategy.name == "breakout7"
    assert strategy.required_candles == 8


def test_bad_parameters_are_one_config_error_naming_the_entry() -> None:
    """The constructor's own refusal reaches the operator as one line."""
    params = StrategyParams(enabled=(PATH,), custom={PATH: {"window": 1}})
    with pytest.raises(ConfigError, match="breakout:Breakout refused its parameters"):
        build_strategies(params)
