"""The status file says the mode and whether trading is allowed; health and inspect say DRY RUN."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from btcbot.adapters.clock import ManualClock
from btcbot.adapters.processes import ProcessFacts
from btcbot.domain.enums import ExchangeKind, Role
from btcbot.observability.metrics import Metrics
from btcbot.observability.status_file import (
    LiveStatus,
    StatusFileError,
    read_status,
    status_path,
    write_status,
)
from btcbot.risk.policies import TradingFacts
from btcbot.services.health_checks import check_live_status
from btcbot.services.inspect import build_view
from btcbot.services.status_reporter import StatusFacts, StatusReporter

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
DRY = LiveStatus(
    pid=4242,
    hostname="here",
    instance_id="i",
    started_at=NOW - timedelta(hours=1),
    written_at=NOW - timedelta(seconds=5),
    state="running",
    mode="sim",
    cycle_seconds=60.0,
    armed=False,
    kill_switch=False,
    cycle_id="c-3",
    last_cycle_at=NOW - timedelta(seconds=5),
    trading_allowed=True,
)
MONITOR = TradingFacts(
    role=Role.MONITOR,
    live_trading=False,
    ack=False,
    safe_mode=True,
    kill_switch=True,
    armed=False,
    kill_file_present=False,
    exchange=ExchangeKind.SIM,
)


def test_the_observer_writes_what_the_policy_says_at_each_write(tmp_path: Path) -> None:
    """``trading_allowed`` follows the callable: true while allowed, false once it refuses."""
    allowed = [True]
    path = status_path(tmp_path)
    observer = StatusReporter(
        metrics=Metrics(CollectorRegistry()),
        status_path=path,
        wall_clock=ManualClock(NOW),
        facts=StatusFacts("i", "sim", 5.0, False, False, ("BTCTRY",)),
        trading_allowed=lambda: allowed[0],
    )
    observer.starting()
    first = read_status(path)
    assert (first.mode, first.armed, first.trading_allowed) == ("sim", False, True)
    allowed[0] = False
    observer.stopped()
    assert read_status(path).trading_allowed is False


def test_a_status_file_without_the_field_still_reads(tmp_path: Path) -> None:
    """Files written before ``trading_allowed`` existed read as unknown (None), not as an error."""
    path = status_path(tmp_path)
    write_status(path, DRY)
    raw = json.loads(path.read_text(encoding="utf-8"))
    del raw["trading_allowed"]
    path.write_text(json.dumps(raw), encoding="utf-8")
    assert read_status(path).trading_allowed is None
    raw["trading_allowed"] = "yes"
    path.write_text(json.dumps(raw), encoding="utf-8")
    with pytest.raises(StatusFileError, match="trading_allowed"):
        read_status(path)


@pytest.mark.parametrize(
    ("change", "verdict"),
    [
        ({}, "LIVE reports DRY RUN (sim mode) (from the status file)"),
        ({"trading_allowed": None}, "LIVE reports DRY RUN (sim mode) (from the status file)"),
        (
            {"trading_allowed": False},
            "LIVE reports DRY RUN (sim mode), NOT TRADING (from the status file)",
        ),
        ({"mode": "live", "armed": True}, "LIVE reports ARMED (from the status file)"),
        (
            {"mode": "live", "trading_allowed": None},
            "LIVE reports NOT ARMED (from the status file)",
        ),
    ],
)
def test_monitor_inspect_says_dry_run_not_unarmed(
    tmp_path: Path, change: dict[str, object], verdict: str
) -> None:
    """An unarmed dry run reads DRY RUN; live keeps ARMED / NOT ARMED."""
    write_status(status_path(tmp_path), dataclasses.replace(DRY, **change))  # type: ignore[arg-type]
    view = build_view(facts=MONITOR, control_dir=tmp_path, arming=None)
    assert view.verdict == verdict
    status = view.as_dict()["live_status"]
    assert isinstance(status, dict)
    assert status["trading_allowed"] == change.get("trading_allowed", True)


def test_health_names_a_dry_run_and_stays_ok(tmp_path: Path) -> None:
    """An unarmed dry run is OK, its line says DRY RUN and the details carry trading_allowed."""
    path = status_path(tmp_path)
    write_status(path, DRY)
    alive = ProcessFacts(alive=True, is_btcbot=True, started_at=NOW - timedelta(hours=1))
    result = check_live_status(
        path, clock=ManualClock(NOW), hostname="here", inspect=lambda _p: alive
    )
    assert result.status.value == "ok"
    assert result.reason.startswith("LIVE pid 4242 DRY RUN")
    assert result.details["trading_allowed"] is True
