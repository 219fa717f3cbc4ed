"""The LIVE status the health-check tests start from: a running, armed LIVE written 10 s ago."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from btcbot.adapters.clock import ManualClock
from btcbot.adapters.processes import ProcessFacts
from btcbot.observability.status_file import LiveStatus, status_path, write_status
from btcbot.services.health import CheckResult
from btcbot.services.health_checks import check_live_status

NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
STATUS = LiveStatus(
    pid=4242,
    hostname="here",
    instance_id="i",
    started_at=NOW - timedelta(hours=1),
    written_at=NOW - timedelta(seconds=10),
    state="running",
    mode="live",
    cycle_seconds=60.0,
    armed=True,
    kill_switch=False,
    cycle_id="c-9",
    last_cycle_at=NOW - timedelta(seconds=10),
)
ALIVE = ProcessFacts(alive=True, is_btcbot=True, started_at=STATUS.started_at)
"""What the operating system says of the status file's pid: a btcbot started when it says."""


def live_check(
    control_dir: Path, status: LiveStatus, inspect: Callable[[int], ProcessFacts]
) -> CheckResult:
    """``status`` written where LIVE writes it, then checked by the MONITOR on ``here`` at NOW."""
    path = status_path(control_dir)
    write_status(path, status)
    return check_live_status(path, clock=ManualClock(NOW), hostname="here", inspect=inspect)
