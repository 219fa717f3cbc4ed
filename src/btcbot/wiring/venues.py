"""Where a LIVE process's requests go in each mode, and the clock its cycle runs on.

``open_venue`` is the one place that decides it (docs/CONFIGURATION.md, "Modes"):

- **sim**, no ``BTCTURK_BASE_URL``: the emulator runs in this process over the bundled candles
  or ``SIM_DATA``, paced by a ``PacedClock`` (one candle per ``CYCLE_SECONDS`` unless
  ``SIM_SPEED`` says otherwise); its state is saved beside the LIVE database after every request
  that changed it, so a SIGKILLed loop restarts on the same orders, fills and balances.
- **sim** with a loopback ``BTCTURK_BASE_URL``: a ``btcbot sim serve`` over the socket.
- **paper**: BtcTurk's public endpoints for market data; orders and fills in the local paper
  engine (``btcbot.sim.paper``), saved beside the LIVE database like the sim state.
- **live**: BtcTurk, signed with the operator's key.

In every mode the client's egress guard gets the one armed-live answer from
``TradingArmedPolicy.egress_blockers``; sim and paper clients only ever address loopback.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from btcbot.adapters.clock import Clock, PacedClock, SystemClock
from btcbot.domain.enums import ExchangeKind, RequestKind, TradingMode
from btcbot.domain.errors import ConfigError
from btcbot.observability.logging import get_logger
from btcbot.settings import Settings
from btcbot.settings.model import IN_PROCESS_URL

if TYPE_CHECKING:
    import httpx

    from btcbot.exchange.client import BtcturkClient
    from btcbot.sim.exchange import SimExchange
    from btcbot.sim.paper import PaperExchange

_log = get_logger(__name__)
_MINUTE = 60.0


@dataclass
class Venue:
    """The client a LIVE cycle trades through, in ``mode``, and the clock the cycle runs on."""

    client: BtcturkClient
    clock: Clock
    mode: TradingMode

    def close(self) -> None:
        """Release the client's connections."""
        self.client.close()


def state_file(settings: Settings, mode: TradingMode) -> Path:
    """The emulator's (sim) or paper engine's (paper) state file, beside the LIVE database."""
    db = settings.state_db_path
    return db.with_name(f"{db.name}.{mode.value}.json")


def open_venue(
    settings: Settings,
    *,
    wall: Clock,
    egress: Callable[[RequestKind], list[str]],
    transport: httpx.BaseTransport | None = None,
    cycle_seconds: float | None = None,
) -> Venue:
    """The venue ``settings`` select; ``ConfigError`` names the variable or file that is wrong."""
    if settings.in_process_sim and transport is None:
        return _in_process_sim(settings, wall, cycle_seconds or settings.cycle_seconds)
    if settings.mode is TradingMode.PAPER:
        return _paper(settings, wall, transport)
    if settings.exchange is ExchangeKind.SIM:
        return Venue(_sim_client(settings, wall, transport, egress), wall, TradingMode.SIM)
    return Venue(_client(settings, wall, transport, egress), wall, TradingMode.LIVE)


def check_venue(settings: Settings) -> None:
    """Refuse, before the lock is taken or any file written, a venue that cannot open.

    Reads only: the candle files and the state file of sim mode, the state file of paper
    mode. ``open_venue`` reads them again under the database lock, since only the lock holder
    may be trusted to see the file as the last LIVE process left it.
    """
    if settings.in_process_sim:
        path = state_file(settings, TradingMode.SIM)
        _load_or_create_sim(settings, path, SystemClock())
    elif settings.mode is TradingMode.PAPER:
        _load_or_create_paper(settings, SystemClock())


def _client(
    settings: Settings,
    clock: Clock,
    transport: httpx.BaseTransport | None,
    egress: Callable[[RequestKind], list[str]],
) -> BtcturkClient:
    from btcbot.exchange.client import BtcturkClient  # noqa: PLC0415 - keep start-up lean

    key, secret = settings.btcturk_api_key, settings.btcturk_api_secret
    return BtcturkClient(
        base_url=settings.rest_url,
        graph_url=settings.graph_url,
        api_key=key.get_secret_value() if key is not None else None,
        api_secret=secret.get_secret_value() if secret is not None else None,
        clock=clock,
        transport=transport,
        egress=egress,
    )


def _emulator_client(
    base_url: str, clock: Clock, transport: httpx.BaseTransport | None, graph_url: str = ""
) -> BtcturkClient:
    """A client signed with the emulator's published test key (never the operator's)."""
    from btcbot.exchange.client import BtcturkClient  # noqa: PLC0415 - keep start-up lean
    from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET  # noqa: PLC0415

    return BtcturkClient(
        base_url=base_url,
        graph_url=graph_url or f"{base_url}/graph",
        api_key=DEFAULT_API_KEY,
        api_secret=DEFAULT_API_SECRET,
        clock=clock,
        transport=transport,
    )


