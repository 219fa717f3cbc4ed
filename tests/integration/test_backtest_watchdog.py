"""``btcbot backtest``'s watchdog: a strategy of your own that never returns is interrupted.

In process, in the main thread, as the command runs it, with a half-second CPU limit.
"""

from __future__ import annotations

import threading
import time
from decimal import Decimal

import pytest
from strategy_factories import snapshot

from btcbot.backtest.watchdog import Watchdog
from btcbot.domain.trading import ZERO, PortfolioView
from btcbot.strategy.engine import StrategyEngine
from btcbot.strategy.plugins import load_strategy

OVERRUN = "took over 0.5 s of CPU without returning, so it was interrupted"
MONEY = Decimal(1000)
PORTFOLIO = PortfolioView(MONEY, MONEY, MONEY, ZERO)


def _run(engine: StrategyEngine) -> tuple[tuple[str, str, str], ...]:
    run = engine.run(["BTCTRY"], {"BTCTRY": snapshot([100 + i for i in range(30)])}, PORTFOLIO)
    return tuple((f.strategy, f.symbol, f.problem) for f in run.faults)


@pytest.mark.parametrize("entry", ["faulty_strategies:Hangs", "faulty_strategies:HangsAndSwallows"])
def test_a_strategy_that_never_returns_is_interrupted_as_a_fault(entry: str) -> None:
    """It used to hang ``btcbot backtest`` until Ctrl-C; now it is its symbol's fault."""
    with Watchdog(0.5) as dog:
        hangs = dog.load(entry, {})
        engine = StrategyEngine([load_strategy("btcbot_examples.breakout:Breakout", {}), hangs])
        ((strategy, symbol, problem),) = _run(engine)
    assert (strategy, symbol) == (hangs.name, "BTCTRY")
    assert problem == OVERRUN


def test_the_operators_ctrl_c_still_interrupts() -> None:
    """SIGINT while a watched strategy runs, before its limit: KeyboardInterrupt, as ever."""
    with Watchdog(60) as dog:
        engine = StrategyEngine([dog.load("faulty_strategies:CtrlC", {})])
        with pytest.raises(KeyboardInterrupt):
            _run(engine)


def test_a_watched_strategy_that_returns_answers_as_in_process() -> None:
    """The example through the watchdog: the same signals as without it."""
    params = {"window": 3}
    with Watchdog(60) as dog:
        watched = StrategyEngine([dog.load("btcbot_examples.breakout:Breakout", params)])
        plain = StrategyEngine([load_strategy("btcbot_examples.breakout:Breakout", params)])
        inputs = [snapshot(c) for c in ([100, 100, 100, 120], [100, 100, 100, 90], [1, 2, 3, 4])]
        got = [watched.run(["BTCTRY"], {"BTCTRY": s}, PORTFOLIO) for s in inputs]
        want = [plain.run(["BTCTRY"], {"BTCTRY": s}, PORTFOLIO) for s in inputs]
    assert got == want
    assert any(r.signals for r in got)


def test_a_strategy_that_never_returns_is_interrupted_off_the_main_thread() -> None:
    """As a Dask worker runs a sweep's backtest: on a thread of its own."""
    faults: list[tuple[tuple[str, str, str], ...]] = []
    with Watchdog(0.5) as dog:
        engine = StrategyEngine([dog.load("faulty_strategies:Hangs", {})])
        worker = threading.Thread(target=lambda: faults.append(_run(engine)), daemon=True)
        worker.start()
        worker.join(timeout=30)
    assert not worker.is_alive(), "the strategy was never interrupted"
    assert faults == [(("hangs", "BTCTRY", OVERRUN),)]


def test_after_an_interrupt_the_backtest_goes_on_undisturbed() -> None:
    """Nothing is left to fire later: thousands of calls after one overrun raise nothing."""
    with Watchdog(0.5) as dog:
        hangs = StrategyEngine([dog.load("faulty_strategies:Hangs", {})])
        assert _run(hangs) == (("hangs", "BTCTRY", OVERRUN),)
        breakout = StrategyEngine([dog.load("btcbot_examples.breakout:Breakout", {})])
        started = time.monotonic()
        while time.monotonic() - started < 1.5:  # three of the watch's polls, and more
            assert _run(breakout) == ()
