"""Runs the configured strategies over every symbol and merges their signals deterministically.

- Symbols are visited in the order given; a symbol without a snapshot, or whose snapshot
  market_data marked unusable, is observe-only: no strategy runs on it.
- Strategies run in their configured order. Per symbol, a sell wins over buys (cutting exposure
  beats adding it when strategies disagree) and only the first signal of a side is kept, so a
  cycle holds at most one signal per symbol.
- A strategy is code we did not write (``btcbot.strategy.plugins``): one that raises, returns
  anything but ``None`` or a well-formed ``Signal`` for the symbol it was asked about, or takes
  longer than its time limit (``TIME_LIMIT_SECONDS`` of CPU time in LIVE,
  ``REPLAY_TIME_LIMIT_SECONDS`` in a backtest) is a ``StrategyFault`` naming it, and its symbol
  gets no signal this cycle (observe only). The caller decides what a fault means: the LIVE
  cycle logs it and goes on; a backtest stops. What runs a strategy of your own reports its
  faults as ``StrategyProblemError`` and stops one that never returns: in LIVE its own process
  (``btcbot.isolation``), in a backtest the watchdog (``btcbot.backtest.watchdog``).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from btcbot.domain.enums import Side
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Order
from btcbot.domain.trading import ZERO, PortfolioView, PositionView, Signal
from btcbot.strategy.mean_reversion import MeanReversion
from btcbot.strategy.params import MEAN_REVERSION, TREND, StrategyParams
from btcbot.strategy.plugins import USER_CODE_FAULTS, load_strategy
from btcbot.strategy.protocols import Strategy, StrategyInput
from btcbot.strategy.trend import TrendFollower

TIME_LIMIT_SECONDS = 1.0
"""CPU seconds one strategy may take over one symbol in LIVE (a cycle is a minute for all)."""
REPLAY_TIME_LIMIT_SECONDS = 10.0
"""The same in a backtest: only a runaway strategy, never a busy machine, may stop a replay.

CPU time of this process (``time.process_time``), with the garbage collector held off during
the call, so neither other processes nor a collection of a large replay's heap count against the
strategy; a backtest's result must not depend on how loaded the machine was."""


@dataclass(frozen=True, slots=True)
class StrategyFault:
    """A strategy that failed on a symbol this cycle, and how."""

    strategy: str
    symbol: str
    problem: str

    def line(self) -> str:
        """One line for logs and the backtest's refusal."""
        return f"strategy {self.strategy} failed on {self.symbol}: {self.problem}"


@dataclass(frozen=True, slots=True)
class StrategyRun:
    """One cycle's signals and the strategies that failed."""

    signals: tuple[Signal, ...]
    faults: tuple[StrategyFault, ...] = ()


StrategyLoader = Callable[[str, Mapping[str, Any]], Strategy]
"""Builds a strategy of your own from its import path and parameters (``load_strategy``)."""


class StrategyProblemError(Exception):
    """A strategy's fault as what ran it reported it (its own process, or a watchdog).

    The text is the problem as ``evaluate_once`` words it ("raised ...", "took ...").
    """


def build_strategies(
    params: StrategyParams, load: StrategyLoader = load_strategy
) -> tuple[Strategy, ...]:
    """The enabled strategies, in their configured order (import paths loaded by ``load``)."""
    built: dict[str, Strategy] = {
        TREND: TrendFollower(params.trend),
        MEAN_REVERSION: MeanReversion(params.mean_reversion),
    }
    return tuple(
        built[name] if name in built else load(name, params.custom.get(name, {}))
        for name in params.enabled
    )


