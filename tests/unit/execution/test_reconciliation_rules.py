"""Reconciliation over fakes: resolve by client id, adopt strangers, fills once, NOT_PLACED."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from execution_fakes import (
    T0,
    FakeDb,
    FakeGateway,
    FakeReader,
    approved,
    exchange_order,
    fill,
    tracked_order,
    uow_factory,
)
from execution_fixtures import *  # noqa: F403 - the shared fixtures (no conftest: see its docstring)

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.errors import (
    AmbiguousOrderError,
    ExchangeRejectError,
    ExchangeUnavailableError,
    MalformedResponseError,
)
from btcbot.domain.models import Fill, Order, OrderAck, OrderRequest
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.domain.trading import TradingState
from btcbot.execution.service import ExecutionService
from btcbot.observability.audit import AuditKind
from btcbot.services.reconciliation import ReconciliationService, ReconciliationSettings

SETTINGS = ReconciliationSettings(absent_passes=3, settle=timedelta(seconds=30))


@pytest.fixture
def reader() -> _CountingReader:
    """An exchange with no orders yet, recording every read (the request budget)."""
    return _CountingReader()


@pytest.fixture
def reconciler(reader: _CountingReader, db: FakeDb, clock: ManualClock) -> ReconciliationService:
    """Reconciliation over the fakes."""
    return ReconciliationService(
        reader=reader, uow_factory=uow_factory(db), clock=clock, settings=SETTINGS
    )


def _ambiguous_submit(
    service: ExecutionService, gateway: FakeGateway, cycle: str, symbol: str = "BTCTRY"
) -> str:
    def timeout(request: OrderRequest) -> OrderAck:
        raise AmbiguousOrderError(
            "timeout", endpoint="POST /api/v1/order", client_order_id=request.client_order_id
        )

    gateway.on_submit = timeout
    cid = service.execute(cycle, [approved(0, symbol)]).submits[0].client_order_id
    gateway.on_submit = gateway.accept
    return cid


def test_unknown_order_found_by_client_id_becomes_open(
    service: ExecutionService,
    gateway: FakeGateway,
    reader: FakeReader,
    reconciler: ReconciliationService,
    db: FakeDb,
) -> None:
    """An UNKNOWN order present on the exchange adopts its exchange id and status.

    The report names it as updated and counts it as the bot's one resting order.
    """
    cid = _ambiguous_submit(service, gateway, "c1")
    reader.orders[77] = exchange_order(77, cid)
    report = reconciler.reconcile("c2", ["BTCTRY"])
    order = db.committed.orders[cid]
    assert (order.state, order.exchange_order_id) == (LocalOrderState.OPEN, 77)
    assert report.unresolved_symbols == frozenset()
    assert report.adopted == ()
    assert report.updated == (cid,)
    assert report.open_orders == 1


def test_closed_maps_to_filled_and_partial_to_partially_filled(
    service: ExecutionService, reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """BtcTurk's Closed becomes FILLED, Partial becomes PARTIALLY_FILLED with the filled amount."""
    first = service.execute("c1", [approved(0)]).submits[0]
    second = service.execute("c1b", [approved(0)]).submits[0]
    assert first.exchange_order_id is not None
    assert second.exchange_order_id is not None
    reader.orders[first.exchange_order_id] = exchange_order(
        first.exchange_order_id, first.client_order_id, status=OrderStatus.FILLED, left="0"
    )
    reader.orders[second.exchange_order_id] = exchange_order(
        second.exchange_order_id,
        second.client_order_id,
        status=OrderStatus.PARTIALLY_FILLED,
        left="0.006",
    )
    reconciler.reconcile("c2", ["BTCTRY"])
    done, part = (
        db.committed.orders[first.client_order_id],
        db.committed.orders[second.client_order_id],
    )
    assert done.state is LocalOrderState.FILLED
    assert part.state is LocalOrderState.PARTIALLY_FILLED
    assert str(part.filled_quantity) == "0.004"


