"""``btcbot inspect``: is the bot armed, killed, alive? One read-only view for the operator.

Reads never take the database lock, so inspect answers while the LIVE loop runs. A LIVE
session reads its own database (arming history) read-only; a MONITOR session never opens the
LIVE database and relies on the status file the LIVE process writes. The verdict line combines
every source through ``TradingArmedPolicy``, so what inspect says is what execution enforces.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from btcbot.adapters.control_dir import KillRecord, read_kill
from btcbot.domain.enums import ExchangeKind, Role
from btcbot.domain.records import ArmingState, AuditContext
from btcbot.observability.status_file import (
    DRY_RUN_MODES,
    LiveStatus,
    StatusFileError,
    read_status,
    status_path,
)
from btcbot.risk.policies import TradingArmedPolicy, TradingFacts
from btcbot.state.meta import read_meta
from btcbot.state.repositories.arming import ArmingRepository
from btcbot.state.sqlite import reading


@dataclass(frozen=True, slots=True)
class InspectView:
    """Everything ``btcbot inspect`` prints (``sections`` is where extensions add tables)."""

    role: Role
    verdict: str
    arming: ArmingState | None
    kill: KillRecord | None
    status: LiveStatus | None
    status_problem: str | None
    blockers: tuple[str, ...]
    sections: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        status = None
        if self.status is not None:
            status = {
                "pid": self.status.pid,
                "state": self.status.state,
                "mode": self.status.mode,
                "trading_allowed": self.status.trading_allowed,
                "armed": self.status.armed,
                "kill_switch": self.status.kill_switch,
                "cycle_id": self.status.cycle_id,
                "written_at": self.status.written_at.isoformat(),
                "last_cycle_at": None
                if self.status.last_cycle_at is None
                else self.status.last_cycle_at.isoformat(),
                "open_orders": self.status.open_orders,
                "last_error": self.status.last_error,
            }
        return {
            "role": self.role.value,
            "verdict": self.verdict,
            "armed_in_db": None if self.arming is None else self.arming.armed,
            "armed_changed_at": None if self.arming is None else self.arming.changed_at.isoformat(),
            "armed_changed_by": None if self.arming is None else self.arming.changed_by,
            "kill_file": None
            if self.kill is None
            else {"reason": self.kill.reason, "by": self.kill.by, "at": self.kill.at.isoformat()},
            "live_status": status,
            "live_status_problem": self.status_problem,
            "blockers": list(self.blockers),
            **self.sections,
        }


def read_live_arming(db_path: Path, audit: AuditContext) -> ArmingState | None:
    """The LIVE database's newest arming decision, read without the lock (after a tag check)."""
    with reading(db_path) as conn:
        meta = read_meta(conn, db_path)
        if meta.db_role is not Role.LIVE:
            return None
        return ArmingRepository(conn, audit).current()


def _status(control_dir: Path) -> tuple[LiveStatus | None, str | None]:
    try:
        return read_status(status_path(control_dir)), None
    except FileNotFoundError:
        return None, "no LIVE status file (LIVE has not run with this CONTROL_DIR)"
    except (StatusFileError, OSError) as exc:
        return None, f"LIVE status file unreadable: {exc}"


def reported(status: LiveStatus) -> str:
    """What the status file says about trading, in the operator's words.

    A dry run needs no arming, so it reads ``DRY RUN`` (not "not armed"); ``trading_allowed``
    (absent from files of older versions) says whether the policy would let an order out.
    """
    if status.mode in DRY_RUN_MODES:
        mode = f"DRY RUN ({status.mode} mode)"
        if status.trading_allowed is False or status.kill_switch:
            return f"LIVE reports {mode}, NOT TRADING"
        return f"LIVE reports {mode}"
    armed = status.armed and not status.kill_switch and status.trading_allowed is not False
    return "LIVE reports ARMED" if armed else "LIVE reports NOT ARMED"


def build_view(
    *,
    facts: TradingFacts,
    control_dir: Path,
    arming: ArmingState | None,
) -> InspectView:
    """Combine the arming history, kill file, status file and settings into one verdict."""
    kill = read_kill(control_dir)
    status, problem = _status(control_dir)
    policy = TradingArmedPolicy()
    blockers = tuple(r.value for r in policy.submit_blockers(facts))
    if facts.role is Role.MONITOR:
        verdict = (
            "LIVE state unknown" if status is None else f"{reported(status)} (from the status file)"
        )
        if kill is not None:
            verdict += f"; kill file present: {kill.reason}"
        return InspectView(facts.role, verdict, None, kill, status, problem, ())
    if blockers:
        verdict = "NOT TRADING: " + "; ".join(blockers)
    elif facts.live_trading:
        verdict = "ARMED: live orders will be sent to BtcTurk"
    elif facts.exchange is ExchangeKind.SIM:
        verdict = "DRY RUN (sim mode): orders go to the emulator only"
    else:
        verdict = "DRY RUN (paper mode): BtcTurk's public market data, orders matched locally"
    return InspectView(facts.role, verdict, arming, kill, status, problem, blockers)
