"""The LIVE books on a real database: what the view hands a decision, what one commit stores.

``test_account_truth`` and ``test_bad_trade_rows`` drive the ``Bookkeeper`` through whole
cycles and judge the exchange's side; here it is called directly, so each promise is held to
the rows: the stored trading state and the equity peak reach the decision (a halt the view
forgot would reach the risk engine as no halt at all), a cycle's signals, decisions and state
change are stored under its id, a fill the ledger refuses is set aside without dropping the
ones after it, and a restart remembers every fill it booked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from cycle_fakes import decision, submitted
from state_db import initialised, unit_of_work
from strategy_factories import open_order, snapshot

from btcbot.adapters.clock import ManualClock
from btcbot.decision import Decision
from btcbot.domain.account import Movement, MovementKind, Target
from btcbot.domain.cycle_records import CycleRecord, TradingStateChange
from btcbot.domain.enums import OrderMethod, OrderStatus, Role, Side
from btcbot.domain.errors import StateError
from btcbot.domain.ledger.types import Holding, Opening, Pair
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Balance, Fill
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.domain.records import AuditContext
from btcbot.domain.trading import StateCause, TradingState
from btcbot.execution.report import ExecutionReport
from btcbot.observability.audit import AuditKind
from btcbot.risk.engine import RiskResult
from btcbot.risk.trading_state import StateTransition
from btcbot.services.bookkeeping import Bookkeeper, as_exchange_order
from btcbot.services.cycle import BookFigures, CycleCommit
from btcbot.services.reconciliation import ReconciliationReport
from btcbot.settings import Settings
from btcbot.state.repositories.trading_uow import TradingUnitOfWork, trading_uow_factory
from btcbot.state.sqlite import connect

AT = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
BTCTRY = Pair("BTCTRY", "BTC", "TRY")
CASH = Decimal(10_000)


@pytest.fixture
def live(tmp_path: Path) -> Settings:
    """A LIVE database ``db init`` made."""
    return initialised(tmp_path, Role.LIVE)


def _uow(settings: Settings) -> TradingUnitOfWork:
    return unit_of_work(settings, TradingUnitOfWork)


def _unopened(
    settings: Settings, opening: Opening | None = None, balances: Sequence[Balance] = ()
) -> Bookkeeper:
    """A ``Bookkeeper`` as the LIVE wiring builds it, before startup reconciliation opens it."""
    path = settings.state_db_path
    audit = AuditContext(Role.LIVE, "test", settings.config_hash)
    return Bookkeeper(
        uow_factory=trading_uow_factory(lambda: connect(path), audit),
        clock=ManualClock(AT),
        seed=lambda: (opening or Opening((BTCTRY,), (("TRY", CASH),)), list(balances)),
        recent_submits=10,
    )


def _books(
    settings: Settings, opening: Opening | None = None, balances: Sequence[Balance] = ()
) -> Bookkeeper:
    """The same, opened (seeded from ``opening`` on a fresh database)."""
    books = _unopened(settings, opening, balances)
    books.ensure_open()
    return books


def _fill(trade_id: int, side: Side = Side.BUY, *, minutes: int = 0) -> Fill:
    """0.1 BTC at 1,000 TRY, 1 TRY fee, ``minutes`` after ``AT``."""
    return Fill(
        trade_id=trade_id,
        order_id=70 + trade_id,
        client_order_id=None,
        symbol="BTCTRY",
        side=side,
        price=Decimal(1000),
        quantity=Decimal("0.1"),
        fee=Decimal(1),
        tax=Decimal(0),
        fee_asset="TRY",
        timestamp=AT + timedelta(minutes=minutes),
    )


def _store(settings: Settings, *fills: Fill) -> None:
    """What reconciliation does: the exchange's trades stored, not yet booked."""
    with _uow(settings) as uow:
        for fill in fills:
            uow.fills.add(fill)
        uow.commit()


def _record(number: int, decided: Decision | None = None) -> CycleCommit:
    """Cycle ``t<number>``, ``number`` minutes after ``AT``, that sent and reconciled nothing."""
    return CycleCommit(
        cycle_id=f"t{number}",
        number=number,
        started_at=AT + timedelta(minutes=number),
        finished_at=AT + timedelta(minutes=number, seconds=2),
        observe_only_reason=None,
        kill_reason=None,
        snapshots={},
        decision=decided,
        execution=ExecutionReport(),
        reconcile=ReconciliationReport(),
    )


