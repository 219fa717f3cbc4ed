"""The cycle observer turns one outcome into metrics and an atomically rewritten status file."""

from __future__ import annotations

import os
import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from prometheus_client import CollectorRegistry

from btcbot.adapters.clock import ManualClock
from btcbot.adapters.processes import ProcessFacts
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.enums import Side
from btcbot.domain.models import Fill
from btcbot.domain.records import HealthLevel
from btcbot.domain.trading import StateCause, TradingState
from btcbot.execution.report import (
    CancelOutcome,
    CancelResult,
    ExecutionReport,
    SubmitOutcome,
    SubmitResult,
)
from btcbot.observability.metrics import Metrics, render
from btcbot.observability.status_file import read_status
from btcbot.services.cycle import BookFigures, CycleOutcome
from btcbot.services.health_checks import check_live_status
from btcbot.services.status_reporter import StatusFacts, StatusReporter

WALL = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
FACTS = StatusFacts(
    instance_id="i-1",
    mode="dry-run",
    cycle_seconds=5.0,
    armed=False,
    kill_switch_setting=False,
    symbols=("BTCTRY",),
)


def _observer(
    tmp_path: Path, clock: ManualClock | None = None, facts: StatusFacts = FACTS
) -> tuple[StatusReporter, Metrics]:
    metrics = Metrics(CollectorRegistry())
    wall = clock or ManualClock(WALL)
    path = tmp_path / "live_status.json"
    return StatusReporter(metrics=metrics, status_path=path, wall_clock=wall, facts=facts), metrics


def test_a_successful_cycle_updates_counters_gauges_and_the_status_file(tmp_path: Path) -> None:
    """Orders, rejections, PnL gauges and last-cycle time are exported; status says running."""
    observer, metrics = _observer(tmp_path)
    observer.starting()
    outcome = CycleOutcome(
        cycle_id="t-1",
        number=1,
        risk_rejections=("max_open_orders",),
        execution=ExecutionReport(
            submits=(
                SubmitOutcome("bb-1", "BTCTRY", Side.BUY, SubmitResult.SUBMITTED),
                SubmitOutcome("bb-2", "BTCTRY", Side.SELL, SubmitResult.REJECTED),
            ),
            cancels=(
                CancelOutcome("bb-0", "BTCTRY", CancelResult.REQUESTED, "ttl"),
                CancelOutcome("bb-9", "BTCTRY", CancelResult.NOT_FOUND, "disarm"),
            ),
        ),
        open_orders=1,
        figures=BookFigures(
            realized_pnl=Decimal("1.5"),
            unrealized_pnl=Decimal(-2),
            equity=Decimal(10000),
            drawdown_pct=Decimal("0.5"),
            daily_pnl=Decimal(3),
            exposure={"BTCTRY": Decimal(250)},
        ),
    )
    observer(outcome, 0.01)
    text = render(metrics.registry)
    assert 'btcbot_orders_submitted_total{side="buy",symbol="BTCTRY"} 1.0' in text
    assert 'btcbot_risk_rejections_total{reason="max_open_orders"} 1.0' in text
    assert 'btcbot_orders_submitted_total{side="sell",symbol="BTCTRY"}' not in text
    assert 'btcbot_orders_rejected_total{reason="rejected"} 1.0' in text
    assert 'btcbot_orders_canceled_total{reason="ttl"} 1.0' in text
    assert 'btcbot_orders_canceled_total{reason="disarm"}' not in text  # not found: not counted
    assert "btcbot_equity_try 10000.0" in text
    assert 'btcbot_exposure_try{symbol="BTCTRY"} 250.0' in text
    last = metrics.registry.get_sample_value("btcbot_last_cycle_timestamp_seconds")
    assert last == WALL.timestamp()
    status = read_status(tmp_path / "live_status.json")
    assert status.state == "running"
    assert status.cycle_id == "t-1"
    assert status.last_cycle_at == WALL
    assert status.open_orders == 1


def test_a_failed_cycle_keeps_the_last_good_cycle_time_and_reports_the_error(
    tmp_path: Path,
) -> None:
    """A failed cycle sets last_error but does not pretend a cycle completed."""
    observer, metrics = _observer(tmp_path)
    observer(CycleOutcome(cycle_id="t-1", number=1, error="ExchangeUnavailableError: 503"), 0.1)
    status = read_status(tmp_path / "live_status.json")
    assert status.last_cycle_at is None
    assert status.last_error == "ExchangeUnavailableError: 503"
    assert 'btcbot_cycles_total{outcome="failed"} 1.0' in render(metrics.registry)


