"""The decision core runs on plain values: no exchange, no database, same inputs same output."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from strategy_factories import open_order

from btcbot.decision import DecisionCore
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import BookLevel, Candle, OrderBook, SymbolRules, Ticker
from btcbot.domain.trading import PortfolioView, RiskLimits, Signal, TradingState
from btcbot.risk.context import RiskContext
from btcbot.strategy.engine import REPLAY_TIME_LIMIT_SECONDS, TIME_LIMIT_SECONDS, StrategyFault
from btcbot.strategy.params import MeanReversionParams, StrategyParams
from btcbot.strategy.protocols import Strategy, StrategyInput

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SYMBOLS = ("BTCTRY",)
RULES = SymbolRules(
    symbol="BTCTRY",
    base="BTC",
    quote="TRY",
    pair_id=1,
    status="TRADING",
    numerator_scale=8,
    denominator_scale=0,
    has_fraction=False,
    tick_size=Decimal(1),
    min_price=None,
    max_price=None,
    min_notional=Decimal(100),
    min_limit_price=None,
    max_limit_price=None,
    order_methods=frozenset({OrderMethod.LIMIT, OrderMethod.MARKET}),
)


def _falling_snapshot() -> MarketSnapshot:
    """Twenty closes falling 100 TRY a minute: the newest is far under its mean."""
    closes = [Decimal(1_000_000 - 100 * i) for i in range(20)]
    candles = tuple(
        Candle(NOW - timedelta(minutes=20 - i), c, c, c, c, Decimal(1))
        for i, c in enumerate(closes)
    )
    bid, ask = closes[-1], closes[-1] + 10
    book = OrderBook("BTCTRY", (BookLevel(bid, Decimal(5)),), (BookLevel(ask, Decimal(5)),), NOW)
    ticker = Ticker("BTCTRY", bid, bid, ask, bid, bid, bid, Decimal(1), bid, NOW)
    return MarketSnapshot("BTCTRY", RULES, ticker, book, candles, NOW, NOW)


def _inputs(state: TradingState = TradingState.ACTIVE) -> RiskContext:
    cash = Decimal(100_000)
    return RiskContext(
        now=NOW,
        snapshots={"BTCTRY": _falling_snapshot()},
        portfolio=PortfolioView(cash=cash, equity=cash, peak_equity=cash, daily_pnl=Decimal(0)),
        trading_state=state,
        kill_switch_reason=None,
    )


def _core() -> DecisionCore:
    params = StrategyParams(
        enabled=("mean_reversion",),
        mean_reversion=MeanReversionParams(window=10, entry_z=Decimal(1)),
    )
    return DecisionCore.from_params(params, RiskLimits())


def test_a_falling_market_gives_one_approved_buy_and_equal_inputs_equal_decisions() -> None:
    """Mean reversion signals a buy, risk approves it, and a second call decides identically."""
    core = _core()
    first = core.decide(SYMBOLS, _inputs())
    assert [s.side.value for s in first.signals] == ["buy"]
    assert first.approved_count == 1
    assert first.approved[0].intent.symbol == "BTCTRY"
    assert core.decide(SYMBOLS, _inputs()) == first


def test_halted_state_turns_the_same_signal_into_a_typed_rejection() -> None:
    """The same market in HALTED: the signal is still produced, risk refuses it with a reason."""
    decision = _core().decide(SYMBOLS, _inputs(TradingState.HALTED))
    assert len(decision.signals) == 1
    assert decision.approved_count == 0
    assert decision.rejection_reasons == ("trading_halted",)


class _Recorder:
    """A strategy of one's own: records what it was shown; raises when told to."""

    def __init__(self, name: str, *, raises: bool = False) -> None:
        self._name = name
        self.raises = raises
        self.seen: list[StrategyInput] = []

    @property
    def name(self) -> str:
        return self._name

    @property
    def required_candles(self) -> int:
        return 1

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        self.seen.append(inp)
        if self.raises:
            raise ValueError("no luck")
        return None


def _own(strategy: _Recorder, *, replay: bool = False) -> tuple[DecisionCore, list[object]]:
    """A core whose one strategy is ``strategy``, loaded by name through a recording loader."""
    loaded: list[object] = []

    def load(name: str, params: Mapping[str, Any]) -> Strategy:
        loaded.append((name, dict(params)))
        return strategy

    params = StrategyParams(enabled=("mine.mod:Mine",), custom={"mine.mod:Mine": {"k": 1}})
    return DecisionCore.from_params(params, RiskLimits(), replay=replay, load=load), loaded


def test_a_strategy_of_ones_own_is_built_by_the_loader_it_was_given() -> None:
    """LIVE hands in a loader that runs the strategy in its own process: it must be the one used."""
    recorder = _Recorder("mine")
    core, loaded = _own(recorder)
    assert loaded == [("mine.mod:Mine", {"k": 1})]
    core.decide(SYMBOLS, _inputs())
    assert len(recorder.seen) == 1


def test_the_strategy_sees_this_symbols_open_orders() -> None:
    """An open order of ours is in the strategy's input, so it need not signal again."""
    recorder = _Recorder("mine")
    core, _ = _own(recorder)
    ours = open_order(Side.BUY)
    core.decide(SYMBOLS, replace(_inputs(), open_orders=(ours,)))
    assert recorder.seen[0].open_orders == (ours,)


def test_a_failing_strategy_is_in_the_decision_by_name() -> None:
    """The caller makes its symbol observe-only (LIVE) or stops (backtest) from ``faults``."""
    core, _ = _own(_Recorder("mine", raises=True))
    decision = core.decide(SYMBOLS, _inputs())
    assert decision.signals == ()
    assert decision.faults == (StrategyFault("mine", "BTCTRY", "raised ValueError: no luck"),)


def test_a_backtest_allows_a_strategy_more_time_than_live() -> None:
    """LIVE refuses a slow answer after 1 s of CPU; a replay only a runaway one (10 s)."""
    assert _own(_Recorder("mine"))[0].strategies.time_limit == TIME_LIMIT_SECONDS == 1
    replaying = _own(_Recorder("mine"), replay=True)[0]
    assert replaying.strategies.time_limit == REPLAY_TIME_LIMIT_SECONDS == 10
    assert _core().strategies.time_limit == TIME_LIMIT_SECONDS