def _commit(
    books: Bookkeeper,
    number: int,
    decided: Decision | None = None,
    *,
    observe_only: str | None = None,
) -> None:
    books.close_cycle(replace(_record(number, decided), observe_only_reason=observe_only))


def _snapshot(mid: str) -> MarketSnapshot:
    """BTCTRY with its book's mid (the books' mark) at ``mid``."""
    return snapshot([mid], bid=Decimal(mid) - Decimal("0.5"))


def _order(
    cid: str,
    *,
    origin: OrderOrigin = OrderOrigin.BOT,
    state: LocalOrderState = LocalOrderState.OPEN,
    filled: str = "0",
    exchange_id: int | None = 9,
    minutes: int = 0,
) -> TrackedOrder:
    at = AT + timedelta(minutes=minutes)
    return TrackedOrder(
        client_order_id=cid,
        origin=origin,
        symbol="BTCTRY",
        side=Side.BUY,
        method=OrderMethod.LIMIT,
        price=Decimal(1000),
        quantity=Decimal("0.5"),
        state=state,
        created_at=at,
        updated_at=at + timedelta(seconds=1),
        exchange_order_id=exchange_id,
        filled_quantity=Decimal(filled),
    )


def _halting(reason: str = "drawdown 12 % reached the limit 10 %") -> Decision:
    """A decision with one approved buy whose risk step moved trading to HALTED."""
    made = decision(("BTCTRY",))
    risk = RiskResult(made.risk.decisions, StateTransition(TradingState.HALTED, reason))
    return replace(made, risk=risk)


# --- the view a decision is made on -------------------------------------------------------------


def test_the_view_carries_the_stored_halt(live: Settings) -> None:
    """A halt recorded by quarantine, the books check or risk reaches the next decision.

    Without it the risk engine would approve orders as if nothing were halted: only the
    execution's own re-check would stand between a halted database and the exchange.
    """
    books = _books(live)
    assert books.view().trading_state is TradingState.ACTIVE
    with _uow(live) as uow:
        uow.trading_state.record(
            TradingStateChange(
                TradingState.HALTED, "fill quarantined", AT, StateCause.FILL_QUARANTINED
            )
        )
        uow.commit()
    assert books.view().trading_state is TradingState.HALTED


def test_the_view_carries_the_equity_peak_across_a_restart(live: Settings) -> None:
    """The drawdown is measured from the stored peak, not from whatever equity is now."""
    books = _books(live)
    assert books.view().watermark is None  # nothing valued yet
    _commit(books, 1)
    with _uow(live) as uow:
        stored = uow.ledger.latest()
    assert stored is not None
    (peak,) = stored.watermarks
    assert books.view().watermark == peak
    assert _books(live).view().watermark == peak


def test_books_reopened_before_their_first_cycle_have_no_peak_yet(live: Settings) -> None:
    """The seeding stores the ledger without a valuation: the restart starts the peak afresh."""
    _books(live)
    assert _books(live).view().watermark is None


def test_the_view_counts_the_bots_own_submits_only(live: Settings) -> None:
    """The submit-rate limit counts orders this bot sent, not the ones it adopted."""
    with _uow(live) as uow:
        uow.orders.add(_order("bb-1", minutes=1))
        uow.orders.add(_order("adopted-2", origin=OrderOrigin.ADOPTED, exchange_id=2, minutes=2))
        uow.commit()
    assert _books(live).view().recent_submits == (AT + timedelta(minutes=1),)


def test_the_view_names_the_symbols_with_an_unresolved_order(live: Settings) -> None:
    """An order whose fate is unknown blocks its symbol in risk, not only in execution."""
    books = _books(live)
    assert books.view().unresolved_symbols == frozenset()
    with _uow(live) as uow:
        uow.orders.add(_order("bb-1", state=LocalOrderState.UNKNOWN, exchange_id=None))
        uow.commit()
    assert books.view().unresolved_symbols == frozenset({"BTCTRY"})