def test_a_failing_strategy_is_the_status_files_last_error_while_it_fails(
    tmp_path: Path,
) -> None:
    """A strategy that fails every cycle kept its symbols observing while health said OK.

    Health warns on ``last_error`` (``tests/unit/test_health_checks.py``); a cycle without a
    fault clears it again.
    """
    observer, _ = _observer(tmp_path)
    faults = (
        "strategy hangs failed on BTCTRY: did not answer within 5 s",
        "strategy hangs failed on ETHTRY: did not answer within 5 s",
    )
    observer(CycleOutcome(cycle_id="t-1", number=1, strategy_faults=faults), 0.1)
    status = read_status(tmp_path / "live_status.json")
    assert status.last_error == (
        "strategy hangs failed on BTCTRY: did not answer within 5 s (and 1 more): "
        "its symbol observes only"
    )
    assert status.last_cycle_at == WALL  # the cycle itself completed
    observer(CycleOutcome(cycle_id="t-2", number=2), 0.1)
    assert read_status(tmp_path / "live_status.json").last_error is None


def test_a_cycle_failed_by_the_exchange_counts_its_error_kind(tmp_path: Path) -> None:
    """btcbot_exchange_errors_total counts failed cycles by the exchange error's type."""
    observer, metrics = _observer(tmp_path)
    failed = CycleOutcome(
        cycle_id="t-1", number=1, error="RateLimitedError: 429", error_kind="RateLimitedError"
    )
    observer(failed, 0.1)
    observer(CycleOutcome(cycle_id="t-2", number=2), 0.1)
    value = metrics.registry.get_sample_value(
        "btcbot_exchange_errors_total", {"kind": "RateLimitedError"}
    )
    assert value == 1.0


def test_a_kill_file_shows_as_kill_switch_and_a_clean_stop_is_written(tmp_path: Path) -> None:
    """The kill file's reason reaches the status file; stopping writes state=stopped."""
    observer, _ = _observer(tmp_path)
    observer(CycleOutcome(cycle_id="t-2", number=2, kill_reason="disarmed"), 0.0)
    status = read_status(tmp_path / "live_status.json")
    assert status.kill_switch
    assert status.kill_reason == "disarmed"
    observer.stopped()
    assert read_status(tmp_path / "live_status.json").state == "stopped"


