"""Fixtures for the execution unit tests.

Tests are not a package, so a ``conftest.py`` here would clash with other folders' (mypy sees
one module ``conftest``); test modules star-import this module instead. Functions are named
``*_fixture`` and registered under the short name, so test parameters never shadow imports.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from execution_fakes import T0, FakeDb, FakeGateway, KillFile, dry_run_facts, uow_factory

from btcbot.adapters.clock import ManualClock
from btcbot.execution.service import ExecutionService
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts

TTL = timedelta(minutes=5)
__all__ = [
    "TTL",
    "Facts",
    "clock_fixture",
    "db_fixture",
    "facts_fixture",
    "gateway_fixture",
    "kill_fixture",
    "service_fixture",
]


class Facts:
    """The arming facts the service sees; tests swap ``current``."""

    def __init__(self) -> None:
        self.current: TradingFacts = dry_run_facts()

    def __call__(self) -> TradingFacts:
        """The facts in force."""
        return self.current


@pytest.fixture(name="clock")
def clock_fixture() -> ManualClock:
    """A clock at a fixed instant."""
    return ManualClock(T0)


@pytest.fixture(name="db")
def db_fixture() -> FakeDb:
    """An empty fake database."""
    return FakeDb()


@pytest.fixture(name="gateway")
def gateway_fixture(clock: ManualClock) -> FakeGateway:
    """An exchange that accepts every order."""
    return FakeGateway(clock)


@pytest.fixture(name="kill")
def kill_fixture() -> KillFile:
    """No kill file until a test writes one."""
    return KillFile()


@pytest.fixture(name="facts")
def facts_fixture() -> Facts:
    """Dry-run facts that allow trading."""
    return Facts()


@pytest.fixture(name="service")
def service_fixture(
    db: FakeDb, gateway: FakeGateway, kill: KillFile, facts: Facts, clock: ManualClock
) -> ExecutionService:
    """The execution service over the fakes."""
    return make_service(db, gateway, kill, facts, clock)


def make_service(  # noqa: PLR0917 - the fixtures it is built from
    db: FakeDb,
    gateway: FakeGateway,
    kill: KillFile,
    facts: Facts,
    clock: ManualClock,
    order_ttl: timedelta = TTL,
) -> ExecutionService:
    """An execution service over the fakes, with ``order_ttl``."""
    return ExecutionService(
        gateway=gateway,
        uow_factory=uow_factory(db),
        policy=TradingArmedPolicy(),
        facts=facts,
        kill_probe=kill,
        clock=clock,
        order_ttl=order_ttl,
    )
