"""Parity: the sim-mode LIVE loop and the replay backtest make the same orders and fills.

The LIVE side is the real loop (``run_live`` with the wiring's cycle, SQLite, the HTTP client
over the in-process emulator); the replay is ``btcbot.backtest``. Judged at the exchange: the
emulator's own order and trade lists of both runs must be equal, and the LIVE books' fills
must equal the emulator's, so neither side can agree with itself while missing something.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from candle_files import write_candles

from btcbot.adapters.clock import Clock
from btcbot.backtest.engine import Replay, ReplayResult, ReplaySetup
from btcbot.backtest.venue import as_fill
from btcbot.domain.fingerprint import fill_fingerprint
from btcbot.domain.trading import RiskLimits
from btcbot.exchange.transport import EmulatorTransport
from btcbot.settings import Settings
from btcbot.sim.datasets import load_feeds
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.state.repositories.trading_uow import trading_uow_factory
from btcbot.strategy.params import MeanReversionParams, StrategyParams, TrendParams
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DEMO_START, DemoOptions, demo_strategy, in_process_live

CYCLES = 150

_LARGE = Decimal(20000)
CONFIGS: dict[str, tuple[StrategyParams, RiskLimits, SimConfig]] = {
    "trend+meanrev": (demo_strategy(), RiskLimits(), SimConfig(seed=3)),
    # Orders far larger than the book's top level and a thin tape: remainders rest, fill as
    # maker over later minutes, and reach their TTL (the cancel path is exercised too).
    "large-resting": (
        StrategyParams(
            trend=TrendParams(fast_window=3, slow_window=12, order_notional_try=_LARGE),
            mean_reversion=MeanReversionParams(
                window=15,
                entry_z=Decimal("1.5"),
                take_profit_pct=Decimal("0.6"),
                stop_loss_pct=Decimal("0.8"),
                order_notional_try=_LARGE,
            ),
        ),
        RiskLimits(
            max_order_notional_try=Decimal(50000),
            max_position_notional_try=Decimal(60000),
            max_total_exposure_try=Decimal(90000),
        ),
        SimConfig(seed=3, participation=Decimal("0.002")),
    ),
    "meanrev-tight": (
        StrategyParams(
            enabled=("mean_reversion",),
            trend=TrendParams(),
            mean_reversion=MeanReversionParams(
                window=10,
                entry_z=Decimal("1.2"),
                take_profit_pct=Decimal("0.3"),
                stop_loss_pct=Decimal("0.5"),
                order_notional_try=Decimal(900),
            ),
        ),
        RiskLimits(max_open_orders=1, max_position_notional_try=Decimal(2000)),
        SimConfig(seed=3),
    ),
}


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    return build_live(settings, clock=clock, transport=transport)


@dataclass
class LiveRun:
    """What one LIVE loop run left at the exchange and in its books."""

    book_fills: str  # fingerprint of the fills the LIVE books stored
    exchange_fills: str  # fingerprint of the emulator's own trade list
    orders: list[tuple[str, str, str, Decimal, Decimal | None, int]]


def _orders(sim: SimExchange) -> list[tuple[str, str, str, Decimal, Decimal | None, int]]:
    """What the exchange accepted, in order: symbol, side, method, quantity, price, time."""
    return [
        (o.symbol, o.side, o.method, o.quantity, o.price, o.created_ms) for o in sim.orders.values()
    ]


def _live(tmp: Path, data: list[Path], config: str) -> LiveRun:
    strategy, limits, sim = CONFIGS[config]
    opts = DemoOptions(workspace=tmp / "live", cycles=CYCLES, seed=sim.seed, data=tuple(data))
    with in_process_live(opts, _build, strategy=strategy, limits=limits, sim_config=sim) as live:
        live.run(CYCLES)
        uows = trading_uow_factory(live.deps.db.connection_factory(), live.deps.db.audit_context())
        with uows(None) as uow:
            booked = uow.fills.all()
        exchange = live.sim_app.sim
        return LiveRun(
            book_fills=fill_fingerprint(booked),
            exchange_fills=fill_fingerprint(as_fill(t) for t in exchange.trades),
            orders=_orders(exchange),
        )


def _replay(
    data: list[Path], strategy: StrategyParams, limits: RiskLimits, sim: SimConfig
) -> Replay:
    setup = ReplaySetup(
        symbols=tuple(p.stem.upper() for p in data),
        start=DEMO_START,
        cycles=CYCLES,
        strategy=strategy,
        limits=limits,
        sim=sim,
    )
    return Replay(load_feeds(data), setup)


@pytest.mark.parametrize("config", sorted(CONFIGS))
@pytest.mark.parametrize("seed", [11, 22, 33])
def test_live_loop_and_backtest_make_the_same_orders_and_fills(
    tmp_path: Path, seed: int, config: str
) -> None:
    """Three candle sets x two strategy configurations: equal orders, fills and fingerprints."""
    data = write_candles(tmp_path / "data", minutes=1440 + CYCLES + 30, seed=seed)
    live = _live(tmp_path, data, config)
    replay = _replay(data, *CONFIGS[config])
    result: ReplayResult = replay.run()

    assert live.exchange_fills == live.book_fills  # the LIVE books hold what the exchange did
    assert _orders(replay.sim) == live.orders
    assert fill_fingerprint(result.fills) == live.exchange_fills
    assert len(result.fills) > 0, "a parity check over no fills proves nothing"
    if config == "large-resting":
        assert result.canceled > 0
        assert len(result.fills) > result.submitted


def test_a_different_setting_gives_a_different_fingerprint(tmp_path: Path) -> None:
    """Negative control: the fingerprint sees a change of one strategy parameter."""
    data = write_candles(tmp_path / "data", minutes=1440 + CYCLES + 30, seed=11)
    strategy, limits, sim = CONFIGS["trend+meanrev"]
    base = _replay(data, strategy, limits, sim).run()
    bigger = StrategyParams(
        enabled=strategy.enabled,
        trend=TrendParams(fast_window=3, slow_window=12, order_notional_try=Decimal(1600)),
        mean_reversion=strategy.mean_reversion,
    )
    changed = _replay(data, bigger, limits, sim).run()
    assert base.fills
    assert changed.fills
    assert fill_fingerprint(base.fills) != fill_fingerprint(changed.fills)
