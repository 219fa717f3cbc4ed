"""The decision core runs on plain values: no exchange, no database, same inputs same output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from btcbot.decision import DecisionCore
from btcbot.domain.enums import OrderMethod
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import BookLevel, Candle, OrderBook, SymbolRules, Ticker
from btcbot.domain.trading import PortfolioView, RiskLimits, TradingState
from btcbot.risk.context import RiskContext
from btcbot.strategy.params import MeanReversionParams, StrategyParams

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
