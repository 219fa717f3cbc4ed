"""The composition root: one explicit build function per role, and nothing done at import time.

``build_monitor`` gives the MONITOR a ``NoopExecution`` (it cannot trade), the health probe
(one public request on the standard library, no credentials, no client stack), and its own
database through the lifecycle guards. ``build_live`` gives LIVE the ``TradingArmedPolicy``, the
kill-file probe and the signed client the trading cycle's execution service is built on. Heavy
modules (the exchange client, execution) are imported inside the functions that use them, so
``btcbot health`` loads only what it runs.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from btcbot.adapters.clock import Clock, SystemClock
from btcbot.adapters.control_dir import KillFileProbe
from btcbot.domain.enums import RequestKind, Role
from btcbot.domain.network import is_loopback_host
from btcbot.domain.records import AuditContext, HealthLevel
from btcbot.lifecycle import RoleCheck, Runtime, startup
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts
from btcbot.settings import LIVE_TRADING_ACK_PHRASE, Settings
from btcbot.wiring.venues import Venue, open_venue

if TYPE_CHECKING:
    # Annotation-only: importing httpx costs ~0.1 s that arm/disarm/inspect never need.
    from datetime import datetime

    import httpx

    from btcbot.execution.noop import NoopExecution
    from btcbot.services.health import HealthCheck


def new_instance_id() -> str:
    """A fresh id for this process run (stamped on every row and log line)."""
    return uuid.uuid4().hex[:16]


@dataclass
class MonitorApp:
    """Everything the MONITOR role may use. It holds no credentials and cannot trade."""

    settings: Settings
    clock: Clock
    instance_id: str

    @cached_property
    def execution(self) -> NoopExecution:
        """The MONITOR's execution slot: refuses every submit/cancel before any I/O."""
        from btcbot.execution.noop import NoopExecution  # noqa: PLC0415 - health never needs it

        return NoopExecution()

    @cached_property
    def kill_probe(self) -> KillFileProbe:
        """Reads ``CONTROL_DIR/KILL`` on every call."""
        return KillFileProbe(self.settings.control_dir)

    def exchange_probe(self, timeout: float) -> Callable[[], datetime]:
        """The health probe: the exchange's clock, one public request, no key, no client stack."""
        from btcbot.exchange.probe import server_time  # noqa: PLC0415 - health only

        base_url = self.settings.rest_url
        return lambda: server_time(base_url, timeout)

    def startup(self, command: str) -> AbstractContextManager[Runtime]:
        """The lifecycle guards and the MONITOR database's lock, for ``with``."""
        return startup(
            self.settings,
            check=RoleCheck(command, Role.MONITOR),
            instance_id=self.instance_id,
            clock=self.clock,
        )


def build_monitor(
    settings: Settings,
    *,
    clock: Clock | None = None,
    instance_id: str | None = None,
) -> MonitorApp:
    """Wire the MONITOR role (``APP_ROLE=monitor`` is enforced when it starts up)."""
    return MonitorApp(
        settings=settings,
        clock=clock if clock is not None else SystemClock(),
        instance_id=instance_id if instance_id is not None else new_instance_id(),
    )