def test_the_view_shows_live_orders_as_the_exchange_would(live: Settings) -> None:
    """Resting and partly filled orders, with what is left of each; finished ones are not open."""
    with _uow(live) as uow:
        uow.orders.add(_order("bb-open", exchange_id=11))
        uow.orders.add(
            _order("bb-part", state=LocalOrderState.PARTIALLY_FILLED, filled="0.2", exchange_id=12)
        )
        uow.orders.add(
            _order("bb-done", state=LocalOrderState.FILLED, filled="0.5", exchange_id=13)
        )
        uow.commit()
    shown = {o.client_order_id: o for o in _books(live).view().open_orders}
    assert set(shown) == {"bb-open", "bb-part"}
    assert (shown["bb-open"].order_id, shown["bb-open"].status) == (11, OrderStatus.OPEN)
    assert (shown["bb-open"].price, shown["bb-open"].method) == (Decimal(1000), OrderMethod.LIMIT)
    assert shown["bb-open"].left_quantity == Decimal("0.5")
    part = shown["bb-part"]
    assert (part.order_id, part.status) == (12, OrderStatus.PARTIALLY_FILLED)
    assert (part.quantity, part.left_quantity) == (Decimal("0.5"), Decimal("0.3"))


def test_an_order_is_shown_with_every_field_it_was_tracked_with() -> None:
    """The open order risk and the strategies see: the tracked order's own fields, none invented."""
    tracked = replace(
        _order("bb-1", state=LocalOrderState.PARTIALLY_FILLED, filled="0.2", exchange_id=None),
        side=Side.SELL,
        method=OrderMethod.MARKET,
        price=None,
    )
    shown = as_exchange_order(tracked)
    assert shown.order_id == 0  # not acknowledged yet: no exchange id
    assert (shown.client_order_id, shown.symbol) == ("bb-1", "BTCTRY")
    assert (shown.side, shown.method, shown.price, shown.stop_price) == (
        Side.SELL,
        OrderMethod.MARKET,
        None,
        None,
    )
    assert (shown.quantity, shown.left_quantity) == (Decimal("0.5"), Decimal("0.3"))
    assert (shown.created_at, shown.updated_at) == (tracked.created_at, tracked.updated_at)
    overfilled = as_exchange_order(replace(tracked, filled_quantity=Decimal("0.7")))
    assert overfilled.left_quantity == 0  # never negative, whatever the exchange reported


def test_the_cool_down_runs_from_the_newest_fill_even_when_an_older_one_arrives_late(
    live: Settings,
) -> None:
    """A trade reconciled after a newer one must not restart the cool-down from its older time."""
    books = _books(live)
    _store(live, _fill(2, minutes=5))
    _commit(books, 1)
    _store(live, _fill(1, minutes=1))
    assert [f.trade_id for f in books.view().recent_fills] == [2]  # unbooked, in the view
    _commit(books, 2)
    assert [f.trade_id for f in books.view().recent_fills] == [2]


# --- one commit per cycle -------------------------------------------------------------------------


def test_a_cycle_stores_its_decisions_and_state_change_under_its_id(live: Settings) -> None:
    """The journal of why the bot did what it did, and the halt that outlives a restart."""
    books = _books(live)
    _commit(books, 1, _halting())
    with _uow(live) as uow:
        assert uow.trading_state.current() == TradingStateChange(
            TradingState.HALTED,
            "drawdown 12 % reached the limit 10 %",
            AT + timedelta(minutes=1),
            StateCause.RISK,
        )
        rows = uow.decisions.decisions("t1")
        assert uow.cycles.get("t1") == CycleRecord(
            "t1", 1, AT + timedelta(minutes=1), AT + timedelta(minutes=1, seconds=2), "ok"
        )
        signals = uow.connection.execute("SELECT cycle_id, symbol FROM signals").fetchall()
    assert [(r["symbol"], r["outcome"]) for r in rows] == [("BTCTRY", "approved")]
    assert [tuple(s) for s in signals] == [("t1", "BTCTRY")]
    assert books.view().trading_state is TradingState.HALTED


