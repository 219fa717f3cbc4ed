"""The strategy guard: a raising, malformed or slow strategy is a named fault; others go on."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from strategy_factories import snapshot

from btcbot.domain.enums import Side
from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import PortfolioView, Signal
from btcbot.settings.parsing import SettingValueError, parse_strategies
from btcbot.strategy.engine import TIME_LIMIT_SECONDS, StrategyEngine
from btcbot.strategy.plugins import load_strategy
from btcbot.strategy.protocols import StrategyInput

EMPTY = PortfolioView(Decimal(0), Decimal(0), Decimal(0), Decimal(0), {})
SNAPS = {"BTCTRY": snapshot([100] * 3), "ETHTRY": snapshot([100] * 3, symbol="ETHTRY")}


@dataclass(frozen=True)
class Buys:
    """Always a buy of 1 TRY."""

    name: str = "buys"
    required_candles: int = 0

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """A buy."""
        return Signal(inp.symbol, Side.BUY, Decimal(1), "always", self.name, inp.as_of)


@dataclass(frozen=True)
class Answers:
    """Answers ``value`` for ``symbol`` (or raises it), a well-formed buy elsewhere."""

    value: object
    symbol: str = "BTCTRY"
    name: str = "odd"
    required_candles: int = 0

    def evaluate(self, inp: StrategyInput) -> object:
        """The odd answer for ``symbol``."""
        if inp.symbol != self.symbol:
            return None
        if isinstance(self.value, BaseException):
            raise self.value
        return self.value


def _signal(**over: object) -> Signal:
    fields: dict[str, object] = {
        "symbol": "BTCTRY",
        "side": Side.BUY,
        "size_hint": Decimal(1),
        "reason": "r",
        "strategy": "odd",
        "as_of": SNAPS["BTCTRY"].taken_at,
    }
    fields.update(over)
    return Signal(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (ZeroDivisionError("bug"), "raised ZeroDivisionError: bug"),
        (SystemExit(7), "raised SystemExit: 7"),  # sys.exit(7) ended the LIVE loop, exit 7
        ("buy!", "returned str, not a Signal or None"),
        (_signal(symbol="ETHTRY"), "a signal for 'ETHTRY' when asked about BTCTRY"),
        (_signal(side="buy"), "side 'buy', not a Side"),
        (_signal(size_hint=Decimal(-1)), "size_hint Decimal('-1'), not a positive Decimal"),
        (_signal(size_hint=Decimal("NaN")), "not a positive Decimal"),
        (_signal(size_hint=5), "size_hint 5, not a positive Decimal"),
        (_signal(as_of="today"), "an as_of that is not an aware datetime"),
    ],
)
def test_a_bad_answer_is_a_named_fault_and_only_its_symbol_observes(
    value: object, problem: str
) -> None:
    """BTCTRY gets no signal (not even the good strategy's); ETHTRY trades as usual."""
    engine = StrategyEngine([Buys(), Answers(value)])  # type: ignore[list-item]
    run = engine.run(["BTCTRY", "ETHTRY"], SNAPS, EMPTY)
    assert [s.symbol for s in run.signals] == ["ETHTRY"]
    assert len(run.faults) == 1
    fault = run.faults[0]
    assert (fault.strategy, fault.symbol) == ("odd", "BTCTRY")
    assert problem in fault.problem
    assert fault.line().startswith("strategy odd failed on BTCTRY: ")


def test_a_slow_strategy_is_a_fault() -> None:
    """Over the time limit (measured by the injected timer) the answer is not used."""
    ticks: Iterator[float] = iter([0.0, TIME_LIMIT_SECONDS + 0.5, 10.0, 10.0])
    engine = StrategyEngine([Buys()], timer=lambda: next(ticks))
    run = engine.run(["BTCTRY", "ETHTRY"], SNAPS, EMPTY)
    assert [s.symbol for s in run.signals] == ["ETHTRY"]
    assert "took 1.50 s of CPU (limit 1 s)" in run.faults[0].problem


def test_strategies_accepts_import_paths_and_keeps_their_case() -> None:
    """Built-in names are case-insensitive, import paths are kept as written."""
    assert parse_strategies("Trend, my_pkg.Mod:MyStrategy") == ("trend", "my_pkg.Mod:MyStrategy")
    for bad in ("trend,trend", "pkg:", "pkg.mod:Class:More", "1pkg:X", "nope"):
        with pytest.raises(SettingValueError, match="STRATEGIES"):
            parse_strategies(bad)


def test_a_keyboard_interrupt_inside_a_strategy_is_the_operators_and_passes() -> None:
    """Ctrl-C while strategy code runs stops the process as anywhere else."""
    engine = StrategyEngine([Answers(KeyboardInterrupt())])  # type: ignore[list-item]
    with pytest.raises(KeyboardInterrupt):
        engine.run(["BTCTRY"], SNAPS, EMPTY)


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        ("exits_on_import:Strategy", "exits_on_import:Strategy cannot be imported (SystemExit: 3)"),
        ("faulty_strategies:ExitsWhenBuilt", "refused its parameters {} (SystemExit: 5)"),
        ("faulty_strategies:NameRaises", "is not a strategy: it needs a non-empty str 'name'"),
    ],
)
def test_strategy_code_that_exits_or_raises_while_loading_is_refused(
    entry: str, expected: str
) -> None:
    """One ConfigError naming the entry (exit 2), not a silent exit or an internal error."""
    with pytest.raises(ConfigError) as refused:
        load_strategy(entry, {})
    assert expected in str(refused.value)