def _sample(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float | None:
    return metrics.registry.get_sample_value(name, labels or {})


def test_the_status_file_carries_the_halt_and_the_monitor_reads_it_as_critical(
    tmp_path: Path,
) -> None:
    """LIVE's books halted: the status file says why, and ``btcbot health`` turns CRITICAL.

    The chain the scheduler depends on, end to end in one process: the cycle's figures, the
    status file, the MONITOR's check of it.
    """
    observer, _ = _observer(tmp_path)
    halt = TradingStateChange(
        TradingState.HALTED, "the books differ (BTC)", WALL, StateCause.BOOKS_DIFFER
    )
    zero = Decimal(0)
    figures = BookFigures(zero, zero, zero, zero, zero, trading_state=halt, foreign_orders=2)
    observer(CycleOutcome(cycle_id="t-1", number=1, figures=figures), 0.1)
    path = tmp_path / "live_status.json"
    status = read_status(path)
    assert (status.trading_state, status.trading_state_cause) == ("halted", "books_differ")
    assert (status.trading_state_reason, status.foreign_orders) == ("the books differ (BTC)", 2)
    me = ProcessFacts(alive=True, is_btcbot=True, started_at=status.started_at)
    health = check_live_status(
        path, clock=ManualClock(WALL), hostname=socket.gethostname(), inspect=lambda _pid: me
    )
    assert health.status is HealthLevel.CRITICAL
    assert health.reason.startswith("LIVE trading HALTED (books_differ): the books differ (BTC)")
    active = BookFigures(zero, zero, zero, zero, zero)
    observer(CycleOutcome(cycle_id="t-2", number=2, figures=active), 0.1)
    status = read_status(path)
    assert (status.trading_state, status.trading_state_cause, status.foreign_orders) == (
        None,
        None,
        0,
    )


def test_the_first_status_names_this_process(tmp_path: Path) -> None:
    """The MONITOR checks the pid on this host, so both must be this process's own."""
    observer, metrics = _observer(tmp_path, facts=replace(FACTS, armed=True, mode="live"))
    observer.starting()
    status = read_status(tmp_path / "live_status.json")
    assert (status.pid, status.hostname, status.instance_id) == (
        os.getpid(),
        socket.gethostname(),
        "i-1",
    )
    assert (status.state, status.started_at, status.written_at) == ("starting", WALL, WALL)
    assert (status.mode, status.armed, status.kill_switch) == ("live", True, False)
    assert (status.symbols, status.cycle_seconds) == (("BTCTRY",), 5.0)
    assert _sample(metrics, "btcbot_armed") == 1.0
    _, unarmed = _observer(tmp_path)
    assert _sample(unarmed, "btcbot_armed") == 0.0


def test_every_write_is_stamped_with_the_wall_clock(tmp_path: Path) -> None:
    """The MONITOR judges staleness by ``written_at``: each write must move it."""
    clock = ManualClock(WALL)
    observer, _ = _observer(tmp_path, clock)
    observer.starting()
    clock.advance(30)
    observer(CycleOutcome(cycle_id="t-1", number=1), 0.1)
    status = read_status(tmp_path / "live_status.json")
    assert (status.started_at, status.written_at) == (WALL, WALL + timedelta(seconds=30))


def test_a_kill_switch_setting_shows_from_the_first_cycle(tmp_path: Path) -> None:
    """KILL_SWITCH=true blocks trading with no kill file: the gauge and the status say so."""
    observer, metrics = _observer(tmp_path, facts=replace(FACTS, kill_switch_setting=True))
    observer(CycleOutcome(cycle_id="t-1", number=1), 0.1)
    assert read_status(tmp_path / "live_status.json").kill_switch
    assert _sample(metrics, "btcbot_kill_switch") == 1.0
    plain, plain_metrics = _observer(tmp_path)
    plain(CycleOutcome(cycle_id="t-1", number=1), 0.1)
    assert _sample(plain_metrics, "btcbot_kill_switch") == 0.0
    plain(CycleOutcome(cycle_id="t-2", number=2, kill_reason="drill"), 0.1)
    assert _sample(plain_metrics, "btcbot_kill_switch") == 1.0


def test_cycles_are_counted_by_how_they_ended_and_fills_by_pair_and_side(tmp_path: Path) -> None:
    """The dashboards' counters: ok, observe-only and failed cycles; each fill's pair and side."""
    observer, metrics = _observer(tmp_path)
    fill = Fill(
        7,
        1,
        "bb-1",
        "ETHTRY",
        Side.SELL,
        Decimal(100),
        Decimal(1),
        Decimal(0),
        Decimal(0),
        "TRY",
        WALL,
    )
    observer(CycleOutcome(cycle_id="t-1", number=1, fills=(fill,)), 0.1)
    observer(CycleOutcome(cycle_id="t-2", number=2, observe_only="clock untrusted"), 0.1)
    observer(CycleOutcome(cycle_id="t-3", number=3, error="E: x"), 0.1)
    counts = {
        label: _sample(metrics, "btcbot_cycles_total", {"outcome": label})
        for label in ("ok", "observe_only", "failed")
    }
    assert counts == {"ok": 1.0, "observe_only": 1.0, "failed": 1.0}
    labels = {"symbol": "ETHTRY", "side": "sell"}
    assert _sample(metrics, "btcbot_orders_filled_total", labels) == 1.0


def test_why_a_cycle_placed_nothing_is_the_last_error_unless_a_kill_file_says_it(
    tmp_path: Path,
) -> None:
    """Observing for a reason the MONITOR should hear; a kill file has its own field."""
    observer, _ = _observer(tmp_path)
    observer(CycleOutcome(cycle_id="t-1", number=1, observe_only="clock untrusted"), 0.1)
    assert read_status(tmp_path / "live_status.json").last_error == "observe only: clock untrusted"
    killed = CycleOutcome(cycle_id="t-2", number=2, observe_only="kill file: x", kill_reason="x")
    observer(killed, 0.1)
    assert read_status(tmp_path / "live_status.json").last_error is None
    one = ("strategy s failed on BTCTRY: boom",)
    observer(CycleOutcome(cycle_id="t-3", number=3, strategy_faults=one), 0.1)
    assert read_status(tmp_path / "live_status.json").last_error == (
        "strategy s failed on BTCTRY: boom: its symbol observes only"
    )


def test_a_stop_keeps_the_last_error_unless_it_brings_its_own(tmp_path: Path) -> None:
    """The last thing LIVE saw wrong stays in the file the MONITOR reads after the stop."""
    observer, _ = _observer(tmp_path)
    observer(CycleOutcome(cycle_id="t-1", number=1, error="E: first"), 0.1)
    observer.stopped()
    assert read_status(tmp_path / "live_status.json").last_error == "E: first"
    observer.stopped(state="stopping", error="E: fatal")
    status = read_status(tmp_path / "live_status.json")
    assert (status.state, status.last_error) == ("stopping", "E: fatal")