def test_a_state_that_did_not_change_records_nothing(live: Settings) -> None:
    """Risk repeating the current state (no reason) is not a change to store."""
    books = _books(live)
    made = decision(("BTCTRY",))
    unchanged = RiskResult(made.risk.decisions, StateTransition(TradingState.HALTED))
    _commit(books, 1, replace(made, risk=unchanged))
    with _uow(live) as uow:
        assert uow.trading_state.current() is None


def test_an_observing_cycle_is_stored_with_its_reason(live: Settings) -> None:
    """The journal says the cycle only observed, and why (the status and inspect read it)."""
    books = _books(live)
    _commit(books, 1, observe_only="kill file: operator")
    with _uow(live) as uow:
        row = uow.cycles.get("t1")
    assert row is not None
    assert (row.outcome, row.error) == ("observe_only", "kill file: operator")


def test_a_cycle_before_the_books_open_is_journaled_and_values_nothing(live: Settings) -> None:
    """While startup reconciliation fails, cycles are recorded; no books exist to value or show."""
    books = _unopened(live)
    _store(live, _fill(1))
    _commit(books, 1, observe_only="startup reconciliation failed")
    zero = Decimal(0)
    figures = books.close_cycle(replace(_record(2), observe_only_reason="still failing"))
    assert figures == BookFigures(zero, zero, zero, zero, zero)
    with _uow(live) as uow:
        assert [c.number for c in uow.cycles.recent()] == [2, 1]
        assert uow.ledger.latest() is None
        assert [f.trade_id for f in uow.fills.unapplied()] == [1]  # booked once the books open
    with pytest.raises(StateError) as refused:
        books.view()
    assert str(refused.value) == "the books are not open: startup reconciliation must succeed first"


def test_a_refused_fill_is_set_aside_without_dropping_the_ones_after_it(live: Settings) -> None:
    """A sell of BTC the books never held is quarantined; the buy after it is booked once."""
    books = _books(live)
    _store(live, _fill(1, Side.SELL), _fill(2, Side.BUY))
    view = books.view()  # the decision's books: the good fill applied, the bad one left out
    assert view.ledger.position("BTCTRY").quantity == Decimal("0.1")
    _commit(books, 1)
    booked = books.view().ledger
    assert booked.position("BTCTRY").quantity == Decimal("0.1")
    assert booked.cash("TRY") == CASH - 101
    assert (booked.has_applied(1), booked.has_applied(2)) == (False, True)
    with _uow(live) as uow:
        assert uow.fills.unapplied() == []
        quarantined = [e.detail for e in uow.audit.recent(10, kind=AuditKind.FILL_QUARANTINED)]
        state = uow.trading_state.current()
        row = uow.cycles.get("t1")
    assert [(q["trade_id"], str(q["reason"]).split(":")[0]) for q in quarantined] == [
        ("1", "InventoryShortfallError")
    ]
    assert state is not None
    assert (state.state, state.cause) == (TradingState.HALTED, StateCause.FILL_QUARANTINED)
    assert row is not None
    assert row.fills == 1


def test_a_restart_remembers_every_fill_it_booked(live: Settings) -> None:
    """The reopened ledger refuses a booked trade id again: a fill can never count twice."""
    books = _books(live)
    _store(live, _fill(1), _fill(2, minutes=1))
    _commit(books, 1)
    reopened = _books(live).view().ledger
    assert (reopened.has_applied(1), reopened.has_applied(2)) == (True, True)
    assert reopened.cash("TRY") == CASH - 202
    assert reopened.copy().apply_fills([_fill(1)]) == 0


# --- opening the books on a fresh database ------------------------------------------------------