@dataclass
class LiveApp:
    """Everything the LIVE role uses.

    The run loop (``services.live``) builds the execution service from ``venue()``,
    ``trading_facts`` (re-checked by ``TradingArmedPolicy`` before every submit) and
    ``kill_probe``; nothing here holds an open client or connection until asked.
    """

    settings: Settings
    clock: Clock
    instance_id: str
    transport: httpx.BaseTransport | None = None
    policy: TradingArmedPolicy = field(default_factory=TradingArmedPolicy)

    @cached_property
    def kill_probe(self) -> KillFileProbe:
        """Reads ``CONTROL_DIR/KILL`` on every call; execution asks before every submit."""
        return KillFileProbe(self.settings.control_dir)

    def audit_context(self, cycle_id: str | None = None) -> AuditContext:
        """The stamp of this process (for repositories used outside ``startup``)."""
        return AuditContext(
            process_role=self.settings.app_role,
            process_instance_id=self.instance_id,
            config_hash=self.settings.config_hash,
            cycle_id=cycle_id,
        )

    def trading_facts(self, *, armed: bool) -> TradingFacts:
        """The policy's inputs now: settings, the armed flag read from the DB, the kill file."""
        s = self.settings
        return TradingFacts(
            role=s.app_role,
            live_trading=s.live_trading,
            ack=s.live_trading_ack == LIVE_TRADING_ACK_PHRASE,
            safe_mode=s.safe_mode,
            kill_switch=s.kill_switch,
            armed=armed,
            kill_file_present=self.kill_probe() is not None,
            exchange=s.exchange,
        )

    def startup(self, command: str) -> AbstractContextManager[Runtime]:
        """The lifecycle guards and the LIVE database's lock, for ``with``."""
        return startup(
            self.settings,
            check=RoleCheck(command, Role.LIVE),
            instance_id=self.instance_id,
            clock=self.clock,
        )

    def egress_blockers(self, *, armed: bool) -> Callable[[RequestKind], list[str]]:
        """The egress guard's answer for this process: ``TradingArmedPolicy`` on live facts.

        ``armed`` is the database's flag at start-up: an armed process keeps reading and
        cancelling after a disarm (the kill file then stops new orders here and in execution).
        """

        def blockers(kind: RequestKind) -> list[str]:
            facts = self.trading_facts(armed=armed)
            return [r.value for r in self.policy.egress_blockers(facts, kind)]

        return blockers

    def venue(self, *, armed: bool, cycle_seconds: float | None = None) -> Venue:
        """The client and clock of this process's mode (``btcbot.wiring.venues``)."""
        return open_venue(
            self.settings,
            wall=self.clock,
            egress=self.egress_blockers(armed=armed),
            transport=self.transport,
            cycle_seconds=cycle_seconds,
        )


def build_live(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
    instance_id: str | None = None,
) -> LiveApp:
    """Wire the LIVE role (``APP_ROLE=live`` is enforced when it starts up)."""
    return LiveApp(
        settings=settings,
        clock=clock if clock is not None else SystemClock(),
        instance_id=instance_id if instance_id is not None else new_instance_id(),
        transport=transport,
    )


def _live_runs_in_process_sim(settings: Settings) -> bool:
    """The LIVE status file says sim mode while this MONITOR would probe a remote host.

    Then there is no exchange to probe: the emulator lives inside the LIVE process, and asking
    BtcTurk's clock (say, with the example's EXCHANGE=btcturk) would only fail offline.
    """
    from btcbot.observability.status_file import (  # noqa: PLC0415 - health only
        StatusFileError,
        read_status,
        status_path,
    )

    try:
        mode = read_status(status_path(settings.control_dir)).mode
    except (OSError, StatusFileError):
        return False
    host = urlsplit(settings.rest_url).hostname or ""
    return mode == "sim" and not is_loopback_host(host)


def monitor_health_checks(
    app: MonitorApp, remaining: Callable[[], float]
) -> list[tuple[str, HealthCheck]]:
    """The checks of ``btcbot health``, in report order; ``remaining`` bounds the probe."""
    from btcbot.adapters.processes import inspect_process  # noqa: PLC0415 - health only
    from btcbot.observability.status_file import status_path  # noqa: PLC0415
    from btcbot.services import health_checks as hc  # noqa: PLC0415
    from btcbot.services.health import CheckResult  # noqa: PLC0415
    from btcbot.services.health_db import check_database  # noqa: PLC0415

    s = app.settings

    def config() -> CheckResult:
        return CheckResult(
            "config",
            HealthLevel.OK,
            f"APP_ROLE=monitor, EXCHANGE={s.exchange.value}, SYMBOLS={','.join(s.symbols)}",
            details={"config_hash": s.config_hash, "control_dir": str(s.control_dir)},
        )

    def exchange() -> CheckResult:
        if s.in_process_sim or _live_runs_in_process_sim(s):
            return CheckResult(
                "exchange",
                HealthLevel.OK,
                "sim mode: the emulator runs inside the LIVE process, nothing to probe",
                details={"mode": "sim"},
            )
        # Leave a second for reporting; never wait longer than 5 s for one request.
        probe = app.exchange_probe(timeout=max(0.5, min(5.0, remaining() - 1.0)))
        return hc.check_exchange_clock(probe, app.clock)

    return [
        ("config", config),
        ("database", lambda: check_database(s.state_db_path, Role.MONITOR)),
        (
            "live_status",
            lambda: hc.check_live_status(
                status_path(s.control_dir),
                clock=app.clock,
                hostname=socket.gethostname(),
                inspect=inspect_process,
            ),
        ),
        ("kill_file", lambda: hc.check_kill_file(s.control_dir)),
        ("exchange", exchange),
        ("disk", lambda: hc.check_disk([s.state_db_path.parent, s.control_dir])),
    ]
