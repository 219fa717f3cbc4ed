"""Run as a script: load ``faulty_strategies:Hangs`` in isolation, then ask it.

Run with ``tests/support`` on ``PYTHONPATH``. Prints the strategy process's pid, then waits on
its answer for an hour: the test kills this process meanwhile and checks that the strategy's
process does not outlive it.
"""

from __future__ import annotations

from strategy_factories import snapshot

from btcbot.domain.trading import ZERO, PositionView
from btcbot.isolation.host import Isolation
from btcbot.settings import SECRET_VARIABLES
from btcbot.strategy.protocols import StrategyInput

with Isolation(secret_names=SECRET_VARIABLES, answer_seconds=3600) as isolation:
    strategy = isolation.load("faulty_strategies:Hangs", {})
    print(isolation.pids[0], flush=True)  # noqa: T201 -- read by the test
    strategy.evaluate(StrategyInput(snapshot([1, 2, 3]), PositionView("BTCTRY", ZERO, ZERO)))