def test_what_the_account_holds_beyond_the_books_is_recorded_outside_them(live: Settings) -> None:
    """Seeding records the rest of the account as outside, already settled, never to be booked."""
    ethtry = Pair("ETHTRY", "ETH", "TRY")
    handed = (Holding("BTCTRY", Decimal("0.5"), Decimal(500)), Holding("ETHTRY", Decimal(2), CASH))
    opening = Opening((BTCTRY, ethtry), (("TRY", CASH),), handed)
    balances = [
        Balance("TRY", CASH, CASH, Decimal(0)),
        Balance("BTC", Decimal("0.75"), Decimal("0.75"), Decimal(0)),
        Balance("ETH", Decimal(2), Decimal(2), Decimal(0)),
    ]
    _books(live, opening, balances)
    with _uow(live) as uow:
        pending = uow.movements.pending()
        outside = uow.movements.outside()
        (handover,) = uow.audit.recent(10, kind=AuditKind.HOLDINGS_HANDED_OVER)
    assert pending == []
    assert [(m.movement_id, m.kind, m.asset, m.delta, m.target, m.at) for m in outside] == [
        ("seed-BTC", MovementKind.SEED, "BTC", Decimal("0.25"), Target.OUTSIDE, AT)
    ]
    assert outside[0].detail == "held by the account when the books were opened; not the bot's"
    assert (handover.actor, handover.detail) == ("operator", {"symbols": "BTCTRY,ETHTRY"})


def test_a_cycle_is_valued_from_its_peak_and_reports_what_stands(live: Settings) -> None:
    """Equity, PnL, drawdown from the stored peak, exposure, the halt and foreign orders."""
    books = _books(live)
    _store(live, _fill(1))
    up = books.close_cycle(replace(_record(1), snapshots={"BTCTRY": _snapshot("1100")}))
    assert (up.equity, up.unrealized_pnl, up.realized_pnl) == (
        CASH - 101 + 110,
        Decimal(10),
        Decimal(0),
    )
    assert (up.drawdown_pct, up.exposure) == (Decimal(0), {"BTCTRY": Decimal(110)})
    with _uow(live) as uow:
        uow.trading_state.record(
            TradingStateChange(TradingState.HALTED, "books differ", AT, StateCause.BOOKS_DIFFER)
        )
        uow.foreign_orders.seen(open_order(), AT)  # an order the bot did not place
        uow.commit()
    down = books.close_cycle(
        replace(_record(2, decision(("BTCTRY",))), snapshots={"BTCTRY": _snapshot("900")}),
    )
    assert down.equity == CASH - 101 + 90
    assert down.drawdown_pct > 0  # from the peak of cycle 1, not from this cycle's equity
    assert down.daily_pnl == Decimal(-11)
    assert down.trading_state is not None
    assert down.trading_state.cause is StateCause.BOOKS_DIFFER
    assert down.foreign_orders == 1
    with _uow(live) as uow:
        valuations = uow.ledger.recent_valuations()
        row = uow.cycles.get("t2")
    assert [Decimal(str(v["equity"])) for v in valuations][:2] == [CASH - 11, CASH + 9]
    assert [Decimal(str(v["peak_equity"])) for v in valuations][:2] == [CASH + 9, CASH + 9]
    assert row is not None
    assert row.orders_submitted == 0


def test_a_cycle_row_counts_the_orders_it_sent(live: Settings) -> None:
    """Inspect's cycle list shows how many orders each cycle sent."""
    books = _books(live)
    books.close_cycle(replace(_record(1), execution=submitted("BTCTRY", "ETHTRY")))
    with _uow(live) as uow:
        row = uow.cycles.get("t1")
    assert row is not None
    assert row.orders_submitted == 2


def test_a_deposit_without_a_fill_is_stored_with_the_books(live: Settings) -> None:
    """A capital flow moves the books with no new fill: the snapshot is still written."""
    books = _books(live)
    with _uow(live) as uow:
        uow.movements.add(
            Movement("dep-1", MovementKind.DEPOSIT, "TRY", Decimal(500), AT, Target.BOOKS)
        )
        uow.commit()
    _commit(books, 1)
    assert _books(live).view().ledger.cash("TRY") == CASH + 500


def test_a_quiet_cycle_stores_no_new_snapshot(live: Settings) -> None:
    """Snapshots grow with fills and flows, not with cycles (a year of minutes is 525,600)."""
    books = _books(live)
    _commit(books, 1)
    _commit(books, 2)
    _store(live, _fill(1))
    _commit(books, 3)
    _commit(books, 4)
    with _uow(live) as uow:
        (count,) = uow.connection.execute("SELECT count(*) FROM ledger_snapshots").fetchone()
    assert count == 2  # the seeded opening, then the cycle that booked the fill
