"""LIVE startup reconciliation runs the reconciler's startup pass with its long window."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from cycle_fakes import market_data
from execution_fakes import T0, FakeDb, FakeReader, exchange_order, uow_factory

from btcbot.adapters.clock import ManualClock
from btcbot.decision import Decision, LedgerView
from btcbot.domain.enums import OrderStatus
from btcbot.domain.errors import ExchangeUnavailableError
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.trading import ApprovedOrderIntent
from btcbot.execution.report import ExecutionReport
from btcbot.market_data.service import MarketDataResult
from btcbot.services.cycle import BookFigures, CycleCommit, CycleParts, LiveCycle
from btcbot.services.reconciliation import ReconciliationService


class _Rest:
    """Every part but reconciliation: no market data, no decisions, books that just record."""

    def __init__(self) -> None:
        self.opened = False
        self.records: list[CycleCommit] = []

    def snapshots(self, symbols: Sequence[str]) -> MarketDataResult:
        """No market data."""
        del symbols
        return market_data()

    def with_books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> Mapping[str, MarketSnapshot]:
        """Never reached: nothing is decided."""
        del snapshots, symbols
        raise AssertionError("no order book expected")

    def __call__(
        self, view: LedgerView, snapshots: Mapping[str, MarketSnapshot], now: datetime
    ) -> Decision:
        """Never reached in these tests."""
        del view, snapshots, now
        raise AssertionError("no decision expected")

    def cancel_stale(self, cycle_id: str) -> ExecutionReport:
        """Never reached in these tests."""
        del cycle_id
        raise AssertionError("no execution expected")

    def execute(self, cycle_id: str, intents: Sequence[ApprovedOrderIntent]) -> ExecutionReport:
        """Never reached in these tests."""
        del cycle_id, intents
        raise AssertionError("no execution expected")

    def cancel_all_open(self, cycle_id: str, why: str) -> ExecutionReport:
        """Nothing to cancel."""
        del cycle_id, why
        return ExecutionReport()

    def view(self) -> LedgerView:
        """Never reached in these tests."""
        raise AssertionError("no decision expected")

    def ensure_open(self) -> None:
        """Remember the books were opened."""
        self.opened = True

    def close_cycle(self, record: CycleCommit) -> BookFigures:
        """Keep the record."""
        self.records.append(record)
        zero = Decimal(0)
        return BookFigures(zero, zero, zero, zero, zero)


def _cycle(reader: FakeReader, db: FakeDb, rest: _Rest) -> LiveCycle:
    clock = ManualClock(T0)
    service = ReconciliationService(reader=reader, uow_factory=uow_factory(db), clock=clock)
    parts = CycleParts(
        clock=clock,
        symbols=("BTCTRY",),
        reconciler=service,
        account=None,
        book=rest,
        market=rest,
        decide=rest,
        execution=rest,
        kill_probe=lambda: None,
    )
    return LiveCycle(parts, tag="t")


def test_startup_finds_an_order_from_days_ago() -> None:
    """After three days down, startup adopts an order filled then (a 1-hour window misses it)."""
    reader, db, rest = FakeReader(), FakeDb(), _Rest()
    old = T0 - timedelta(days=3)
    reader.orders[501] = exchange_order(
        501, "bb-gone1-0-BTCTRY-b", status=OrderStatus.FILLED, left="0", created_at=old
    )
    cycle = _cycle(reader, db, rest)
    assert cycle.startup()
    assert rest.opened
    assert [o.exchange_order_id for o in db.committed.orders.values()] == [501]


def test_a_refused_startup_observes_with_the_verdicts_reason() -> None:
    """When the exchange cannot be read the cycle only observes and names the refusal's cause."""
    reader, db, rest = FakeReader(), FakeDb(), _Rest()
    reader.failure = ExchangeUnavailableError("503", endpoint="GET /api/v1/allOrders")
    cycle = _cycle(reader, db, rest)
    assert not cycle.startup()
    assert not rest.opened
    outcome = cycle(1)
    assert outcome.observe_only is not None
    assert outcome.observe_only.startswith("startup reconciliation failed, trading refused")
    assert rest.records[-1].observe_only_reason == outcome.observe_only