def _sim_client(
    settings: Settings,
    clock: Clock,
    transport: httpx.BaseTransport | None,
    egress: Callable[[RequestKind], list[str]],
) -> BtcturkClient:
    """Sim mode over a loopback ``sim serve``: the configured key if any, else the emulator's."""
    if settings.has_credentials:
        # Loopback only (settings refuse any other host with EXCHANGE=sim); the policy's egress
        # answer refuses a signed request elsewhere anyway (EXCHANGE=sim is never armed live).
        return _client(settings, clock, transport, egress)
    return _emulator_client(settings.rest_url, clock, transport, settings.graph_url)


def _warn_ignored_credentials(settings: Settings) -> None:
    if settings.has_credentials:
        _log.warning(
            "credentials_ignored",
            mode=settings.mode.value,
            reason="sim and paper modes never send a signed request to BtcTurk",
        )


def _in_process_sim(settings: Settings, wall: Clock, cycle_seconds: float) -> Venue:
    from btcbot.exchange.transport import EmulatorTransport  # noqa: PLC0415 - sim mode only
    from btcbot.sim.app import SimApp  # noqa: PLC0415 - same reason

    _warn_ignored_credentials(settings)
    speed = settings.sim_speed or _MINUTE / cycle_seconds
    path = state_file(settings, TradingMode.SIM)
    sim = _load_or_create_sim(settings, path, wall)
    # Resume where the saved emulator stopped, so neither its market nor the books jump back.
    origin = datetime.fromtimestamp(sim.saved_at, UTC) if path.exists() else wall.now()
    clock = PacedClock(origin, speed, wall=wall)
    sim.now = clock.now
    _save_or_refuse(sim, path)
    app = SimApp(sim, rate_limits=False, state_path=path)
    client = _emulator_client(IN_PROCESS_URL, clock, EmulatorTransport(app))
    return Venue(client, clock, TradingMode.SIM)


def _candle_paths(settings: Settings) -> list[Path] | None:
    data = settings.sim_data
    if data is None:
        return None
    if data.is_dir():
        paths = sorted(data.glob("*.csv"))
        if not paths:
            raise ConfigError(f"SIM_DATA={data} holds no .csv candle file: add one per symbol")
        return paths
    if not data.is_file():
        raise ConfigError(f"SIM_DATA={data} does not exist: name a candle CSV or a directory")
    return [data]


def _load_or_create_sim(settings: Settings, path: Path, wall: Clock) -> SimExchange:
    from btcbot.sim.datasets import load_feeds  # noqa: PLC0415 - sim mode only
    from btcbot.sim.exchange import SimConfig, SimExchange  # noqa: PLC0415 - same reason

    try:
        feeds = load_feeds(_candle_paths(settings))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"SIM_DATA: {exc}: fix the candle file or unset SIM_DATA") from None
    missing = [s for s in settings.symbols if s not in feeds]
    if missing:
        raise ConfigError(
            f"SYMBOLS names {','.join(missing)} but the sim candles hold only "
            f"{','.join(sorted(feeds))}: add a candle file per symbol to SIM_DATA"
        )
    if not path.exists():
        return SimExchange(feeds, now=wall.now, config=SimConfig())
    try:
        return SimExchange.load(path, feeds, now=wall.now, config=SimConfig())
    except Exception as exc:  # noqa: BLE001 - any fault of the file is the operator's to see
        raise ConfigError(
            f"emulator state file {path} is unusable ({type(exc).__name__}: {exc}): restore it, "
            "or move it aside to start the emulator afresh (its orders and balances are lost)"
        ) from None


def _save_or_refuse(sim: SimExchange, path: Path) -> None:
    """Save now, so a file the process cannot write is refused before the first order."""
    try:
        sim.save(path)
    except OSError as exc:
        raise ConfigError(
            f"cannot write the emulator state file {path} ({exc.strerror or exc}): make its "
            "directory writable"
        ) from None


def _load_or_create_paper(settings: Settings, wall: Clock) -> PaperExchange:
    from btcbot.sim.paper import PaperExchange  # noqa: PLC0415 - paper only

    path = state_file(settings, TradingMode.PAPER)
    balance = settings.paper_balance_try
    if not path.exists():
        return PaperExchange(now=wall.now, balance_try=balance)
    try:
        return PaperExchange.restore(path, now=wall.now, balance_try=balance)
    except ValueError as exc:
        raise ConfigError(
            f"paper state file {exc}: restore it, or move it aside to start a fresh paper "
            "book (its orders and balances are lost)"
        ) from None


def _paper(settings: Settings, wall: Clock, upstream: httpx.BaseTransport | None) -> Venue:
    from btcbot.exchange.paper_transport import PaperTransport  # noqa: PLC0415 - paper only
    from btcbot.sim.app import SimApp  # noqa: PLC0415 - same reason

    _warn_ignored_credentials(settings)
    path = state_file(settings, TradingMode.PAPER)
    paper = _load_or_create_paper(settings, wall)
    _save_or_refuse(paper, path)
    app = SimApp(paper, rate_limits=False, state_path=path)
    transport = PaperTransport(
        local_app=app,
        rest_url=settings.rest_url,
        graph_url=settings.graph_url,
        observe=paper.observe,
        upstream=upstream,
    )
    client = _emulator_client(IN_PROCESS_URL, wall, transport)
    return Venue(client, wall, TradingMode.PAPER)