def test_an_order_of_ours_the_database_lost_is_adopted_once(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """An exchange order with the bot's client-id format but no row is adopted, only once."""
    reader.orders[500] = exchange_order(500, "bb-lost1-0-BTCTRY-b")
    first = reconciler.reconcile("c1", ["BTCTRY"])
    second = reconciler.reconcile("c2", ["BTCTRY"])
    adopted = db.committed.orders["adopted-500"]
    assert first.adopted == ("adopted-500",)
    assert second.adopted == ()
    assert adopted.origin is OrderOrigin.ADOPTED
    assert adopted.exchange_client_id == "bb-lost1-0-BTCTRY-b"
    assert [(e.kind, e.detail["exchange_order_id"]) for e in db.committed.audit] == [
        (AuditKind.ORDER_ADOPTED, 500)
    ]


@pytest.mark.parametrize("client_id", ["manual-by-operator", "BtcTurk API", None])
def test_a_foreign_order_is_recorded_apart_and_never_adopted(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb, client_id: str | None
) -> None:
    """Not the bot's client-id format: a foreign order, reported once, its trade not a fill."""
    reader.orders[500] = exchange_order(500, client_id, status=OrderStatus.FILLED, left="0")
    reader.trades = [fill(1, 500)]
    first = reconciler.reconcile("c1", ["BTCTRY"])
    second = reconciler.reconcile("c2", ["BTCTRY"])
    assert first.foreign == (500,)
    assert second.foreign == ()
    assert first.adopted == ()
    assert first.new_fills == ()
    assert db.committed.orders == {}
    assert db.committed.fills == {}
    assert sorted(db.committed.foreign) == [500]
    legs = sorted(db.committed.movements)
    assert legs == ["trade-1-BTC", "trade-1-TRY"]
    assert db.committed.movements["trade-1-BTC"].delta == Decimal("0.004")
    assert db.committed.movements["trade-1-TRY"].delta == Decimal("-12014.16")


def test_fills_are_returned_once_across_passes(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """The same trade seen by two passes is stored and reported once."""
    reader.orders[500] = exchange_order(
        500, "bb-lost1-0-BTCTRY-b", status=OrderStatus.FILLED, left="0"
    )
    reader.trades = [fill(1, 500), fill(2, 500, "0.006")]
    first = reconciler.reconcile("c1", ["BTCTRY"])
    second = reconciler.reconcile("c2", ["BTCTRY"])
    assert [f.trade_id for f in first.new_fills] == [1, 2]
    assert second.new_fills == ()
    assert sorted(db.committed.fills) == [1, 2]


def test_absent_unknown_becomes_not_placed_after_the_bound(
    service: ExecutionService,
    gateway: FakeGateway,
    reconciler: ReconciliationService,
    db: FakeDb,
    clock: ManualClock,
) -> None:
    """An UNKNOWN order missing from three settled, complete passes becomes NOT_PLACED."""
    cid = _ambiguous_submit(service, gateway, "c1")
    reconciler.reconcile("early", ["BTCTRY"])  # too young: does not count
    assert db.committed.orders[cid].absent_checks == 0
    clock.advance(SETTINGS.settle.total_seconds())
    states, stamps = [], []
    for n in range(3):
        clock.advance(1)
        report = reconciler.reconcile(f"p{n}", ["BTCTRY"])
        order = db.committed.orders[cid]
        states.append((order.state, order.absent_checks))
        stamps.append(order.updated_at == clock.now())
    assert states == [
        (LocalOrderState.UNKNOWN, 1),
        (LocalOrderState.UNKNOWN, 2),
        (LocalOrderState.NOT_PLACED, 3),
    ]
    assert stamps == [True, True, True]  # each counted absence is a change of the row
    lines = [
        (e.event, e.detail, c)
        for e, c in zip(db.committed.events, db.committed.event_cycles, strict=True)
        if e.client_order_id == cid and c is not None and c.startswith("p")
    ]
    assert lines == [
        ("absent", "absent from 1 passes", "p0"),
        ("absent", "absent from 2 passes", "p1"),
        ("not_placed", "absent from 3 passes", "p2"),
    ]
    assert report.not_placed == (cid,)
    assert report.unresolved_symbols == frozenset()
    assert [(e.kind, e.detail["client_order_id"]) for e in db.committed.audit] == [
        (AuditKind.ORDER_NOT_PLACED, cid)
    ]


def test_truncated_history_never_counts_as_absence(
    service: ExecutionService,
    gateway: FakeGateway,
    reader: FakeReader,
    db: FakeDb,
    clock: ManualClock,
) -> None:
    """When allOrders hits its limit the window may be incomplete, so nothing is marked absent."""
    cid = _ambiguous_submit(service, gateway, "c1")
    for n in range(2):
        reader.orders[900 + n] = exchange_order(900 + n, f"other-{n}", status=OrderStatus.CANCELED)
    narrow = ReconciliationService(
        reader=reader,
        uow_factory=uow_factory(db),
        clock=clock,
        settings=replace(SETTINGS, all_orders_limit=2),
    )
    clock.advance(3600)
    for n in range(5):
        narrow.reconcile(f"p{n}", ["BTCTRY"])
    assert db.committed.orders[cid].state is LocalOrderState.UNKNOWN


def test_cancel_requested_stays_until_exchange_confirms(
    service: ExecutionService, reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """An async cancel keeps CANCEL_REQUESTED while the order still shows open, then CANCELED."""
    sub = service.execute("c1", [approved(0)]).submits[0]
    assert sub.exchange_order_id is not None
    reader.orders[sub.exchange_order_id] = exchange_order(
        sub.exchange_order_id, sub.client_order_id
    )
    service.cancel_all_open("c2", "disarm")
    reconciler.reconcile("c3", ["BTCTRY"])
    pending = db.committed.orders[sub.client_order_id].state
    reader.orders[sub.exchange_order_id] = exchange_order(
        sub.exchange_order_id, sub.client_order_id, status=OrderStatus.CANCELED
    )
    reconciler.reconcile("c4", ["BTCTRY"])
    assert pending is LocalOrderState.CANCEL_REQUESTED
    assert db.committed.orders[sub.client_order_id].state is LocalOrderState.CANCELED


def test_triggered_stop_follows_the_spawned_order(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb, clock: ManualClock
) -> None:
    """A triggered stop's new order (same client id, new id) is followed, not adopted."""
    cid = "bb-c1-0-BTCTRY-b"
    db.committed.orders[cid] = tracked_order(
        cid,
        LocalOrderState.OPEN,
        clock.now(),
        method=OrderMethod.STOP_LIMIT,
        exchange_order_id=10,
    )
    reader.orders[10] = exchange_order(
        10, cid, method=OrderMethod.STOP_LIMIT, status=OrderStatus.CANCELED
    )
    reader.orders[11] = exchange_order(11, cid)
    report = reconciler.reconcile("c2", ["BTCTRY"])
    again = reconciler.reconcile("c3", ["BTCTRY"])
    # A startup pass searches the whole history: the cancelled leg is seen again, and is
    # recognised as the stop's spent leg, neither adopted nor followed back.
    # An order of ours whose intent was lost, listed after the leg, is still adopted.
    reader.orders[12] = exchange_order(12, "bb-lost1-0-BTCTRY-b")
    restart = reconciler.startup("c4", ["BTCTRY"])
    order = db.committed.orders[cid]
    assert report.adopted == again.adopted == ()
    assert restart.report is not None
    assert restart.report.adopted == ("adopted-12",)
    lines = [
        (e.client_order_id, e.event, e.detail, c)
        for e, c in zip(db.committed.events, db.committed.event_cycles, strict=True)
    ]
    assert lines == [
        (cid, "reconciled", "exchange id 10 status canceled filled 0.00 of 0.01", "c2"),
        (cid, "reconciled", "exchange id 11 status open filled 0.00 of 0.01", "c2"),
        ("adopted-12", "adopted", "exchange id 12 status open filled 0.00 of 0.01", "c4"),
    ]
    assert (order.exchange_order_id, order.state) == (11, LocalOrderState.OPEN)


def test_startup_failure_refuses_trading_with_the_reason(
    reconciler: ReconciliationService, reader: FakeReader
) -> None:
    """If the startup pass cannot reach the exchange, trading is refused and the reason given."""
    reader.failure = ExchangeUnavailableError("503 maintenance", endpoint="GET /api/v1/allOrders")
    verdict = reconciler.startup("c0", ["BTCTRY"])
    assert not verdict.trading_allowed
    assert verdict.reason is not None
    assert "503 maintenance" in verdict.reason


def test_startup_success_allows_trading(reconciler: ReconciliationService) -> None:
    """A clean startup pass allows trading and carries its report."""
    verdict = reconciler.startup("c0", ["BTCTRY"])
    assert verdict.trading_allowed
    assert verdict.report is not None


def test_startup_looks_further_back_than_a_cycle(
    reader: FakeReader, reconciler: ReconciliationService, clock: ManualClock
) -> None:
    """A finished stranger older than the per-cycle window is still adopted at startup."""
    old = clock.now() - SETTINGS.lookback - timedelta(hours=2)
    reader.orders[600] = exchange_order(
        600, "bb-old1-0-BTCTRY-b", status=OrderStatus.FILLED, created_at=old
    )
    routine = reconciler.reconcile("c1", ["BTCTRY"])
    verdict = reconciler.startup("c2", ["BTCTRY"])
    assert routine.adopted == ()
    assert verdict.report is not None
    assert verdict.report.adopted == ("adopted-600",)


def test_narrow_search_settles_an_unknown_when_history_is_truncated(
    service: ExecutionService,
    gateway: FakeGateway,
    reader: FakeReader,
    db: FakeDb,
    clock: ManualClock,
) -> None:
    """A truncated window is searched again around the order's creation, which can settle it."""
    for n in range(2):
        early = clock.now() - timedelta(minutes=30)
        reader.orders[900 + n] = exchange_order(
            900 + n, f"other-{n}", status=OrderStatus.CANCELED, created_at=early
        )
    cid = _ambiguous_submit(service, gateway, "c1")
    narrow = ReconciliationService(
        reader=reader,
        uow_factory=uow_factory(db),
        clock=clock,
        settings=replace(SETTINGS, all_orders_limit=2),
    )
    clock.advance(SETTINGS.settle.total_seconds())
    for n in range(SETTINGS.absent_passes):
        narrow.reconcile(f"p{n}", ["BTCTRY"])
    assert db.committed.orders[cid].state is LocalOrderState.NOT_PLACED


@pytest.mark.parametrize(
    ("quantity", "left"), [("0", "0"), ("0.01", "0.02"), ("0.01", "-0.001")], ids=str
)
def test_a_bad_order_row_is_quarantined_and_never_moves_the_order(  # noqa: PLR0917 - fixtures
    service: ExecutionService,
    gateway: FakeGateway,
    reader: FakeReader,
    reconciler: ReconciliationService,
    db: FakeDb,
    clock: ManualClock,
    quantity: str,
    left: str,
) -> None:
    """An ambiguous order reported with a broken row: halted once, still UNKNOWN, no absence."""
    cid = _ambiguous_submit(service, gateway, "c1")
    reader.orders[700] = exchange_order(700, cid, quantity=quantity, left=left)
    clock.advance(SETTINGS.settle.total_seconds())
    for n in range(SETTINGS.absent_passes + 1):
        reconciler.reconcile(f"r{n}", ["BTCTRY"])
    order = db.committed.orders[cid]
    assert order.state is LocalOrderState.UNKNOWN
    assert order.absent_checks == 0
    assert db.committed.trading_state is TradingState.HALTED
    events = [e for e in db.committed.audit if e.kind is AuditKind.ORDER_QUARANTINED]
    assert [e.detail["exchange_order_id"] for e in events] == ["700"]


class _CountingReader(FakeReader):
    """The fake exchange, recording each read as (call, symbol) - the request budget."""

    def __init__(self, *, refuse_all_pairs: bool = False) -> None:
        super().__init__()
        self.calls: list[tuple[str, str | None]] = []
        # (read, start, end, limit) of each history read: the window each pass asked for
        self.asked: list[tuple[str, datetime | None, datetime | None, int | None]] = []
        self.refuse_all_pairs = refuse_all_pairs
        self.garbled_all_pairs = False

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Counted; refuses ``pairSymbol``-less calls when told to (API.md 4.4's doubt)."""
        self.calls.append(("open_orders", symbol))
        if symbol is None and self.refuse_all_pairs:
            raise ExchangeRejectError(
                "pairSymbol is required", endpoint="GET /api/v1/openOrders", code=400, name=None
            )
        if symbol is None and self.garbled_all_pairs:
            raise MalformedResponseError("a row of ODDTRY", endpoint="GET /api/v1/openOrders")
        return super().open_orders(symbol)

    def all_orders(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Order]:
        """Counted, with the window and limit asked for."""
        self.calls.append(("all_orders", symbol))
        self.asked.append(("all_orders", start, end, limit))
        return super().all_orders(symbol, start, end, limit)

    def own_trades(
        self,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        order_id: int | None = None,
    ) -> list[Fill]:
        """Counted, with the window asked for."""
        self.calls.append(("own_trades", symbol))
        self.asked.append(("own_trades", start, end, None))
        return super().own_trades(symbol, start, end, order_id)

    def trade_windows(self) -> list[datetime | None]:
        """Where each own-trades read started."""
        return [start for kind, start, _end, _limit in self.asked if kind == "own_trades"]

    def take(self) -> list[tuple[str, str | None]]:
        """The calls since the last ``take``."""
        calls, self.calls = self.calls, []
        return calls


def test_a_routine_pass_reads_every_pair_once_and_searches_history_only_where_unresolved(
    service: ExecutionService,
    gateway: FakeGateway,
    reader: _CountingReader,
    reconciler: ReconciliationService,
    db: FakeDb,
) -> None:
    """One openOrders and one own-trades read for all pairs; allOrders only for an unknown fate.

    Startup searches every symbol's history (an intent lost before a crash is adopted there).
    """
    symbols = ["BTCTRY", "ETHTRY", "XRPTRY"]
    reconciler.startup("c0", symbols)
    assert sorted(c for c in reader.take() if c[0] == "all_orders") == [
        ("all_orders", s) for s in symbols
    ]
    reconciler.reconcile("c1", symbols)
    assert reader.take() == [("open_orders", None), ("own_trades", None)]
    cid = _ambiguous_submit(service, gateway, "c2")
    reconciler.reconcile("c3", symbols)
    assert reader.take() == [
        ("open_orders", None),
        ("own_trades", None),
        ("all_orders", "BTCTRY"),
    ]
    assert db.committed.orders[cid].state is LocalOrderState.UNKNOWN


def test_open_orders_are_asked_per_symbol_once_the_exchange_refuses_all_pairs(
    reader: _CountingReader, reconciler: ReconciliationService
) -> None:
    """API.md 4.4 doubts that openOrders answers without pairSymbol: if refused, ask per pair."""
    reader.refuse_all_pairs = True
    reader.orders[91] = exchange_order(91, "bb-lost9-0-ETHTRY-b", symbol="ETHTRY")
    first = reconciler.reconcile("c1", ["BTCTRY", "ETHTRY"])
    second = reconciler.reconcile("c2", ["BTCTRY", "ETHTRY"])
    opens = [c for c in reader.take() if c[0] == "open_orders"]
    assert opens == [
        ("open_orders", None),
        ("open_orders", "BTCTRY"),
        ("open_orders", "ETHTRY"),
        ("open_orders", "BTCTRY"),
        ("open_orders", "ETHTRY"),
    ]
    assert first.adopted == ("adopted-91",)
    assert second.adopted == ()


def test_a_trade_stays_in_the_window_but_its_finished_order_is_read_once(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """A filled order's trade is seen by several passes; only the first asks for its order."""
    asked: list[int] = []
    reader.orders[300] = exchange_order(300, "bb-gone3-0-BTCTRY-b", status=OrderStatus.FILLED)
    reader.trades.append(replace(fill(1, 300), client_order_id="bb-gone3-0-BTCTRY-b"))
    real = reader.get_order

    def counted(order_id: int) -> Order:
        asked.append(order_id)
        return real(order_id)

    reader.get_order = counted  # type: ignore[method-assign]
    for n in range(3):
        reconciler.reconcile(f"c{n}", ["BTCTRY"])
    assert asked == [300]
    assert len(db.committed.fills) == 1


class _SteppedClock(ManualClock):
    """A clock a test may also step back, as the exchange clock's estimate can."""

    def step(self, by: timedelta) -> None:
        """Move by ``by``, either way."""
        self._now += by


def test_the_trade_window_reaches_back_to_the_previous_pass_even_if_the_clock_steps_back(
    db: FakeDb, clock: ManualClock
) -> None:
    """A routine pass reads from the previous pass minus the margin, not a fixed hour.

    If the exchange clock's estimate steps back between two passes, the window still starts
    before the previous pass, so no trade stamped after it can fall outside.
    """
    stepped = _SteppedClock(clock.now())
    reader = _CountingReader()
    reconciler = ReconciliationService(
        reader=reader, uow_factory=uow_factory(db), clock=stepped, settings=SETTINGS
    )
    first_at = stepped.now()
    reconciler.reconcile("c1", ["BTCTRY"])
    stepped.step(timedelta(seconds=60))
    reconciler.reconcile("c2", ["BTCTRY"])
    starts = reader.trade_windows()
    assert starts[0] == first_at - SETTINGS.lookback  # nothing before: the hour
    assert starts[1] == first_at - SETTINGS.margin
    second_at = stepped.now()
    stepped.step(timedelta(minutes=-20))  # the estimate stepped back
    reconciler.reconcile("c3", ["BTCTRY"])
    third = reader.trade_windows()[2]
    assert third is not None
    assert third <= second_at - SETTINGS.margin


def test_one_pass_handles_every_order_after_a_bad_row_an_adoption_or_a_foreign_one(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """A quarantined row, an adopted order and a foreign one do not end the pass early.

    Orders are walked in exchange-id order; each kind is followed by an order of ours that
    must still be adopted in the same pass.
    """
    reader.orders[100] = exchange_order(100, "bb-bad1-0-BTCTRY-b", quantity="0")  # bad row
    reader.orders[101] = exchange_order(101, "bb-lost1-0-BTCTRY-b")
    reader.orders[102] = exchange_order(102, "by-hand")  # foreign
    reader.orders[103] = exchange_order(103, "bb-lost2-0-BTCTRY-b")
    report = reconciler.reconcile("c1", ["BTCTRY"])
    assert report.adopted == ("adopted-101", "adopted-103")
    assert report.foreign == (102,)
    assert sorted(db.committed.orders) == ["adopted-101", "adopted-103"]


def test_a_trade_whose_order_cannot_be_read_is_ours_only_by_its_client_id(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """The exchange has the trades but not their orders: the bot's client id is a fill, else not.

    A fill with the bot's format is booked as the bot's (its order was lost, not someone
    else's); a trade with no client id or another format is a manual trade, never a fill.
    """
    reader.trades = [
        replace(fill(1, 700), client_order_id="bb-gone7-0-BTCTRY-b"),
        fill(2, 701),  # no client id
        replace(fill(3, 702), client_order_id="by-hand"),
    ]
    report = reconciler.reconcile("c1", ["BTCTRY"])
    assert [f.trade_id for f in report.new_fills] == [1]
    assert sorted(db.committed.fills) == [1]
    assert sorted(db.committed.movements) == [
        "trade-2-BTC",
        "trade-2-TRY",
        "trade-3-BTC",
        "trade-3-TRY",
    ]


def test_one_absent_pass_is_enough_when_configured_and_zero_is_refused(
    service: ExecutionService, gateway: FakeGateway, db: FakeDb, clock: ManualClock
) -> None:
    """``absent_passes=1`` is the least allowed (one complete absent pass settles it)."""
    with pytest.raises(ValueError, match="at least 1"):
        ReconciliationService(
            reader=FakeReader(),
            uow_factory=uow_factory(db),
            clock=clock,
            settings=replace(SETTINGS, absent_passes=0),
        )
    eager = ReconciliationService(
        reader=FakeReader(),
        uow_factory=uow_factory(db),
        clock=clock,
        settings=replace(SETTINGS, absent_passes=1),
    )
    cid = _ambiguous_submit(service, gateway, "c1")
    clock.advance(SETTINGS.settle.total_seconds() + 1)
    report = eager.reconcile("c2", ["BTCTRY"])
    gone = db.committed.orders[cid]
    assert report.not_placed == (cid,)
    assert (gone.state, gone.absent_checks, gone.updated_at) == (
        LocalOrderState.NOT_PLACED,
        1,
        clock.now(),
    )


def test_a_young_order_does_not_end_the_count_of_an_older_one(
    reconciler: ReconciliationService, db: FakeDb, clock: ManualClock
) -> None:
    """Two intents of unknown fate in one symbol: the young one waits, the old one is counted."""
    pending = LocalOrderState.PENDING_SUBMIT
    clock.advance(SETTINGS.settle.total_seconds() + 60)
    young, old = "bb-young1-0-BTCTRY-b", "bb-old1-0-BTCTRY-b"
    db.committed.orders[young] = tracked_order(young, pending, clock.now())  # first, too young
    db.committed.orders[old] = tracked_order(old, pending, T0)
    reconciler.reconcile("c1", ["BTCTRY"])
    counts = {cid: db.committed.orders[cid].absent_checks for cid in (young, old)}
    assert counts == {young: 0, old: 1}


def _eth(trade_id: int, order_id: int, client_id: str | None, price: str = "50000") -> Fill:
    """A trade in ETHTRY, a pair the passes below do not trade."""
    return replace(
        fill(trade_id, order_id),
        symbol="ETHTRY",
        price=Decimal(price),
        client_order_id=client_id,
        fee=Decimal("0.2"),
        tax=Decimal("0.036"),
    )


def test_trades_of_other_pairs_are_manual_unless_ours_and_a_bad_one_halts(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """Outside SYMBOLS: a foreign trade is booked as movements; the bot's own are left alone.

    "Ours" is either a tracked order (its row) or the bot's client-id format; a trade row
    that fails validation is quarantined and halts trading, like one in a traded pair.
    """
    at = T0
    db.committed.orders["bb-kept1-0-ETHTRY-b"] = TrackedOrder(  # finished: not in the pass
        client_order_id="bb-kept1-0-ETHTRY-b",
        origin=OrderOrigin.BOT,
        symbol="ETHTRY",
        side=Side.BUY,
        method=OrderMethod.MARKET,
        price=None,
        quantity=Decimal("0.004"),
        state=LocalOrderState.FILLED,
        created_at=at,
        updated_at=at,
        exchange_order_id=811,
    )
    reader.trades = [
        _eth(21, 810, "by-hand"),
        _eth(22, 811, None),  # the tracked order's, whatever its client id says
        _eth(23, 812, "bb-gone8-0-ETHTRY-b"),
        replace(fill(25, 820), client_order_id="by-hand"),  # by hand, in a traded pair
    ]
    report = reconciler.reconcile("c1", ["BTCTRY"])
    assert report.other_pairs == ("ETHTRY",)  # one manual trade booked outside the pass
    manual = ["trade-21-ETH", "trade-21-TRY", "trade-25-BTC", "trade-25-TRY"]
    assert sorted(db.committed.movements) == manual
    before = db.committed.trading_state
    reader.trades.append(_eth(24, 813, "by-hand", price="0"))
    again = reconciler.reconcile("c2", ["BTCTRY"])
    assert again.other_pairs == ()  # trade 21 is booked already: nothing new outside
    assert sorted(db.committed.movements) == manual
    assert (before, db.committed.trading_state) == (TradingState.ACTIVE, TradingState.HALTED)
    assert [e.detail["trade_id"] for e in db.committed.audit] == ["24"]


def test_every_read_asks_for_the_pass_window(  # noqa: PLR0917 - fixtures
    service: ExecutionService,
    gateway: FakeGateway,
    reader: _CountingReader,
    reconciler: ReconciliationService,
    db: FakeDb,
    clock: ManualClock,
) -> None:
    """Trades and history are asked for [start, now + margin] with the configured limit."""
    reconciler.reconcile("c0", ["BTCTRY"])
    cid = _ambiguous_submit(service, gateway, "c1")
    created = db.committed.orders[cid].created_at
    reader.asked.clear()
    reconciler.reconcile("c2", ["BTCTRY"])
    end = clock.now() + SETTINGS.margin
    start = min(clock.now() - SETTINGS.margin, created - SETTINGS.margin)
    assert reader.asked == [
        ("own_trades", start, end, None),
        ("all_orders", start, end, SETTINGS.all_orders_limit),
    ]


def test_the_narrow_search_finds_an_order_the_truncated_history_left_out(
    service: ExecutionService,
    gateway: FakeGateway,
    reader: FakeReader,
    db: FakeDb,
    clock: ManualClock,
) -> None:
    """The order of unknown fate is on the exchange but off a full history page: it is found.

    Found only by the search around its creation, it must be matched there (OPEN), never
    counted absent and declared NOT_PLACED while the exchange holds it.
    """
    cid = _ambiguous_submit(service, gateway, "c1")
    created = db.committed.orders[cid].created_at
    reader.orders[950] = exchange_order(950, cid, created_at=created)
    later = created + timedelta(seconds=1)  # inside every window: they fill the page
    for n in range(2):
        reader.orders[960 + n] = exchange_order(
            960 + n, f"other-{n}", status=OrderStatus.CANCELED, created_at=later
        )
    reader.hidden_from_history.add(950)  # off the truncated page
    narrow = ReconciliationService(
        reader=_NarrowFinds(reader, 950, created),
        uow_factory=uow_factory(db),
        clock=clock,
        settings=replace(SETTINGS, all_orders_limit=2),
    )
    clock.advance(SETTINGS.settle.total_seconds())
    for n in range(SETTINGS.absent_passes + 1):
        narrow.reconcile(f"p{n}", ["BTCTRY"])
    found = db.committed.orders[cid]
    assert (found.state, found.exchange_order_id) == (LocalOrderState.OPEN, 950)


class _NarrowFinds(FakeReader):
    """History pages hide one order, except a search around its creation time."""

    def __init__(self, inner: FakeReader, order_id: int, created: datetime) -> None:
        super().__init__()
        self.orders = inner.orders
        self.trades = inner.trades
        self.hidden_from_history = inner.hidden_from_history
        self._id, self._created = order_id, created

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Resting orders, except the hidden one (as if openOrders lagged)."""
        return [o for o in super().open_orders(symbol) if o.order_id != self._id]

    def all_orders(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Order]:
        """The page; a narrow window around the hidden order's creation shows it too."""
        page = super().all_orders(symbol, start, end, limit)
        around = start is not None and start + SETTINGS.margin == self._created
        if around and end is not None and end - self._created == SETTINGS.margin:
            page = [self.orders[self._id], *page]
        return page


def test_a_bad_trade_row_does_not_stop_the_pass_storing_the_next_trade(
    reader: FakeReader, reconciler: ReconciliationService, db: FakeDb
) -> None:
    """In a traded pair and outside: the bad row is set aside, the next trade is still stored."""
    reader.orders[500] = exchange_order(500, "bb-lost1-0-BTCTRY-b", status=OrderStatus.FILLED)
    reader.trades = [
        replace(fill(1, 500), price=Decimal(0)),
        replace(fill(2, 500), timestamp=fill(2, 500).timestamp + timedelta(seconds=1)),
        _eth(3, 900, "by-hand", price="0"),
        replace(_eth(4, 901, "by-hand"), timestamp=fill(2, 500).timestamp + timedelta(seconds=1)),
    ]
    reconciler.reconcile("c1", ["BTCTRY"])
    assert sorted(db.committed.fills) == [2]
    assert sorted(db.committed.movements) == ["trade-4-ETH", "trade-4-TRY"]


def test_an_unreadable_all_pairs_answer_is_asked_again_per_symbol_for_that_pass(
    reader: _CountingReader, reconciler: ReconciliationService
) -> None:
    """A row of another pair that does not parse must not stop reconciling the bot's pairs."""
    reader.garbled_all_pairs = True
    reader.orders[91] = exchange_order(91, "bb-lost9-0-ETHTRY-b", symbol="ETHTRY")
    first = reconciler.reconcile("c1", ["BTCTRY", "ETHTRY"])
    reader.garbled_all_pairs = False
    reconciler.reconcile("c2", ["BTCTRY", "ETHTRY"])
    opens = [c for c in reader.take() if c[0] == "open_orders"]
    assert opens == [
        ("open_orders", None),
        ("open_orders", "BTCTRY"),
        ("open_orders", "ETHTRY"),
        ("open_orders", None),  # the next pass tries all pairs again
    ]
    assert first.adopted == ("adopted-91",)


def test_every_absent_order_of_every_symbol_is_counted_in_each_pass(
    service: ExecutionService,
    gateway: FakeGateway,
    reconciler: ReconciliationService,
    db: FakeDb,
    clock: ManualClock,
) -> None:
    """Two orders of unknown fate in two symbols, both absent: both reach NOT_PLACED together.

    Each symbol's part of a pass counts only the orders its own search covered; the other
    symbol's order is skipped there, not the end of the count.
    """
    first = _ambiguous_submit(service, gateway, "c1", "ETHTRY")
    second = _ambiguous_submit(service, gateway, "c2", "BTCTRY")
    clock.advance(SETTINGS.settle.total_seconds())
    for n in range(SETTINGS.absent_passes):
        reconciler.reconcile(f"p{n}", ["BTCTRY", "ETHTRY"])
    states = {cid: db.committed.orders[cid].state for cid in (first, second)}
    assert states == {first: LocalOrderState.NOT_PLACED, second: LocalOrderState.NOT_PLACED}
