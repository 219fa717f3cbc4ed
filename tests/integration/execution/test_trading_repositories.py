"""The trading tables on real SQLite: uniqueness, append-only history, audit stamps, round trips."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from btcbot.domain.cycle_records import CycleRecord, TradingStateChange
from btcbot.domain.enums import OrderMethod, Role, Side
from btcbot.domain.errors import StateError
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.domain.ledger.valuation import value
from btcbot.domain.models import Fill
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.domain.records import AuditContext
from btcbot.domain.trading import (
    ApprovedOrderIntent,
    DustPosition,
    OrderIntent,
    RejectReason,
    RiskDecision,
    RiskRejection,
    Signal,
    TradingState,
)
from btcbot.state.migrate import migrate
from btcbot.state.repositories.trading_uow import TradingUnitOfWork
from btcbot.state.sqlite import connect

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
AUDIT = AuditContext(Role.LIVE, "instance-1", "cfg-abc", cycle_id="c7")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A migrated, empty database."""
    path = tmp_path / "live.db"
    conn = connect(path, create=True)
    migrate(conn, path, now=NOW)
    conn.close()
    return path


def _uow(path: Path) -> TradingUnitOfWork:
    return TradingUnitOfWork(lambda: connect(path), AUDIT)


def _order(cid: str = "bb-c7-0-BTCTRY-b") -> TrackedOrder:
    return TrackedOrder(
        client_order_id=cid,
        origin=OrderOrigin.BOT,
        symbol="BTCTRY",
        side=Side.BUY,
        method=OrderMethod.LIMIT,
        price=Decimal("3912345.10"),
        quantity=Decimal("0.00025904"),
        state=LocalOrderState.PENDING_SUBMIT,
        created_at=NOW,
        updated_at=NOW,
        cycle_id="c7",
        intent_index=0,
        exchange_client_id=cid,
    )


def _fill(trade_id: int) -> Fill:
    return Fill(
        trade_id=trade_id,
        order_id=25_327_923_527,
        client_order_id="bb-c7-0-BTCTRY-b",
        symbol="BTCTRY",
        side=Side.BUY,
        price=Decimal("3912345.10"),
        quantity=Decimal("0.00025904"),
        fee=Decimal("1.2160000000000001"),
        tax=Decimal("0.2188"),
        fee_asset="TRY",
        timestamp=NOW,
    )


def _ledger() -> Ledger:
    """Books of one pair opened with 100,000 TRY."""
    return Ledger(Opening((Pair("BTCTRY", "BTC", "TRY"),), cash=(("TRY", Decimal(100_000)),)))


def test_order_round_trips_with_exact_decimals_and_history(db_path: Path) -> None:
    """An order reads back equal, Decimals exact, and each change appends one history row."""
    order = _order()
    with _uow(db_path) as uow:
        uow.orders.add(order, event="intent_recorded")
        acked = replace(order, state=LocalOrderState.SUBMITTED, exchange_order_id=2**40)
        uow.orders.save(acked, event="submit_acked")
        uow.commit()
    with _uow(db_path) as uow:
        stored = uow.orders.get(order.client_order_id)
        events = uow.orders.events(order.client_order_id)
    assert stored == acked
    assert [(e.from_state, e.to_state) for e in events] == [
        (None, LocalOrderState.PENDING_SUBMIT),
        (LocalOrderState.PENDING_SUBMIT, LocalOrderState.SUBMITTED),
    ]


def test_client_order_id_is_unique(db_path: Path) -> None:
    """A second order under the same client id is refused with StateError."""
    with _uow(db_path) as uow:
        uow.orders.add(_order())
        with pytest.raises(StateError, match="already recorded"):
            uow.orders.add(_order())


def test_uncommitted_intent_is_gone(db_path: Path) -> None:
    """Leaving a unit of work without commit rolls the intent back."""
    with _uow(db_path) as uow:
        uow.orders.add(_order())
    with _uow(db_path) as uow:
        assert uow.orders.get(_order().client_order_id) is None


