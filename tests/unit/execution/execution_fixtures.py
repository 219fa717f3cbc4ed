"""Fixtures for the execution unit tests: a fake store, gateway, kill file and the service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from execution_fakes import T0, FakeDb, FakeGateway, KillFile, dry_run_facts, uow_factory

from btcbot.adapters.clock import ManualClock
from btcbot.execution.service import ExecutionService
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts

TTL = timedelta(minutes=5)


class Facts:
    """The arming facts the service sees; tests swap ``current``."""

    def __init__(self) -> None:
        self.current: TradingFacts = dry_run_facts()

    def __call__(self) -> TradingFacts:
        """The facts in force."""
        return self.current


@pytest.fixture
def clock() -> ManualClock:
    """A clock at a fixed instant."""
    return ManualClock(T0)


@pytest.fixture
def db() -> FakeDb:
    """An empty fake database."""
    return FakeDb()


@pytest.fixture
def gateway(clock: ManualClock) -> FakeGateway:
    """An exchange that accepts every order."""
    return FakeGateway(clock)


@pytest.fixture
def kill() -> KillFile:
    """No kill file until a test writes one."""
    return KillFile()


@pytest.fixture
def facts() -> Facts:
    """Dry-run facts that allow trading."""
    return Facts()


@pytest.fixture
def service(
    db: FakeDb, gateway: FakeGateway, kill: KillFile, facts: Facts, clock: ManualClock
) -> ExecutionService:
    """The execution service over the fakes."""
    return ExecutionService(
        gateway=gateway,
        uow_factory=uow_factory(db),
        policy=TradingArmedPolicy(),
        facts=facts,
        kill_probe=kill,
        clock=clock,
        order_ttl=TTL,
    )
