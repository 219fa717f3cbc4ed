"""The LIVE service: build one cycle from the real parts, then run the loop until told to stop.

What ``btcbot run`` and ``btcbot demo`` share. The caller (cli/wiring) has already run the
startup guards and holds the database lock; it passes the guarded database (``Database``), the
exchange client, the clocks and the stop token. Order of events:

1. status file ``starting``; metrics exporter up (when a port is configured);
2. startup reconciliation — on failure the loop still runs but only observes, retrying the
   reconciliation each cycle, and says why in the log and the status file;
3. cycles until ``--cycles`` or a stop request; each ends with metrics and the status file;
4. status file ``stopped`` on a clean exit (a crash leaves ``running`` with a dead pid, which is
   how the MONITOR tells the two apart).
"""

from __future__ import annotations

import json
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from btcbot.adapters.clock import Clock
from btcbot.domain.errors import ConfigError
from btcbot.domain.records import AuditContext
from btcbot.domain.trading import RiskLimits
from btcbot.exchange.clock import DEFAULT_LIMIT
from btcbot.observability.logging import get_logger
from btcbot.observability.metrics import Exporter, Metrics, start_exporter
from btcbot.observability.status_file import status_path
from btcbot.risk.kill_switch import KillSwitchProbe
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts
from btcbot.services.cycle import LiveCycle
from btcbot.services.run_loop import LoopSummary, StopRequest, run_loop
from btcbot.services.status_reporter import StatusFacts, StatusReporter
from btcbot.settings import Settings
from btcbot.state.uow import ConnectionFactory, UnitOfWork
from btcbot.strategy.params import MeanReversionParams, StrategyParams, TrendParams

_log = get_logger(__name__)


class Database(Protocol):
    """The guarded, locked LIVE database (``btcbot.lifecycle.Runtime`` satisfies it)."""

    def connection_factory(self) -> ConnectionFactory:
        """New connections to the database."""
        ...

    def audit_context(self, cycle_id: str | None = None) -> AuditContext:
        """The stamp of this process."""
        ...


@dataclass(frozen=True, slots=True)
class LiveOptions:
    """How this LIVE process trades and reports (from settings and the command line)."""

    symbols: tuple[str, ...]
    cycle_seconds: float
    control_dir: Path
    mode: str
    instance_id: str
    kill_switch_setting: bool
    strategy: StrategyParams = field(default_factory=StrategyParams)
    limits: RiskLimits = field(default_factory=RiskLimits)
    order_ttl: timedelta = timedelta(minutes=5)
    clock_limit: timedelta = DEFAULT_LIMIT
    handover: tuple[tuple[str, Decimal], ...] = ()
    metrics_bind: str = "127.0.0.1"
    metrics_port: int = 0


@dataclass
class Arming:
    """The DB's armed flag as of start-up; a kill file seen later clears it for this process."""

    armed: bool


@dataclass
class LiveDeps:
    """The outside world of the LIVE service, injected (real or in-process emulator).

    ``policy`` is the process's one ``TradingArmedPolicy`` (``btcbot.wiring.LiveApp.policy``);
    ``arming`` is shared by the cycle's armed facts and the status file's verdict.
    """

    db: Database
    clock: Clock
    wall_clock: Clock
    facts: Callable[[bool], TradingFacts]
    kill_probe: KillSwitchProbe
    metrics: Metrics
    policy: TradingArmedPolicy
    arming: Arming = field(default_factory=lambda: Arming(armed=False))


class CycleBuilder(Protocol):
    """Builds the LIVE cycle over ``deps`` (``btcbot.wiring.live_cycle.build_cycle``)."""

    def __call__(self, opts: LiveOptions, deps: LiveDeps) -> LiveCycle:
        """The cycle, wired."""
        ...


def _exporter(opts: LiveOptions, metrics: Metrics) -> Exporter | None:
    """The /metrics endpoint, or ``None`` when ``METRICS_PORT=0``; a busy port is a config error."""
    if not opts.metrics_port:
        return None
    try:
        return start_exporter(metrics.registry, bind=opts.metrics_bind, port=opts.metrics_port)
    except OSError as exc:
        raise ConfigError(
            f"METRICS_PORT={opts.metrics_port} on METRICS_BIND={opts.metrics_bind} cannot be "
            f"served ({exc.strerror or exc}): choose a free port, or 0 to turn metrics off"
        ) from None


