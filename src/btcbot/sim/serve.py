"""What ``btcbot sim serve`` does: build the emulator from its options and serve it on loopback."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from btcbot.domain.errors import ConfigError
from btcbot.domain.network import is_loopback_host
from btcbot.sim.app import SimApp
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET, Credentials
from btcbot.sim.datasets import load_feeds
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.faults import FaultPlan
from btcbot.sim.server import SimHTTPServer, serve_until_signalled

READY_PREFIX = "btcbot sim serving on "


@dataclass(frozen=True, slots=True)
class ServeOptions:
    """The command line of ``btcbot sim serve``, already typed."""

    host: str = "127.0.0.1"
    port: int = 0
    data: Sequence[Path] = field(default_factory=tuple)
    faults: str = ""
    state: Path | None = None
    api_key: str = DEFAULT_API_KEY
    api_secret: str = DEFAULT_API_SECRET
    start_balance: Decimal = Decimal(100_000)
    rate_limits: bool = True
    allow_remote: bool = False
    stall_seconds: float = 30.0
    cancel_delay: float = 0.0
    request_log: Path | None = None


def _now() -> datetime:
    return datetime.now(UTC)


def _check_amounts(options: ServeOptions) -> None:
    """The balance and the delays: zero or more, and finite."""
    if options.start_balance < 0:
        raise ConfigError("--start-balance must be zero or more TRY")
    for flag, seconds in (
        ("--cancel-delay", options.cancel_delay),
        ("--stall-seconds", options.stall_seconds),
    ):
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ConfigError(f"{flag} must be zero or more seconds (got {seconds})")


def build_app(options: ServeOptions, now: Callable[[], datetime] = _now) -> SimApp:
    """The app ``options`` describe; ConfigError names the option that is wrong."""
    try:
        plan = FaultPlan.parse(options.faults)
    except ValueError as exc:
        raise ConfigError(f"--faults: {exc}") from exc
    if not options.api_key.strip():
        raise ConfigError("--api-key must not be empty")
    try:
        credentials = Credentials(options.api_key, options.api_secret)
    except ValueError as exc:
        raise ConfigError(f"--api-secret: {exc}") from exc
    _check_amounts(options)
    try:
        feeds = load_feeds(list(options.data) or None)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"--data: {exc}") from exc
    config = SimConfig(start_balance=options.start_balance, cancel_delay=options.cancel_delay)
    if options.state is not None and options.state.exists():
        try:
            sim = SimExchange.load(options.state, feeds, now=now, config=config)
        except (ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"--state: {exc}") from exc
    else:
        try:
            sim = SimExchange(feeds, now=now, config=config)
        except ValueError as exc:  # e.g. a file name that names no pair
            raise ConfigError(f"--data: {exc}") from exc
    return SimApp(
        sim,
        faults=plan,
        credentials=credentials,
        rate_limits=options.rate_limits,
        state_path=options.state,
    )


def serve(options: ServeOptions, *, announce: Callable[[str], None] | None = None) -> int:
    """Run the emulator until SIGINT/SIGTERM; prints one ready line with the URL; returns 0."""
    if not options.allow_remote and not is_loopback_host(options.host):
        raise ConfigError(
            f"--host {options.host} is not a loopback address; the emulator has no real "
            "security, so it listens on 127.0.0.1 unless --allow-remote is given"
        )
    if not 0 <= options.port <= 65535:  # noqa: PLR2004 -- the TCP port range
        raise ConfigError("--port must be between 0 and 65535 (0 picks a free port)")
    app = build_app(options)
    if options.state is not None:
        try:  # fail now, in one line, rather than on the first order
            app.sim.save(options.state)
        except OSError as exc:
            raise ConfigError(f"--state: cannot write {options.state}: {exc.strerror}") from exc
    log = _request_log(options.request_log)
    try:
        server = SimHTTPServer(
            (options.host, options.port),
            app,
            stall_seconds=options.stall_seconds,
            request_log=log,
        )
    except OSError as exc:
        raise ConfigError(
            f"--host/--port: cannot listen on {options.host}:{options.port}: {exc}"
        ) from exc

    def _announce(url: str) -> None:
        print(f"{READY_PREFIX}{url}", flush=True)  # noqa: T201 -- the documented ready line

    def _save() -> None:
        if options.state is not None:
            with app.sim.lock:
                app.sim.save(options.state)

    serve_until_signalled(server, announce=announce or _announce, on_stop=_save)
    return 0


def _request_log(path: Path | None) -> Callable[[str, str], None] | None:
    """``METHOD PATH`` per request, appended and flushed at once (a test counts them live)."""
    if path is None:
        return None
    try:
        fh = path.open("a", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"--request-log: cannot write {path}: {exc.strerror}") from exc
    lock = threading.Lock()

    def log(method: str, request_path: str) -> None:
        with lock:
            fh.write(f"{method} {request_path}\n")
            fh.flush()

    return log


__all__ = ["READY_PREFIX", "ServeOptions", "build_app", "serve"]
