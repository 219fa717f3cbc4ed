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

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Protocol

from btcbot.adapters.clock import Clock
from btcbot.adapters.control_dir import read_kill
from btcbot.domain.enums import Role
from btcbot.domain.errors import ConfigError, ExchangeUnavailableError
from btcbot.domain.ledger_balances import opening_from_balances, pair_of
from btcbot.domain.ledger_types import Opening, Pair
from btcbot.domain.models import Balance
from btcbot.domain.records import AuditContext
from btcbot.domain.trading import RiskLimits
from btcbot.exchange.client import BtcturkClient
from btcbot.exchange.clock import DEFAULT_LIMIT, ExchangeClock
from btcbot.execution.service import ExecutionService
from btcbot.market_data.limits import MarketDataLimits
from btcbot.market_data.service import MarketDataService
from btcbot.observability.logging import get_logger
from btcbot.observability.metrics import Exporter, Metrics, start_exporter
from btcbot.observability.status_file import status_path
from btcbot.risk.kill_switch import KillSwitchProbe
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts
from btcbot.services.account_books import AccountWatch
from btcbot.services.arming import record_disarm
from btcbot.services.book import BookView, LiveBook, marks_from
from btcbot.services.cycle import CycleParts, LiveCycle, run_tag
from btcbot.services.cycle_observer import CycleObserver, ProcessFacts
from btcbot.services.decision import Decision, DecisionCore
from btcbot.services.live_parts import (
    DecidePart,
    ExecutionPart,
    MarketPart,
    ReconcilePart,
)
from btcbot.services.reconciliation import STARTUP_LOOKBACK, ReconciliationService
from btcbot.services.run_loop import LoopSummary, StopToken, run_loop
from btcbot.settings import Settings
from btcbot.state.repositories.trading_uow import trading_uow_factory
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
class LiveDeps:
    """The outside world of the LIVE service, injected (real or in-process emulator)."""

    db: Database
    client: BtcturkClient
    clock: Clock
    wall_clock: Clock
    facts: Callable[[bool], TradingFacts]
    kill_probe: KillSwitchProbe
    metrics: Metrics
    armed: bool = False


@dataclass
class _Arming:
    """The DB's armed flag as of start-up; a kill file seen later clears it for this process."""

    armed: bool


def build_cycle(
    opts: LiveOptions, deps: LiveDeps, arming: _Arming | None = None
) -> LiveCycle[BookView, Decision]:
    """Wire one LIVE cycle from the real parts (see ``btcbot.services.live_parts``)."""
    uows = trading_uow_factory(deps.db.connection_factory(), deps.db.audit_context())
    core = DecisionCore.from_params(opts.strategy, opts.limits)
    # Every time the cycle reads - candle closes, freshness, reconciliation windows, order and
    # fill stamps, the daily boundary - is the exchange's (host clock + measured offset).
    clock = ExchangeClock(deps.clock, deps.client.measure_clock, limit=opts.clock_limit)
    market = MarketDataService(
        deps.client, clock, MarketDataLimits(candle_count=max(core.required_candles, 1) + 5)
    )
    arming = arming if arming is not None else _Arming(armed=deps.armed)

    def facts() -> TradingFacts:
        return replace(deps.facts(arming.armed), clock_trusted=clock.untrusted() is None)

    execution = ExecutionService(
        gateway=deps.client,
        uow_factory=uows,
        policy=TradingArmedPolicy(),
        facts=facts,
        kill_probe=deps.kill_probe,
        clock=clock,
        order_ttl=opts.order_ttl,
    )
    reconciliation = ReconciliationService(reader=deps.client, uow_factory=uows, clock=clock)
    watch = AccountWatch(reader=deps.client, uow_factory=uows, clock=clock, symbols=opts.symbols)

    def pairs() -> list[Pair]:
        return [pair_of(r) for s in opts.symbols if (r := market.rules.rules_for(s)) is not None]

    def seed() -> tuple[Opening, list[Balance]]:
        marks = marks_from(market.snapshots(opts.symbols).snapshots, {})
        balances = stable_balances(deps.client.balances, reconcile_for_seed)
        handover = dict(opts.handover)
        return opening_from_balances(balances, pairs(), marks, handover=handover), balances

    def reconcile_for_seed() -> None:
        reconciliation.reconcile("seed", opts.symbols)
        watch.collect("seed", lookback=STARTUP_LOOKBACK)

    def on_kill_seen() -> None:
        record = read_kill(opts.control_dir)
        arming.armed = False
        if record is not None:
            unit = UnitOfWork(deps.db.connection_factory(), deps.db.audit_context())
            record_disarm(unit, role=Role.LIVE, record=record)

    book = LiveBook(
        uow_factory=uows,
        clock=clock,
        seed=seed,
        recent_submits=opts.limits.max_submits_per_window,
        pairs=pairs,
    )
    parts: CycleParts[BookView, Decision] = CycleParts(
        clock=clock,
        symbols=opts.symbols,
        market=MarketPart(market),
        decide=DecidePart(core, opts.symbols, kill_switch_setting=opts.kill_switch_setting),
        execution=ExecutionPart(execution),
        reconciler=ReconcilePart(reconciliation, uows, opts.symbols, watch),
        book=book,
        kill_probe=deps.kill_probe,
        on_kill_seen=on_kill_seen,
        clock_check=clock.check,
    )
    return LiveCycle(parts, tag=run_tag(deps.clock.now()))