def run_live(
    opts: LiveOptions,
    deps: LiveDeps,
    build: CycleBuilder,
    *,
    stop: StopRequest,
    max_cycles: int | None,
    sleep: Callable[[float], bool] | None = None,
    monotonic: Callable[[], float] | None = None,
    before_stop: Callable[[], None] | None = None,
) -> LoopSummary:
    """Start up, reconcile, loop; always leave the status file saying how the process ended.

    ``before_stop`` runs after the last cycle while the status file still says ``running``
    (the demo runs the MONITOR's health check there).
    """
    arming, policy = deps.arming, deps.policy
    observer = StatusReporter(
        trading_allowed=lambda: not policy.submit_blockers(deps.facts(arming.armed)),
        metrics=deps.metrics,
        status_path=status_path(opts.control_dir),
        wall_clock=deps.wall_clock,
        facts=StatusFacts(
            instance_id=opts.instance_id,
            mode=opts.mode,
            cycle_seconds=opts.cycle_seconds,
            armed=arming.armed,
            kill_switch_setting=opts.kill_switch_setting,
            symbols=opts.symbols,
        ),
    )
    exporter = _exporter(opts, deps.metrics)
    observer.starting()
    try:
        cycle = build(opts, deps)
        if not cycle.startup():
            _log.error("observe_only", reason="startup reconciliation failed; retried each cycle")
        summary = run_loop(
            cycle,
            observer,
            stop=stop,
            cycle_seconds=opts.cycle_seconds,
            max_cycles=max_cycles,
            sleep=sleep,
            monotonic=monotonic or time.monotonic,
        )
        cycle.settle(summary.cycles + 1)
        if before_stop is not None:
            before_stop()
    except BaseException as exc:
        observer.stopped(state="stopping", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        if exporter is not None:
            exporter.close()
    observer.stopped()
    return summary


def options_from(
    settings: Settings, *, instance_id: str, cycle_seconds: float | None = None
) -> LiveOptions:
    """The LIVE options of ``settings`` (``--cycle-seconds`` overrides ``CYCLE_SECONDS``)."""
    return LiveOptions(
        symbols=settings.symbols,
        cycle_seconds=cycle_seconds if cycle_seconds is not None else settings.cycle_seconds,
        control_dir=settings.control_dir,
        mode=settings.mode.value,
        instance_id=instance_id,
        kill_switch_setting=settings.kill_switch,
        strategy=strategy_params(settings),
        limits=settings.risk_limits(),
        clock_limit=timedelta(seconds=settings.clock_uncertainty_limit_seconds),
        handover=settings.handover_holdings,
        metrics_bind=settings.metrics_bind,
        metrics_port=settings.metrics_port,
    )


def strategy_params(settings: Settings) -> StrategyParams:
    """The STRATEGIES / STRATEGY_* knobs as the strategy layer's parameters."""
    s = settings
    return StrategyParams(
        enabled=s.strategies,
        trend=TrendParams(
            fast_window=s.strategy_trend_fast_window,
            slow_window=s.strategy_trend_slow_window,
            order_notional_try=s.strategy_trend_order_notional_try,
        ),
        mean_reversion=MeanReversionParams(
            window=s.strategy_meanrev_window,
            entry_z=s.strategy_meanrev_entry_z,
            take_profit_pct=s.strategy_meanrev_take_profit_pct,
            stop_loss_pct=s.strategy_meanrev_stop_loss_pct,
            order_notional_try=s.strategy_meanrev_order_notional_try,
        ),
        custom=custom_params(s.strategy_params_file, s.strategies),
    )


def custom_params(path: Path | None, enabled: tuple[str, ...]) -> dict[str, dict[str, Any]]:
    """STRATEGY_PARAMS_FILE: ``{"pkg.module:Class": {"param": value}}`` as JSON or TOML.

    A table for an entry that STRATEGIES does not name is refused (a typo would silently run
    the strategy with its defaults).
    """
    if path is None:
        return {}
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigError(
            f"STRATEGY_PARAMS_FILE {path}: cannot be read as "
            f"{'TOML' if path.suffix.lower() == '.toml' else 'JSON'} ({exc})"
        ) from None
    if not isinstance(raw, dict) or not all(isinstance(v, dict) for v in raw.values()):
        raise ConfigError(
            f"STRATEGY_PARAMS_FILE {path}: must map each pkg.module:Class to a table of parameters"
        )
    unknown = sorted(k for k in raw if k not in enabled)
    if unknown:
        raise ConfigError(
            f"STRATEGY_PARAMS_FILE {path}: {', '.join(unknown)} is not in STRATEGIES; "
            "add it there or remove its table"
        )
    return {str(k): dict(v) for k, v in raw.items()}


def read_armed(db: Database) -> bool:
    """The armed flag the LIVE database holds now."""
    with UnitOfWork(db.connection_factory(), db.audit_context()) as uow:
        return uow.arming.is_armed()
