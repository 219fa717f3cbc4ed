"""The cycle observer turns one outcome into metrics and an atomically rewritten status file."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from prometheus_client import CollectorRegistry

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import Side
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


def _observer(tmp_path: Path) -> tuple[StatusReporter, Metrics]:
    metrics = Metrics(CollectorRegistry())
    clock = ManualClock(WALL)
    path = tmp_path / "live_status.json"
    return StatusReporter(metrics=metrics, status_path=path, wall_clock=clock, facts=FACTS), metrics


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
                CancelOutcome("bb-9", "BTCTRY", CancelResult.NOT_FOUND, "ttl"),
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
    assert 'btcbot_orders_canceled_total{reason="ttl"} 1.0' in text  # the refused one is not
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