class StrategyEngine:
    """Evaluates ``strategies`` for each symbol; pure, so equal inputs give equal signals."""

    def __init__(
        self,
        strategies: Sequence[Strategy],
        *,
        timer: Callable[[], float] = time.process_time,
        time_limit: float = TIME_LIMIT_SECONDS,
    ) -> None:
        self.strategies = tuple(strategies)
        self._timer = timer  # measures only; never a reason for a signal
        self._limit = time_limit

    @classmethod
    def from_params(
        cls,
        params: StrategyParams,
        *,
        time_limit: float = TIME_LIMIT_SECONDS,
        load: StrategyLoader = load_strategy,
    ) -> StrategyEngine:
        """The engine for the configured strategies."""
        return cls(build_strategies(params, load), time_limit=time_limit)

    @property
    def required_candles(self) -> int:
        """Closed candles market data must supply for every strategy to be able to signal."""
        return max((s.required_candles for s in self.strategies), default=0)

    @property
    def time_limit(self) -> float:
        """CPU seconds one strategy may take for one symbol before its answer is refused."""
        return self._limit

    def signals(
        self,
        symbols: Sequence[str],
        snapshots: Mapping[str, MarketSnapshot],
        portfolio: PortfolioView,
        open_orders: Sequence[Order] = (),
    ) -> tuple[Signal, ...]:
        """This cycle's signals, symbol by symbol (see the module docstring)."""
        return self.run(symbols, snapshots, portfolio, open_orders).signals

    def run(
        self,
        symbols: Sequence[str],
        snapshots: Mapping[str, MarketSnapshot],
        portfolio: PortfolioView,
        open_orders: Sequence[Order] = (),
    ) -> StrategyRun:
        """This cycle's signals and the strategies that failed (see the module docstring)."""
        out: list[Signal] = []
        faults: list[StrategyFault] = []
        for symbol in symbols:
            snapshot = snapshots.get(symbol)
            if snapshot is None or not snapshot.tradable:
                continue
            inp = StrategyInput(
                snapshot=snapshot,
                position=portfolio.positions.get(symbol) or PositionView(symbol, ZERO, ZERO),
                open_orders=tuple(o for o in open_orders if o.symbol == symbol),
            )
            candidates: list[Signal | None] = []
            failed = False
            for strategy in self.strategies:
                signal, problem = self._evaluate(strategy, inp)
                if problem is not None:
                    faults.append(StrategyFault(strategy_name(strategy), symbol, problem))
                    failed = True
                candidates.append(signal)
            if not failed:
                out.extend(_merge(candidates))
        return StrategyRun(tuple(out), tuple(faults))

    def _evaluate(self, strategy: Strategy, inp: StrategyInput) -> tuple[Signal | None, str | None]:
        return evaluate_once(strategy, inp, timer=self._timer, limit=self._limit)


def evaluate_once(
    strategy: Strategy, inp: StrategyInput, *, timer: Callable[[], float], limit: float
) -> tuple[Signal | None, str | None]:
    """``strategy``'s answer for ``inp``, or why there is none (see the module docstring).

    The engine's one call of strategy code, also made by a strategy's own process
    (``btcbot.isolation``), so a fault reads the same wherever the strategy ran.
    """
    collecting = gc.isenabled()
    gc.disable()
    started = timer()
    try:
        signal = strategy.evaluate(inp)
    except StrategyProblemError as exc:  # reported by its own process or the watchdog
        return None, str(exc)
    except USER_CODE_FAULTS as exc:  # a strategy's bug must not stop the others (or LIVE)
        return None, f"raised {type(exc).__name__}: {exc}"
    finally:
        took = timer() - started
        if collecting:
            gc.enable()
    if took > limit:
        return None, f"took {took:.2f} s of CPU (limit {limit:g} s)"
    problem = signal_problem(signal, inp.symbol)
    return (None, problem) if problem is not None else (signal, None)


def strategy_name(strategy: Strategy) -> str:
    """``strategy.name``, or its class's name where reading it fails."""
    try:
        return str(strategy.name)
    except USER_CODE_FAULTS:  # even the name of a broken strategy may raise
        return type(strategy).__name__


def signal_problem(signal: object, symbol: str) -> str | None:
    """Why ``signal`` is not a usable answer for ``symbol`` (``None`` when it is)."""
    if signal is None:
        return None
    if not isinstance(signal, Signal):
        return f"returned {type(signal).__name__}, not a Signal or None"
    # Strategy code is not type-checked with ours: every field is looked at as a plain object.
    fields: dict[str, object] = {
        "symbol": signal.symbol,
        "side": signal.side,
        "size_hint": signal.size_hint,
        "as_of": signal.as_of,
        "strategy": signal.strategy,
        "reason": signal.reason,
    }
    checks = (
        (
            fields["symbol"] == symbol,
            f"a signal for {fields['symbol']!r} when asked about {symbol}",
        ),
        (isinstance(fields["side"], Side), f"side {fields['side']!r}, not a Side"),
        (
            _positive(fields["size_hint"]),
            f"size_hint {fields['size_hint']!r}, not a positive Decimal",
        ),
        (_aware(fields["as_of"]), "an as_of that is not an aware datetime"),
        (
            isinstance(fields["strategy"], str) and isinstance(fields["reason"], str),
            "a strategy or reason that is not a str",
        ),
    )
    return next((f"returned {why}" for ok, why in checks if not ok), None)


def _positive(value: object) -> bool:
    return isinstance(value, Decimal) and value.is_finite() and value > 0


def _aware(value: object) -> bool:
    return isinstance(value, datetime) and value.tzinfo is not None


def _merge(candidates: Iterable[Signal | None]) -> list[Signal]:
    signals = [s for s in candidates if s is not None]
    sells = [s for s in signals if s.side is Side.SELL]
    if sells:
        return sells[:1]
    return signals[:1]
