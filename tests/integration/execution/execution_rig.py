"""The real pieces wired for execution tests: emulator in process, BtcturkClient, SQLite, services.

``open_rig`` builds everything once; ``Rig.restart()`` throws the client and services away and
builds new ones over the same database file and the same emulator state -- what a process
restart looks like from the exchange's and the database's point of view.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from functools import cache
from pathlib import Path

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import ExchangeKind, OrderMethod, Role, Side
from btcbot.domain.records import AuditContext
from btcbot.domain.trading import ApprovedOrderIntent, OrderIntent
from btcbot.exchange.client import BtcturkClient
from btcbot.exchange.session import RetryPolicy
from btcbot.exchange.transport import EmulatorTransport
from btcbot.execution.service import ExecutionService
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts
from btcbot.services.reconciliation import ReconciliationService, ReconciliationSettings
from btcbot.sim.app import SimApp, create_app
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET
from btcbot.sim.datasets import load_feeds
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.faults import FaultPlan
from btcbot.sim.feed import Bar
from btcbot.state.migrate import migrate
from btcbot.state.repositories.trading_uow import TradingUnitOfWork, trading_uow_factory
from btcbot.state.sqlite import connect

START = datetime(2026, 9, 23, 12, 0, tzinfo=UTC)
TTL = timedelta(minutes=10)
RECON = ReconciliationSettings(absent_passes=3, settle=timedelta(seconds=30))
DRY_RUN = TradingFacts(
    role=Role.LIVE,
    live_trading=False,
    ack=False,
    safe_mode=False,
    kill_switch=False,
    armed=False,
    kill_file_present=False,
    exchange=ExchangeKind.SIM,
)


@cache
def _feeds() -> dict[str, list[Bar]]:
    return load_feeds()


class KillFile:
    """A kill-switch probe the test engages."""

    def __init__(self) -> None:
        self.reason: str | None = None

    def __call__(self) -> str | None:
        """The kill file's reason, if one is present."""
        return self.reason


@dataclass
class Rig:
    """Emulator, client, database and the two services under test."""

    clock: ManualClock
    sim: SimExchange
    app: SimApp
    db_path: Path
    kill: KillFile = field(default_factory=KillFile)
    generation: int = 0
    client: BtcturkClient = field(init=False)
    execution: ExecutionService = field(init=False)
    reconciler: ReconciliationService = field(init=False)

    def __post_init__(self) -> None:
        self._build()

    def _build(self) -> None:
        self.generation += 1
        self.client = BtcturkClient(
            base_url="http://127.0.0.1",
            graph_url="http://127.0.0.1/graph",
            api_key=DEFAULT_API_KEY,
            api_secret=DEFAULT_API_SECRET,
            clock=self.clock,
            transport=EmulatorTransport(self.app),
            retry_policy=RetryPolicy(attempts=1),
        )
        audit = AuditContext(Role.LIVE, f"test-instance-{self.generation}", "cfg-hash")
        factory = trading_uow_factory(lambda: connect(self.db_path), audit)
        self.execution = ExecutionService(
            gateway=self.client,
            uow_factory=factory,
            policy=TradingArmedPolicy(),
            facts=lambda: DRY_RUN,
            kill_probe=self.kill,
            clock=self.clock,
            order_ttl=TTL,
        )
        self.reconciler = ReconciliationService(
            reader=self.client, uow_factory=factory, clock=self.clock, settings=RECON
        )

    def restart(self) -> None:
        """A new process: fresh client and services over the same database and exchange."""
        self.client.close()
        self._build()

    def uow(self) -> TradingUnitOfWork:
        """A unit of work on the test's database, for assertions."""
        audit = AuditContext(Role.LIVE, "test-reader", "cfg-hash")
        return TradingUnitOfWork(lambda: connect(self.db_path), audit)

    def exchange_client_ids(self) -> Counter[str]:
        """How many orders the exchange holds per client id."""
        return Counter(o.client_id for o in self.sim.orders.values())

    def intent(
        self,
        index: int,
        *,
        symbol: str = "BTCTRY",
        side: Side = Side.BUY,
        offset: str = "-0.02",
        notional: int = 1000,
    ) -> ApprovedOrderIntent:
        """A limit intent ``offset`` (a fraction) from the current price, worth ``notional`` TRY."""
        spec = self.sim.pairs[symbol]
        price = (self.sim.price(symbol) * (1 + Decimal(offset))).quantize(
            spec.price_quantum, rounding=ROUND_DOWN
        )
        quantum = Decimal(1).scaleb(-spec.numerator_scale)
        quantity = (Decimal(notional) / price).quantize(quantum, rounding=ROUND_DOWN)
        return ApprovedOrderIntent(
            index=index,
            intent=OrderIntent(
                symbol=symbol,
                side=side,
                method=OrderMethod.LIMIT,
                price=price,
                quantity=quantity,
                strategy="test",
                reason="integration test",
            ),
        )


@contextmanager
def open_rig(tmp_path: Path, *, faults: str = "", config: SimConfig | None = None) -> Iterator[Rig]:
    """A migrated database in ``tmp_path`` and an emulator with the bundled candles."""
    clock = ManualClock(START)
    db_path = tmp_path / "live.db"
    conn = connect(db_path, create=True)
    try:
        migrate(conn, db_path, now=clock.now())
    finally:
        conn.close()
    sim = SimExchange(_feeds(), now=clock.now, config=config)
    app = create_app(sim, FaultPlan.parse(faults), rate_limits=False, sleep=lambda _s: None)
    rig = Rig(clock=clock, sim=sim, app=app, db_path=db_path)
    try:
        yield rig
    finally:
        rig.client.close()
