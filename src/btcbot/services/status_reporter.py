"""After every cycle: Prometheus metrics updated and the LIVE status file rewritten atomically.

The status file carries the mode (``live`` or ``dry-run``) and ``trading_allowed``, what the
armed policy says about a new order at each write, so the MONITOR can tell a dry run that
trades (no arming needed) from a live process that is not armed.

Timestamps here come from the *wall* clock, not the trading clock: the status file and the
last-cycle gauge say whether the process is alive now, which is a question about real time even
when the demo's trading clock runs hundreds of times faster.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from btcbot.adapters.clock import Clock
from btcbot.execution.report import CancelResult, ExecutionReport, SubmitResult
from btcbot.observability.logging import get_logger
from btcbot.observability.metrics import Metrics
from btcbot.observability.status_file import LiveStatus, write_status
from btcbot.services.cycle import CycleOutcome

_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class StatusFacts:
    """What the status file says about this process beyond the cycle itself."""

    instance_id: str
    mode: str
    cycle_seconds: float
    armed: bool
    kill_switch_setting: bool
    symbols: tuple[str, ...]


class StatusReporter:
    """Records each cycle's outcome in metrics and the status file."""

    def __init__(
        self,
        *,
        metrics: Metrics,
        status_path: Path,
        wall_clock: Clock,
        facts: StatusFacts,
        trading_allowed: Callable[[], bool] | None = None,
    ) -> None:
        self._metrics = metrics
        self._allowed = trading_allowed
        self._path = status_path
        self._wall = wall_clock
        now = wall_clock.now()
        self._status = LiveStatus(
            pid=os.getpid(),
            hostname=socket.gethostname(),
            instance_id=facts.instance_id,
            started_at=now,
            written_at=now,
            state="starting",
            mode=facts.mode,
            cycle_seconds=facts.cycle_seconds,
            armed=facts.armed,
            kill_switch=facts.kill_switch_setting,
            symbols=facts.symbols,
        )
        self._kill_setting = facts.kill_switch_setting
        metrics.armed.set(1 if facts.armed else 0)

    @property
    def status(self) -> LiveStatus:
        """The last status written."""
        return self._status

    def starting(self) -> None:
        """Announce the process before its first cycle."""
        self._write(state="starting")

    def stopped(self, *, state: str = "stopped", error: str | None = None) -> None:
        """Announce a clean stop (``stopped``) or the way out (``stopping`` on an error)."""
        self._write(state=state, last_error=error or self._status.last_error)

    def __call__(self, outcome: CycleOutcome, duration_seconds: float) -> None:
        """Update every metric from ``outcome`` and rewrite the status file."""
        m = self._metrics
        now = self._wall.now()
        label = "failed" if outcome.error else ("observe_only" if outcome.observe_only else "ok")
        m.cycles.labels(outcome=label).inc()
        m.cycle_duration.observe(duration_seconds)
        if outcome.error_kind is not None:
            m.exchange_errors.labels(kind=outcome.error_kind).inc()
        _count_orders(m, outcome.execution)
        for reason in outcome.risk_rejections:
            m.risk_rejections.labels(reason=reason).inc()
        for fill in outcome.fills:
            m.orders_filled.labels(symbol=fill.symbol, side=fill.side.value).inc()
        m.open_orders.set(outcome.open_orders)
        killed = self._kill_setting or outcome.kill_reason is not None
        m.kill_switch.set(1 if killed else 0)
        if outcome.figures is not None:
            f = outcome.figures
            m.realized_pnl.set(float(f.realized_pnl))
            m.unrealized_pnl.set(float(f.unrealized_pnl))
            m.equity.set(float(f.equity))
            m.drawdown.set(float(f.drawdown_pct))
            m.daily_pnl.set(float(f.daily_pnl))
            for symbol, value in f.exposure.items():
                m.exposure.labels(symbol=symbol).set(float(value))
            state = f.trading_state
            self._status = replace(
                self._status,
                trading_state=None if state is None else state.state.value,
                trading_state_cause=None if state is None else state.cause.value,
                trading_state_reason=None if state is None else state.reason,
                foreign_orders=f.foreign_orders,
            )
        if outcome.error is None:
            m.last_cycle.set(now.timestamp())
        self._write(
            state="running",
            cycle_id=outcome.cycle_id,
            last_cycle_at=now if outcome.error is None else self._status.last_cycle_at,
            kill_switch=killed,
            kill_reason=outcome.kill_reason,
            open_orders=outcome.open_orders,
            last_error=outcome.error or _observe_only_note(outcome) or _fault_note(outcome),
        )

    def _write(self, **changes: object) -> None:
        if self._allowed is not None:
            # Asked at every write: the kill file or arming may have changed since the last one.
            changes["trading_allowed"] = self._allowed()
        self._status = replace(self._status, written_at=self._wall.now(), **changes)  # type: ignore[arg-type]
        try:
            write_status(self._path, self._status)
        except OSError as exc:
            # The loop goes on (its orders still need watching); the MONITOR sees the status
            # file go stale and turns CRITICAL, which is the alarm this deserves.
            _log.error(
                "status_file_unwritable",
                path=str(self._path),
                error=exc.strerror or type(exc).__name__,
                remedy="make CONTROL_DIR writable; health reports the status as stale until then",
            )


def _count_orders(m: Metrics, execution: ExecutionReport) -> None:
    """Orders sent, refused (by the exchange or the policy, or of unknown fate) and cancelled."""
    for submit in execution.submits:
        if submit.result is SubmitResult.SUBMITTED:
            m.orders_submitted.labels(symbol=submit.symbol, side=submit.side.value).inc()
        else:
            m.orders_rejected.labels(reason=submit.result.value).inc()
    for cancel in execution.cancels:
        if cancel.result is CancelResult.REQUESTED:
            m.orders_canceled.labels(reason=cancel.why).inc()


def _observe_only_note(outcome: CycleOutcome) -> str | None:
    """Why a healthy-looking cycle placed nothing (the kill file has its own field)."""
    if outcome.observe_only is None or outcome.kill_reason is not None:
        return None
    return f"observe only: {outcome.observe_only}"


def _fault_note(outcome: CycleOutcome) -> str | None:
    """A strategy that failed this cycle: its symbol observed, which the MONITOR must hear of."""
    if not outcome.strategy_faults:
        return None
    more = len(outcome.strategy_faults) - 1
    also = f" (and {more} more)" if more else ""
    return f"{outcome.strategy_faults[0]}{also}: its symbol observes only"