SEED_ATTEMPTS = 5


def stable_balances(
    read: Callable[[], list[Balance]], reconcile: Callable[[], None]
) -> list[Balance]:
    """Balances no fill landed in while the fills were being stored: race-free seeding.

    The books open from the account's balances, and every fill stored by then is marked as
    already in them. A fill landing between the last trade read and the balance read would be
    in the balances *and* stored later as new: booked twice, for good. So: balances, store the
    fills (reconcile), balances again; equal means no fill landed in between. Retried a few
    times; an account that never holds still refuses to open the books (observe only).
    """
    for _ in range(SEED_ATTEMPTS):
        before = _totals(read())
        reconcile()
        after = read()
        if _totals(after) == before:
            return after
        _log.warning("seed_balances_moved", consequence="a fill landed while seeding; again")
    raise ExchangeUnavailableError(
        f"the account's balances changed during each of {SEED_ATTEMPTS} seeding attempts",
        endpoint="GET /api/v1/users/balances",
    )


def _totals(balances: list[Balance]) -> dict[str, Decimal]:
    return {b.asset.upper(): b.total for b in balances}


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
    *,
    stop: StopToken,
    max_cycles: int | None,
    sleep: Callable[[float], bool] | None = None,
    monotonic: Callable[[], float] | None = None,
    before_stop: Callable[[], None] | None = None,
) -> LoopSummary:
    """Start up, reconcile, loop; always leave the status file saying how the process ended.

    ``before_stop`` runs after the last cycle while the status file still says ``running``
    (the demo runs the MONITOR's health check there).
    """
    arming = _Arming(armed=deps.armed)
    policy = TradingArmedPolicy()
    observer = CycleObserver(
        trading_allowed=lambda: not policy.submit_blockers(deps.facts(arming.armed)),
        metrics=deps.metrics,
        status_path=status_path(opts.control_dir),
        wall_clock=deps.wall_clock,
        facts=ProcessFacts(
            instance_id=opts.instance_id,
            mode=opts.mode,
            cycle_seconds=opts.cycle_seconds,
            armed=deps.armed,
            kill_switch_setting=opts.kill_switch_setting,
            symbols=opts.symbols,
        ),
    )
    exporter = _exporter(opts, deps.metrics)
    observer.starting()
    try:
        cycle = build_cycle(opts, deps, arming)
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
    )


def read_armed(db: Database) -> bool:
    """The armed flag the LIVE database holds now."""
    with UnitOfWork(db.connection_factory(), db.audit_context()) as uow:
        return uow.arming.is_armed()