def test_fill_stored_once_by_trade_id(db_path: Path) -> None:
    """The same trade id is stored once; the ledger flag only goes from unapplied to applied."""
    big = 1_149_163_839_863_900_657
    with _uow(db_path) as uow:
        assert uow.fills.add(_fill(big))
        assert not uow.fills.add(_fill(big))
        uow.fills.mark_applied([big])
        uow.commit()
    conn = connect(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute(
                "INSERT INTO fills (trade_id, exchange_order_id, symbol, side, price, quantity,"
                " fee, tax, fee_asset, traded_at, process_role, process_instance_id,"
                " config_hash) VALUES (?, 1, 'BTCTRY', 'buy', '1', '1', '0', '0', 'TRY', 'x',"
                " 'live', 'i', 'h')",
                (big,),
            )
        with pytest.raises(sqlite3.IntegrityError, match="unapplied to applied"):
            conn.execute("UPDATE fills SET ledger_applied = 0")
    finally:
        conn.close()
    with _uow(db_path) as uow:
        assert uow.fills.all()[0] == _fill(big)
        assert uow.fills.unapplied() == []


def test_order_history_is_append_only(db_path: Path) -> None:
    """order_events refuses UPDATE and DELETE."""
    with _uow(db_path) as uow:
        uow.orders.add(_order())
        uow.commit()
    conn = connect(db_path)
    try:
        for sql in ("UPDATE order_events SET event = 'x'", "DELETE FROM order_events"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                conn.execute(sql)
    finally:
        conn.close()


def test_every_row_carries_the_audit_columns(db_path: Path) -> None:
    """Orders, events and fills are stamped with role, instance, cycle and config hash."""
    with _uow(db_path) as uow:
        uow.orders.add(_order())
        uow.fills.add(_fill(1))
        uow.commit()
    conn = connect(db_path)
    try:
        for table in ("orders", "order_events", "fills"):
            row = conn.execute(
                f"SELECT process_role, process_instance_id, cycle_id, config_hash FROM {table}"  # noqa: S608 - fixed names
            ).fetchone()
            assert tuple(row) == ("live", "instance-1", "c7", "cfg-abc")
    finally:
        conn.close()


def test_halt_survives_a_restart(db_path: Path) -> None:
    """A HALTED state written by one process is what the next process reads."""
    with _uow(db_path) as uow:
        assert uow.trading_state.current_state() is TradingState.ACTIVE
        uow.trading_state.record(
            TradingStateChange(TradingState.HALTED, "daily loss 1200 TRY > 1000 TRY", NOW)
        )
        uow.commit()
    with _uow(db_path) as uow:  # a new connection, as after a restart
        change = uow.trading_state.current()
    assert change is not None
    assert (change.state, change.reason) == (TradingState.HALTED, "daily loss 1200 TRY > 1000 TRY")


def test_cycle_journal_records_start_finish_signals_and_decisions(db_path: Path) -> None:
    """A cycle, its signal and its two kinds of decision are stored and read back."""
    signal = Signal("BTCTRY", Side.BUY, Decimal(1000), "ma cross", "trend", NOW)
    approved = ApprovedOrderIntent(
        0,
        OrderIntent(
            "BTCTRY", Side.BUY, OrderMethod.LIMIT, Decimal(3_900_000), Decimal("0.0002"), "t", "r"
        ),
    )
    rejected = RiskRejection(RejectReason.COOLDOWN, "filled 10 s ago")
    record = CycleRecord("c7", 7, NOW)
    with _uow(db_path) as uow:
        uow.cycles.start(record)
        uow.decisions.add_signal(signal)
        uow.decisions.add_decision(RiskDecision(signal, approved), at=NOW)
        uow.decisions.add_decision(RiskDecision(signal, rejected), at=NOW)
        done = replace(record, finished_at=NOW + timedelta(seconds=1), outcome="ok", fills=2)
        uow.cycles.finish(done)
        uow.commit()
    with _uow(db_path) as uow:
        assert uow.cycles.get("c7") == done
        assert uow.cycles.last_number() == 7
        outcomes = [(d["outcome"], d["reason"]) for d in uow.decisions.decisions("c7")]
        with pytest.raises(StateError, match="already recorded"):
            uow.cycles.start(record)
    assert outcomes == [("approved", None), ("rejected", "cooldown")]


def test_ledger_snapshot_round_trips(db_path: Path) -> None:
    """The newest ledger snapshot reads back equal, with its positions as rows."""
    ledger = _ledger()
    ledger.apply_fill(_fill(5))
    with _uow(db_path) as uow:
        uow.ledger.save(ledger.snapshot(), at=NOW)
        uow.commit()
    with _uow(db_path) as uow:
        stored = uow.ledger.latest()
        rows = uow.connection.execute("SELECT symbol, quantity FROM position_snapshots").fetchall()
    assert stored is not None
    # Stored without its trade ids (the fills table marks them): everything else reads back.
    assert stored.snapshot == replace(ledger.snapshot(), applied_trade_ids=())
    assert [tuple(r) for r in rows] == [("BTCTRY", "0.00025904")]


def test_snapshot_rows_do_not_grow_with_the_fills_booked(db_path: Path) -> None:
    """Each snapshot row stays the same size however many fills came before: linear storage."""
    ledger = _ledger()
    for trade in range(1, 301):
        ledger.apply_fill(_fill(trade))
        with _uow(db_path) as uow:
            uow.ledger.save(ledger.snapshot(), at=NOW)
            uow.commit()
    with _uow(db_path) as uow:
        sizes = [
            int(r[0])
            for r in uow.connection.execute(
                "SELECT length(snapshot) FROM ledger_snapshots ORDER BY id"
            ).fetchall()
        ]
    assert len(sizes) == 300
    assert max(sizes) - min(sizes) < 100, "a snapshot row grows with the fills before it"


def test_ledger_json_only_when_fills_were_booked_watermarks_every_time(db_path: Path) -> None:
    """Saving without new fills adds only a valuation row; the newest watermark is restored."""
    ledger = _ledger()
    ledger.apply_fill(_fill(5))
    marks = {"BTCTRY": Decimal(4_000_000)}
    first, wm1 = value(ledger, "TRY", marks, NOW)
    later = NOW + timedelta(minutes=1)
    second, wm2 = value(ledger, "TRY", {"BTCTRY": Decimal(4_100_000)}, later, wm1)
    with _uow(db_path) as uow:
        wrote = [
            uow.ledger.save(ledger.snapshot(), at=NOW, watermarks=(wm1,), valuation=first),
            uow.ledger.save(ledger.snapshot(), at=later, watermarks=(wm2,), valuation=second),
        ]
        uow.commit()
    with _uow(db_path) as uow:
        stored = uow.ledger.latest()
        figures = uow.ledger.recent_valuations()
    assert wrote == [True, False]
    assert stored is not None
    assert stored.watermarks == (wm2,)
    assert [f["equity"] for f in figures] == [str(second.equity), str(first.equity)]


_FIGURES = (
    "quote",
    "equity",
    "cash",
    "realized_pnl",
    "unrealized_pnl",
    "fees",
    "tax",
    "peak_equity",
    "drawdown_pct",
    "daily_pnl",
    "exposure",
)


def test_every_valuation_figure_is_stored_as_exact_text_newest_first(db_path: Path) -> None:
    """What `btcbot inspect` shows as the PnL: each figure of the valuation, none swapped."""
    ledger = _ledger()
    ledger.apply_fill(_fill(5))
    first, wm1 = value(ledger, "TRY", {"BTCTRY": Decimal(4_000_000)}, NOW)
    later = NOW + timedelta(minutes=1)
    second, wm2 = value(ledger, "TRY", {"BTCTRY": Decimal("3123456.7")}, later, wm1)
    expected = {name: str(getattr(second, name)) for name in _FIGURES}
    assert expected["quote"] == "TRY"
    # Every figure differs from the others, so a figure stored under another name shows.
    assert len({v for k, v in expected.items() if k != "quote"}) == len(_FIGURES) - 1
    with _uow(db_path) as uow:
        uow.ledger.save(ledger.snapshot(), at=NOW, watermarks=(wm1,), valuation=first)
        uow.ledger.save(ledger.snapshot(), at=later, watermarks=(wm2,), valuation=second)
        uow.ledger.save_valuation(None, watermarks=(wm2,), at=later)
        uow.commit()
    with _uow(db_path) as uow:
        rows = uow.ledger.recent_valuations(2)
        stored = uow.ledger.latest()
    assert len(rows) == 2
    assert {k: rows[0][k] for k in _FIGURES} == dict.fromkeys(_FIGURES)  # watermarks alone
    assert {k: rows[1][k] for k in _FIGURES} == expected
    assert (rows[1]["cycle_id"], rows[1]["taken_at"]) == ("c7", "2026-11-23T12:01:00.000000+00:00")
    assert stored is not None
    assert stored.watermarks == (wm2,)


def test_an_orders_history_says_when_what_and_why(db_path: Path) -> None:
    """Each event row keeps its order, the change's time, its name and its detail."""
    order = _order()
    acked_at = NOW + timedelta(seconds=3)
    with _uow(db_path) as uow:
        uow.orders.add(order, event="intent_recorded", detail="cycle c7 intent 0")
        acked = replace(
            order, state=LocalOrderState.SUBMITTED, exchange_order_id=7, updated_at=acked_at
        )
        uow.orders.save(acked, event="submit_acked", detail="exchange id 7")
        uow.commit()
    with _uow(db_path) as uow:
        events = uow.orders.events(order.client_order_id)
        assert uow.orders.events("bb-other") == []
    assert [(e.client_order_id, e.at, e.event, e.detail) for e in events] == [
        (order.client_order_id, NOW, "intent_recorded", "cycle c7 intent 0"),
        (order.client_order_id, acked_at, "submit_acked", "exchange id 7"),
    ]


def test_the_newest_orders_cycles_and_decisions_come_first_and_stop_at_the_limit(
    db_path: Path,
) -> None:
    """`btcbot inspect` reads the newest rows: newest first, at most ``limit``."""
    signal = Signal("BTCTRY", Side.BUY, Decimal(1000), "ma cross", "trend", NOW)
    with _uow(db_path) as uow:
        for n in range(1, 4):
            uow.orders.add(_order(f"bb-c{n}"))
            uow.cycles.start(CycleRecord(f"c{n}", n, NOW + timedelta(minutes=n)))
            detail = f"filled {n} s ago"
            uow.decisions.add_decision(
                RiskDecision(signal, RiskRejection(RejectReason.COOLDOWN, detail)), at=NOW
            )
        uow.commit()
    with _uow(db_path) as uow:
        assert [o.client_order_id for o in uow.orders.recent(2)] == ["bb-c3", "bb-c2"]
        assert [o.client_order_id for o in uow.orders.all()] == ["bb-c1", "bb-c2", "bb-c3"]
        assert [c.cycle_id for c in uow.cycles.recent(2)] == ["c3", "c2"]
        assert uow.cycles.last_number() == 3
        details = [d["detail"] for d in uow.decisions.recent_decisions(2)]
        assert details == ["filled 3 s ago", "filled 2 s ago"]


def test_a_cycle_reads_back_every_field_it_finished_with(db_path: Path) -> None:
    """The outcome, its error, the orders sent and the fills booked, and when it ended."""
    record = CycleRecord("c9", 9, NOW)
    done = replace(
        record,
        finished_at=NOW + timedelta(seconds=2),
        outcome="failed",
        error="ExchangeUnavailableError",
        orders_submitted=3,
        fills=4,
    )
    with _uow(db_path) as uow:
        assert uow.cycles.last_number() == 0
        assert uow.cycles.get("c9") is None
        uow.cycles.start(record)
        assert uow.cycles.get("c9") == record
        uow.cycles.finish(done)
        with pytest.raises(StateError, match="never started"):
            uow.cycles.finish(replace(done, cycle_id="c10"))
        with pytest.raises(StateError, match="finish needs finished_at and outcome"):
            uow.cycles.finish(replace(done, outcome=None))
        uow.commit()
    with _uow(db_path) as uow:
        assert uow.cycles.get("c9") == done
        assert uow.cycles.recent(1) == [done]


def test_each_kind_of_decision_keeps_its_own_figures(db_path: Path) -> None:
    """Approved: the order's price, size and index; dust: what it is worth against what."""
    sell = Signal("BTCTRY", Side.SELL, Decimal("0.5"), "exit", "trend", NOW)
    intent = OrderIntent(
        "BTCTRY", Side.SELL, OrderMethod.LIMIT, Decimal("3900000.1"), Decimal("0.0002"), "t", "r"
    )
    dust = DustPosition("BTCTRY", Decimal("0.00001"), Decimal("39.0"), Decimal("99.91"))
    with _uow(db_path) as uow:
        uow.decisions.add_signal(sell)
        uow.decisions.add_decision(RiskDecision(sell, ApprovedOrderIntent(2, intent)), at=NOW)
        uow.decisions.add_decision(RiskDecision(sell, dust), at=NOW)
        uow.commit()
        signals = uow.connection.execute(
            "SELECT symbol, side, size_hint, reason, strategy, as_of FROM signals"
        ).fetchall()
        indexes = uow.connection.execute(
            "SELECT intent_index FROM risk_decisions ORDER BY id"
        ).fetchall()
    with _uow(db_path) as uow:
        decisions = uow.decisions.decisions("c7")
    assert decisions == [
        {
            "symbol": "BTCTRY",
            "side": "sell",
            "outcome": "approved",
            "reason": None,
            "detail": "r",
            "price": "3900000.1",
            "quantity": "0.0002",
        },
        {
            "symbol": "BTCTRY",
            "side": "sell",
            "outcome": "dust",
            "reason": "dust",
            "detail": "0.00001 worth 39.0 < 99.91",
            "price": None,
            "quantity": "0.00001",
        },
    ]
    assert [r[0] for r in indexes] == [2, None]
    assert [tuple(r) for r in signals] == [
        ("BTCTRY", "sell", "0.5", "exit", "trend", "2026-11-23T12:00:00.000000+00:00")
    ]


def test_a_valuation_is_stored_even_without_a_watermark(db_path: Path) -> None:
    """The figures do not depend on the drawdown bookkeeping being passed along."""
    ledger = _ledger()
    figures, _ = value(ledger, "TRY", {}, NOW)
    with _uow(db_path) as uow:
        uow.ledger.save(ledger.snapshot(), at=NOW, valuation=figures)
        uow.commit()
    with _uow(db_path) as uow:
        rows = uow.ledger.recent_valuations()
    assert [r["equity"] for r in rows] == ["100000"]


def test_a_rejected_or_cancelled_order_keeps_why_and_when(db_path: Path) -> None:
    """The reject code and reason, and when a cancel was asked (not re-sent after a restart)."""
    asked = NOW + timedelta(seconds=30)
    market = replace(_order("bb-c7-1-BTCTRY-s"), method=OrderMethod.MARKET, price=None)
    with _uow(db_path) as uow:
        uow.orders.add(_order())
        uow.orders.add(market)
        rejected = replace(
            market, state=LocalOrderState.REJECTED, reject_code="1055", reject_reason="BALANCE"
        )
        uow.orders.save(rejected, event="rejected")
        cancelling = replace(_order(), exchange_order_id=9, cancel_requested_at=asked)
        uow.orders.save(cancelling, event="cancel_requested")
        with pytest.raises(StateError, match="order bb-none is not recorded; cannot update it"):
            uow.orders.save(replace(_order(), client_order_id="bb-none"), event="x")
        uow.commit()
    with _uow(db_path) as uow:
        assert uow.orders.get(market.client_order_id) == rejected
        assert uow.orders.get(cancelling.client_order_id) == cancelling
        first = uow.orders.events(market.client_order_id)[0]
    assert rejected.price is None
    assert (first.event, first.detail) == ("created", "")  # add()'s defaults


def test_each_position_row_of_a_snapshot_holds_its_figures(db_path: Path) -> None:
    """The per-symbol rows an operator can query: quantity, cost, realized PnL, fees, tax."""
    ledger = _ledger()
    ledger.apply_fill(_fill(5))
    sell = replace(_fill(6), side=Side.SELL, quantity=Decimal("0.0001"), price=Decimal(4_000_000))
    ledger.apply_fill(sell)
    (position,) = ledger.snapshot().positions
    with _uow(db_path) as uow:
        uow.ledger.save(ledger.snapshot(), at=NOW)
        uow.commit()
    with _uow(db_path) as uow:
        row = uow.connection.execute(
            "SELECT symbol, quantity, cost_basis, realized_pnl, fees, tax FROM position_snapshots"
        ).fetchone()
        stored = uow.ledger.latest()
    assert tuple(row) == (
        "BTCTRY",
        str(position.quantity),
        str(position.cost_basis),
        str(position.realized_pnl),
        str(position.fees),
        str(position.tax),
    )
    assert len(set(tuple(row)[2:])) == 4  # four different figures: none stored as another
    assert stored is not None
    assert stored.taken_at == NOW
