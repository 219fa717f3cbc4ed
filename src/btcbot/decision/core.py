"""The decision core: strategy then risk over plain values, with no exchange and no database.

``DecisionCore.decide`` is a pure function of the symbols and the ``RiskContext`` (snapshots,
the ledger's portfolio view, the trading state, open orders, recent fills and submits, the kill
state and the time): the one record both strategy and risk read, built once by the caller. The
LIVE cycle, a dry run and a replay backtest all call this one function, so they can never
disagree about what the strategy would have done.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from btcbot.domain.trading import (
    ApprovedOrderIntent,
    RiskLimits,
    Signal,
)
from btcbot.risk.context import RiskContext
from btcbot.risk.engine import RiskEngine, RiskResult
from btcbot.strategy.engine import (
    REPLAY_TIME_LIMIT_SECONDS,
    TIME_LIMIT_SECONDS,
    StrategyEngine,
    StrategyFault,
    StrategyLoader,
)
from btcbot.strategy.params import StrategyParams
from btcbot.strategy.plugins import load_strategy


@dataclass(frozen=True, slots=True)
class Decision:
    """The strategy's signals and what risk made of each (plus the next trading state)."""

    signals: tuple[Signal, ...]
    risk: RiskResult
    faults: tuple[StrategyFault, ...] = ()  # strategies that failed; their symbols observe

    @property
    def approved(self) -> tuple[ApprovedOrderIntent, ...]:
        """The intents execution may send, in index order."""
        return self.risk.approved

    @property
    def approved_count(self) -> int:
        """How many intents risk approved."""
        return self.risk.approved_count

    @property
    def traded_symbols(self) -> frozenset[str]:
        """The symbols an approved intent would send an order to."""
        return frozenset(a.symbol for a in self.risk.approved)

    @property
    def rejection_reasons(self) -> tuple[str, ...]:
        """One reason per rejected signal (the ``RejectReason`` value)."""
        return tuple(r.reason.value for r in self.risk.rejections)


class DecisionCore:
    """Strategies and risk limits, configured once per process."""

    def __init__(self, strategies: StrategyEngine, risk: RiskEngine) -> None:
        self.strategies = strategies
        self.risk = risk

    @classmethod
    def from_params(
        cls,
        params: StrategyParams,
        limits: RiskLimits,
        *,
        replay: bool = False,
        load: StrategyLoader = load_strategy,
    ) -> DecisionCore:
        """The core for the configured strategies and limits (``replay``: a backtest's).

        ``load`` builds a strategy of your own; LIVE hands in one that runs it in its own
        process (``btcbot.isolation``).
        """
        limit = REPLAY_TIME_LIMIT_SECONDS if replay else TIME_LIMIT_SECONDS
        engine = StrategyEngine.from_params(params, time_limit=limit, load=load)
        return cls(engine, RiskEngine(limits))

    @property
    def required_candles(self) -> int:
        """Closed candles market data must supply for every strategy to signal."""
        return self.strategies.required_candles

    def decide(self, symbols: Sequence[str], ctx: RiskContext) -> Decision:
        """Signals for the tradable symbols, then risk's verdict on each, in order."""
        run = self.strategies.run(symbols, ctx.snapshots, ctx.portfolio, ctx.open_orders)
        return Decision(
            signals=run.signals, risk=self.risk.evaluate(run.signals, ctx), faults=run.faults
        )
