"""The LIVE cycle assembled from its real parts: the one place the object graph is built.

``btcbot run``, ``btcbot demo``, the benchmarks and the tests all get their cycle from
``build_cycle`` (through ``builder``), with the process's one ``TradingArmedPolicy`` in
``LiveDeps.policy``. Services never import the client, the emulator or state administration;
they receive what this module builds.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal

from btcbot.adapters.control_dir import read_kill
from btcbot.decision import DecisionCore, decide_on
from btcbot.decision.inputs import marks_from
from btcbot.domain.enums import Role
from btcbot.domain.errors import ExchangeUnavailableError
from btcbot.domain.ledger.balances import opening_from_balances, pair_of
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.domain.models import Balance
from btcbot.exchange.client import BtcturkClient
from btcbot.exchange.clock import ExchangeClock
from btcbot.execution.service import ExecutionService
from btcbot.market_data.limits import MarketDataLimits
from btcbot.market_data.service import MarketDataService
from btcbot.observability.logging import get_logger
from btcbot.risk.policies import TradingFacts
from btcbot.services.account_books import AccountWatch
from btcbot.services.arming import record_disarm
from btcbot.services.bookkeeping import Bookkeeper
from btcbot.services.cycle import CycleParts, LiveCycle, run_tag
from btcbot.services.live import CycleBuilder, LiveDeps, LiveOptions
from btcbot.services.reconciliation import STARTUP_LOOKBACK, ReconciliationService
from btcbot.state.repositories.trading_uow import trading_uow_factory
from btcbot.state.uow import UnitOfWork
from btcbot.strategy.engine import StrategyLoader
from btcbot.strategy.plugins import load_strategy

_log = get_logger(__name__)


def builder(client: BtcturkClient, load: StrategyLoader = load_strategy) -> CycleBuilder:
    """``run_live``'s cycle builder over ``client`` (``load``: see ``build_cycle``)."""

    def build(opts: LiveOptions, deps: LiveDeps) -> LiveCycle:
        return build_cycle(opts, deps, client, load)

    return build


def build_cycle(
    opts: LiveOptions,
    deps: LiveDeps,
    client: BtcturkClient,
    load: StrategyLoader = load_strategy,
) -> LiveCycle:
    """Wire one LIVE cycle from the real parts.

    ``load`` builds the strategies of your own: ``btcbot run`` hands in
    ``btcbot.isolation.host.Isolation.load`` (each in a process of its own, stopped when it
    does not answer); the demo and the tests keep them in process, as the backtest does.
    """
    uows = trading_uow_factory(deps.db.connection_factory(), deps.db.audit_context())
    core = DecisionCore.from_params(opts.strategy, opts.limits, load=load)
    # Every time the cycle reads - candle closes, freshness, reconciliation windows, order and
    # fill stamps, the daily boundary - is the exchange's (host clock + measured offset).
    clock = ExchangeClock(deps.clock, client.measure_clock, limit=opts.clock_limit)
    market = MarketDataService(
        client, clock, MarketDataLimits(candle_count=max(core.required_candles, 1) + 5)
    )
    arming = deps.arming

    def facts() -> TradingFacts:
        return replace(deps.facts(arming.armed), clock_trusted=clock.untrusted() is None)

    execution = ExecutionService(
        gateway=client,
        uow_factory=uows,
        policy=deps.policy,
        facts=facts,
        kill_probe=deps.kill_probe,
        clock=clock,
        order_ttl=opts.order_ttl,
    )
    reconciliation = ReconciliationService(reader=client, uow_factory=uows, clock=clock)
    watch = AccountWatch(reader=client, uow_factory=uows, clock=clock)

    def pairs() -> list[Pair]:
        return [pair_of(r) for s in opts.symbols if (r := market.rules.rules_for(s)) is not None]

    def seed() -> tuple[Opening, list[Balance]]:
        marks = marks_from(market.snapshots(opts.symbols).snapshots, {})
        balances = stable_balances(client.balances, reconcile_for_seed)
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

    book = Bookkeeper(
        uow_factory=uows,
        clock=clock,
        seed=seed,
        recent_submits=opts.limits.max_submits_per_window,
        pairs=pairs,
    )
    kill_setting = "KILL_SWITCH=true" if opts.kill_switch_setting else None
    parts = CycleParts(
        clock=clock,
        symbols=opts.symbols,
        reconciler=reconciliation,
        account=watch,
        book=book,
        market=market,
        decide=functools.partial(decide_on, core, opts.symbols, kill_switch_reason=kill_setting),
        execution=execution,
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
