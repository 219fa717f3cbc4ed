"""Strategies of your own in processes of their own (``btcbot.isolation``), as LIVE runs them.

Each test asks a real child process through ``Isolation``, with short deadlines so a hang costs
a second, not the five LIVE allows.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import psutil
import pytest
from strategy_factories import snapshot

from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import ZERO, PortfolioView, PositionView
from btcbot.isolation.host import Isolation
from btcbot.settings import SECRET_VARIABLES
from btcbot.strategy.engine import StrategyEngine, StrategyProblemError
from btcbot.strategy.plugins import load_strategy
from btcbot.strategy.protocols import StrategyInput

SUPPORT = Path(__file__).parents[1] / "support"
FLAT = PositionView("BTCTRY", ZERO, ZERO)


def _inputs() -> list[StrategyInput]:
    """Rising, falling and flat closes: the breakout signals on some and not on others."""
    runs = [
        [100 + i for i in range(12)],
        [100 - i for i in range(12)],
        [100] * 12,
        [100, 101, 99, 102, 98, 104, 97, 110, 96, 120, 95, 130],
    ]
    held = PositionView("BTCTRY", Decimal("0.5"), Decimal(100))
    return [StrategyInput(snapshot(closes), pos) for closes in runs for pos in (FLAT, held)]


def test_a_strategy_answers_from_its_process_as_it_does_in_process() -> None:
    """The same signals, field for field, for the example strategy over varied inputs."""
    params = {"window": 3}
    local = load_strategy("btcbot_examples.breakout:Breakout", params)
    with Isolation(secret_names=SECRET_VARIABLES) as isolation:
        remote = isolation.load("btcbot_examples.breakout:Breakout", params)
        assert (remote.name, remote.required_candles) == (local.name, local.required_candles)
        pairs = [(remote.evaluate(inp), local.evaluate(inp)) for inp in _inputs()]
    assert pairs == [(b, b) for _, b in pairs]
    assert any(b is not None for _, b in pairs), "the inputs never made the breakout signal"


def test_a_strategy_that_never_returns_is_stopped_and_not_asked_again() -> None:
    """Stopped at its deadline (its process gone); later calls fail at once, unasked."""
    with Isolation(secret_names=SECRET_VARIABLES, answer_seconds=0.5) as isolation:
        strategy = isolation.load("faulty_strategies:Hangs", {})
        (pid,) = isolation.pids
        started = time.monotonic()
        with pytest.raises(StrategyProblemError, match=r"did not answer within 0\.5 s"):
            strategy.evaluate(_inputs()[0])
        assert time.monotonic() - started < 5
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == "zombie"
        started = time.monotonic()
        with pytest.raises(StrategyProblemError, match="not run again until btcbot restarts"):
            strategy.evaluate(_inputs()[0])
        assert time.monotonic() - started < 0.5  # not asked: no second wait


def test_the_engine_reports_a_stopped_strategy_as_its_symbols_fault() -> None:
    """The LIVE engine's view: a fault naming the strategy; the other strategy still runs."""
    with Isolation(secret_names=SECRET_VARIABLES, answer_seconds=0.5) as isolation:
        hangs = isolation.load("faulty_strategies:Hangs", {})
        engine = StrategyEngine([load_strategy("btcbot_examples.breakout:Breakout", {}), hangs])
        inp = _inputs()[0]
        money = Decimal(1000)
        run = engine.run(
            ["BTCTRY"], {"BTCTRY": inp.snapshot}, PortfolioView(money, money, money, ZERO)
        )
    assert run.signals == ()
    (fault,) = run.faults
    assert (fault.strategy, fault.symbol) == ("hangs", "BTCTRY")
    assert "did not answer within 0.5 s" in fault.problem


def test_a_refusal_at_load_reads_as_it_does_in_process() -> None:
    """``sys.exit`` in a constructor: the same ConfigError text from the child."""
    with pytest.raises(ConfigError) as local:
        load_strategy("faulty_strategies:ExitsWhenBuilt", {})
    with Isolation(secret_names=SECRET_VARIABLES) as isolation, pytest.raises(ConfigError) as got:
        isolation.load("faulty_strategies:ExitsWhenBuilt", {})
    assert str(got.value) == str(local.value)


def test_a_module_whose_import_never_ends_is_refused_in_time() -> None:
    """LIVE would never have started its first cycle; now it is refused, exit 2."""
    with Isolation(secret_names=SECRET_VARIABLES, load_seconds=2) as isolation:
        started = time.monotonic()
        with pytest.raises(ConfigError, match=r"hangs_on_import:S did not load: did not answer"):
            isolation.load("hangs_on_import:S", {})
        assert time.monotonic() - started < 10


def test_the_api_secret_is_not_in_a_strategys_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """LIVE's key and secret are kept from the child: a strategy has no use for them."""
    monkeypatch.setenv("BTCTURK_API_SECRET", "not-a-real-secret")
    monkeypatch.setenv("BTCTURK_API_KEY", "not-a-real-key")
    with Isolation(secret_names=SECRET_VARIABLES) as isolation:
        strategy = isolation.load("faulty_strategies:ReadsSecrets", {})
        assert strategy.evaluate(_inputs()[0]) is None


def test_a_strategys_process_ends_when_its_live_process_is_killed() -> None:
    """LIVE killed outright while its strategy spins: the spinning process follows it."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([*sys.path, env.get("PYTHONPATH", "")])
    parent = subprocess.Popen(
        [sys.executable, str(SUPPORT / "isolated_hang.py")],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert psutil.pid_exists(child)
        time.sleep(0.5)  # the strategy is spinning now
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the strategy's process outlived the LIVE process"


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_a_process_that_cannot_start_is_a_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    """No interpreter to start (a broken install): one line, exit 2, not a traceback."""
    monkeypatch.setattr(sys, "executable", str(SUPPORT / "no-such-python"))
    with (
        Isolation(secret_names=SECRET_VARIABLES) as isolation,
        pytest.raises(ConfigError, match=r"Breakout: its process could not start \(No such file"),
    ):
        isolation.load("btcbot_examples.breakout:Breakout", {})
