"""``btcbot demo``: the whole LIVE + MONITOR story on the in-process emulator, no network.

1. A fresh workspace: live and monitor databases (``db init`` for each role) and a control dir.
2. A ``ManualClock`` starting at a fixed instant, shared by the bot and the emulator, advanced
   ``cycle_seconds`` after each cycle: hours of bundled candles replay in seconds.
3. The LIVE loop exactly as ``btcbot run`` builds it, in dry run (``LIVE_TRADING=false``,
   ``EXCHANGE=sim``), talking to the emulator through ``EmulatorTransport``; strategies of your
   own in processes of their own, as there.
4. After the last cycle, while LIVE still reports ``running``, ``btcbot health`` runs as a real
   MONITOR subprocess on its own database. It probes an emulator on 127.0.0.1 whose clock is the
   wall clock: the in-process one has no socket, and its accelerated clock would rightly fail
   the clock-offset check.
5. A report: cycles, orders, fills, PnL, max drawdown, the health verdict, and a sha256 over the
   order and fill histories — equal for two runs with the same ``--cycles`` and ``--seed``.
6. Parity: ``btcbot backtest`` over the same candles and settings, its strategies of your own
   watched as there; its fill fingerprint beside the loop's, or the line that stopped it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from btcbot.adapters.clock import Clock, ManualClock, SystemClock
from btcbot.backtest.engine import Replay, ReplaySetup, StrategyFailedError
from btcbot.backtest.watchdog import Watchdog
from btcbot.decision import DecisionCore
from btcbot.domain.errors import ConfigError
from btcbot.domain.fingerprint import fill_fingerprint
from btcbot.domain.trading import RiskLimits
from btcbot.exchange.client import BtcturkClient
from btcbot.exchange.transport import EmulatorTransport
from btcbot.isolation.host import Isolation
from btcbot.observability.logging import configure_logging
from btcbot.observability.metrics import Metrics
from btcbot.services.demo_history import DemoFigures, read_figures
from btcbot.services.live import LiveDeps, LiveOptions, custom_params, run_live
from btcbot.services.run_loop import StopRequest
from btcbot.settings import SECRET_VARIABLES, Settings, load_settings
from btcbot.sim.app import SimApp
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET
from btcbot.sim.datasets import BUNDLED, load_feeds
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.server import SimHTTPServer
from btcbot.state.admin import init_database
from btcbot.strategy.engine import StrategyLoader
from btcbot.strategy.params import MeanReversionParams, StrategyParams, TrendParams
from btcbot.strategy.plugins import load_strategy
from btcbot.wiring import LiveApp
from btcbot.wiring.live_cycle import builder

# A fixed start: two runs with the same inputs see the same market at the same instants.
DEMO_START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SIM_URL = "http://127.0.0.1"  # never connected to: EmulatorTransport answers in process
HEALTH_TIMEOUT = 20.0


@dataclass(frozen=True, slots=True)
class DemoOptions:
    """The command line of ``btcbot demo``."""

    workspace: Path
    cycles: int = 300
    seed: int = 0
    cycle_seconds: float = 60.0
    data: tuple[Path, ...] = ()
    # STRATEGIES / STRATEGY_PARAMS_FILE of the environment, when set (else the demo's own pair).
    strategies: tuple[str, ...] = ()
    params_file: Path | None = None

    def strategy(self) -> StrategyParams:
        """The demo's parameters, with the operator's STRATEGIES (and their tables) if given."""
        base = demo_strategy()
        if not self.strategies:
            return base
        custom = custom_params(self.params_file, self.strategies)
        return replace(base, enabled=self.strategies, custom=custom)

    @property
    def symbols(self) -> tuple[str, ...]:
        """The pairs the candle files name (the bundled BTCTRY and ETHTRY by default)."""
        return tuple(p.stem.upper() for p in self.data) or BUNDLED


BuildLive = Callable[[Settings, Clock, EmulatorTransport], LiveApp]


@dataclass(frozen=True, slots=True)
class DemoReport:
    """What the demo prints."""

    workspace: Path
    figures: DemoFigures
    health_code: int
    health_summary: str
    backtest_fingerprint: str = ""
    # The line that stopped the backtest (a strategy of your own that failed in it), if any.
    backtest_stopped: str = ""

    @property
    def parity(self) -> str:
        """Whether the LIVE loop and the backtest produced the same fills."""
        if self.backtest_stopped:
            return f"not compared: the backtest stopped: {self.backtest_stopped}"
        same = self.backtest_fingerprint == self.figures.fill_fingerprint
        return "same fills" if same else "DIFFERENT fills: the backtest does not match the loop"

    def render(self) -> str:
        """The short human report."""
        f = self.figures
        return "\n".join(
            [
                f"btcbot demo: workspace {self.workspace}",
                f"  cycles            {f.cycles}",
                f"  orders            {f.orders} ({f.orders_filled} filled)",
                f"  fills             {f.fills}",
                f"  realized PnL      {f.realized_pnl:.2f} TRY",
                f"  unrealized PnL    {f.unrealized_pnl:.2f} TRY",
                # Shown so the report adds up: equity = start + realized + unrealized - fees - tax.
                f"  fees + tax        {f.fees_and_tax:.2f} TRY",
                f"  equity            {f.equity:.2f} TRY",
                f"  max drawdown      {f.max_drawdown_pct:.4f} %",
                f"  health (MONITOR)  exit {self.health_code}: {self.health_summary}",
                f"  history sha256    {f.history_sha256}",
                # Parity: the sim-mode LIVE loop and ``btcbot backtest`` on the same candles.
                f"  fills sha256      {f.fill_fingerprint} (LIVE loop)",
                f"                    {self.backtest_fingerprint or '-'} (backtest)",
                f"  parity            {self.parity}",
            ]
        )


def _environ(opts: DemoOptions, role: str, base_url: str) -> dict[str, str]:
    ws = opts.workspace
    env = {
        "APP_ROLE": role,
        "STATE_DB_PATH": str(ws / role / "state.db"),
        "CONTROL_DIR": str(ws / "control"),
        "LIVE_TRADING": "false",
        "SAFE_MODE": "false" if role == "live" else "true",
        "KILL_SWITCH": "false" if role == "live" else "true",
        "EXCHANGE": "sim",
        "BTCTURK_BASE_URL": base_url,
        "BTCTURK_GRAPH_URL": f"{base_url}/graph",
        "SYMBOLS": ",".join(opts.symbols),
        "CYCLE_SECONDS": f"{opts.cycle_seconds:g}",
        "METRICS_PORT": "0",
        "LOG_LEVEL": "WARNING",
    }
    if role == "live":
        env |= {"BTCTURK_API_KEY": DEFAULT_API_KEY, "BTCTURK_API_SECRET": DEFAULT_API_SECRET}
    return env


def prepare_workspace(opts: DemoOptions) -> tuple[Settings, dict[str, str]]:
    """Create the control dir and both databases; return LIVE settings and the MONITOR env."""
    ws = opts.workspace
    if ws.exists() and not ws.is_dir():
        raise ConfigError(f"--workspace {ws} is a file: pass a new directory (or omit it)")
    if (ws / "live").exists() or (ws / "monitor").exists():
        raise ConfigError(
            f"--workspace {ws} already holds a demo: pass a new directory (or omit --workspace)"
        )
    for sub in ("live", "monitor", "control"):
        (ws / sub).mkdir(parents=True, exist_ok=True)
    live = load_settings(_environ(opts, "live", SIM_URL))
    now = SystemClock().now()
    init_database(live, instance_id="demo-db-init", now=now)
    monitor_env = _environ(opts, "monitor", "http://127.0.0.1:1")
    init_database(load_settings(monitor_env), instance_id="demo-db-init", now=now)
    return live, monitor_env


def demo_strategy() -> StrategyParams:
    """Parameters that trade a few times an hour on the bundled one-minute candles."""
    trend = TrendParams(fast_window=3, slow_window=12, order_notional_try=Decimal(1500))
    mean_reversion = MeanReversionParams(
        window=15,
        entry_z=Decimal("1.5"),
        take_profit_pct=Decimal("0.6"),
        stop_loss_pct=Decimal("0.8"),
        order_notional_try=Decimal(1500),
    )
    return StrategyParams(trend=trend, mean_reversion=mean_reversion)


@contextmanager
def probe_exchange(seed: int) -> Iterator[str]:
    """An emulator on 127.0.0.1 (wall clock) for the MONITOR's reachability and clock probe."""
    sim = SimExchange(load_feeds(), now=SystemClock().now, config=SimConfig(seed=seed))
    server = SimHTTPServer(("127.0.0.1", 0), SimApp(sim, rate_limits=False), stall_seconds=1.0)
    thread = threading.Thread(target=server.serve_forever, name="demo-probe", daemon=True)
    thread.start()
    try:
        yield server.url
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def run_health(monitor_env: Mapping[str, str], url: str) -> tuple[int, str]:
    """``btcbot health`` as a MONITOR subprocess; its exit code and summary line."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BTCTURK_", "APP_"))}
    env |= dict(monitor_env) | {"BTCTURK_BASE_URL": url, "BTCTURK_GRAPH_URL": f"{url}/graph"}
    done = subprocess.run(  # noqa: S603 - our own interpreter running our own command
        [sys.executable, "-m", "btcbot", "health", "--timeout", f"{HEALTH_TIMEOUT:g}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=HEALTH_TIMEOUT + 10,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    # The Nagios summary line; its performance data after "|" is for the scheduler, not people.
    summary = lines[-1].split("|", 1)[0].strip() if lines else done.stderr.strip()[-200:]
    return done.returncode, summary


class _NeverStop:
    """The demo ends after its cycles; SIGINT still interrupts the process as usual."""

    def is_set(self) -> bool:
        """Never set."""
        return False

    def wait(self, timeout: float) -> bool:
        """Not used: the demo sleeps on its ManualClock."""
        del timeout
        return False


@dataclass
class InProcessLive:
    """A LIVE stack on the in-process emulator, ready to run (demo, benchmarks, tests).

    ``sim_app.faults`` may be replaced between cycles; ``clock`` is shared with the emulator.
    """

    settings: Settings
    monitor_env: dict[str, str]
    clock: ManualClock
    sim_app: SimApp
    options: LiveOptions
    deps: LiveDeps
    client: BtcturkClient

    def run(
        self,
        cycles: int,
        *,
        stop: StopRequest | None = None,
        before_stop: Callable[[], None] | None = None,
        load: StrategyLoader = load_strategy,
    ) -> int:
        """The LIVE loop for ``cycles`` cycles on the shared clock, as fast as it goes.

        Sleeping advances the ManualClock, so the emulator's market moves a cycle at a time;
        returns how many cycles ran. ``load`` builds the strategies of your own (``builder``).
        """

        def sleep(seconds: float) -> bool:
            self.clock.advance(seconds)
            return False

        summary = run_live(
            self.options,
            self.deps,
            builder(self.client, load),
            stop=stop or _NeverStop(),
            max_cycles=cycles,
            sleep=sleep,
            monotonic=lambda: self.clock.now().timestamp(),
            before_stop=before_stop,
        )
        return summary.cycles


@contextmanager
def in_process_live(
    opts: DemoOptions,
    build_live: BuildLive,
    *,
    strategy: StrategyParams | None = None,
    limits: RiskLimits | None = None,
    sim_config: SimConfig | None = None,
) -> Iterator[InProcessLive]:
    """Prepare the workspace, start the emulator and open the LIVE database (lock held)."""
    settings, monitor_env = prepare_workspace(opts)
    clock = ManualClock(DEMO_START)
    feeds = load_feeds(list(opts.data) or None)
    config = sim_config or SimConfig(seed=opts.seed)
    sim_app = SimApp(SimExchange(feeds, now=clock.now, config=config), rate_limits=False)
    app = build_live(settings, clock, EmulatorTransport(sim_app))
    # JSON lines on stderr, warnings and worse only: stdout is the report.
    configure_logging(
        role="live", instance_id=app.instance_id, level="WARNING", mode=settings.mode.value
    )
    live_opts = LiveOptions(
        symbols=settings.symbols,
        cycle_seconds=opts.cycle_seconds,
        control_dir=settings.control_dir,
        mode=settings.mode.value,
        instance_id=app.instance_id,
        kill_switch_setting=False,
        strategy=strategy or opts.strategy(),
        limits=limits or RiskLimits(),
    )
    with app.startup("demo") as db:
        venue = app.venue(armed=False)
        try:
            deps = LiveDeps(
                db=db,
                clock=clock,
                wall_clock=SystemClock(),
                facts=lambda armed: app.trading_facts(armed=armed),
                kill_probe=app.kill_probe,
                metrics=Metrics(),
                policy=app.policy,
            )
            yield InProcessLive(
                settings, monitor_env, clock, sim_app, live_opts, deps, venue.client
            )
        finally:
            venue.close()


def run_demo(
    opts: DemoOptions, build_live: BuildLive, *, stop: StopRequest | None = None
) -> DemoReport:
    """Run the demo described in the module docstring and return its report."""
    health: list[tuple[int, str]] = []
    with (
        Isolation(secret_names=SECRET_VARIABLES) as isolation,
        in_process_live(opts, build_live) as live,
    ):

        def monitor() -> None:
            with probe_exchange(opts.seed) as url:
                health.append(run_health(live.monitor_env, url))

        cycles = live.run(opts.cycles, stop=stop, before_stop=monitor, load=isolation.load)
        figures = read_figures(live.deps.db, cycles=cycles)
    code, line = health[0] if health else (3, "health did not run")
    try:
        fingerprint, stopped = replay_fingerprint(opts), ""
    except StrategyFailedError as exc:
        fingerprint, stopped = "", str(exc)
    return DemoReport(opts.workspace, figures, code, line, fingerprint, stopped)


def replay_fingerprint(opts: DemoOptions) -> str:
    """The fill fingerprint of ``btcbot backtest`` over the demo's candles and settings.

    Strategies of your own run under the backtest's watchdog, as there: one that fails stops
    the replay with ``StrategyFailedError``.
    """
    setup = ReplaySetup(
        symbols=opts.symbols,
        start=DEMO_START,
        cycles=opts.cycles,
        strategy=opts.strategy(),
        limits=RiskLimits(),
        cycle_seconds=opts.cycle_seconds,
        sim=SimConfig(seed=opts.seed),
    )
    with Watchdog() as dog:
        core = DecisionCore.from_params(setup.strategy, setup.limits, replay=True, load=dog.load)
        result = Replay(load_feeds(list(opts.data) or None), setup, core=core).run()
    return fill_fingerprint(result.fills)
