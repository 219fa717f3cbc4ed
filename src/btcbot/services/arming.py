"""Arming and disarming: the two deliberate operator acts, each recorded and audited.

``arm`` (LIVE only, the loop stopped, the caller has confirmed) appends ``armed=1`` to the LIVE
database's arming history and an ``armed`` audit event in one commit, *then* removes the kill
file. If the process dies between the two, the kill file still blocks trading: safe. ``arm`` is
also the one way out of a risk halt: when the stored trading state is HALTED or REDUCING, the
same commit records ACTIVE ("operator re-armed") and a ``trading_resumed`` audit event. In a dry
run (no arming needed to trade) ``arm`` is allowed for exactly that.

``write_kill_file`` is the whole of an emergency disarm and works from either role without any
database. ``record_disarm`` is the follow-up, best effort, when the caller's own database is
free: it appends ``armed=0`` (LIVE) and the kill-switch engagement, so the disarm survives even
someone deleting the kill file by hand. A running LIVE loop records it itself when it sees the
file.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from btcbot.adapters.clock import Clock
from btcbot.adapters.control_dir import (
    KillRecord,
    kill_path,
    read_kill,
    remove_kill,
    write_kill,
)
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.enums import Role
from btcbot.domain.errors import ConfigError, StateError
from btcbot.domain.records import ArmingState, KillSwitchRecord, KillSwitchSource
from btcbot.domain.trading import StateCause, TradingState
from btcbot.observability.audit import AuditEvent, AuditKind
from btcbot.observability.logging import get_logger
from btcbot.state.registry import read_registration
from btcbot.state.repositories.trading_state import TradingStateRepository
from btcbot.state.uow import UnitOfWork

CONFIRM_WORD = "ARM"
RE_ARMED_REASON = "operator re-armed"
_log = get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ArmOutcome:
    """What ``arm`` changed."""

    was_armed: bool
    removed_kill: KillRecord | None
    lifted: TradingStateChange | None = None


def current_halt(uow: UnitOfWork) -> TradingStateChange | None:
    """The stored HALTED or REDUCING state (with its reason and time); ``None`` when ACTIVE."""
    with uow:
        change = uow.repository(TradingStateRepository).current()
    return None if change is None or change.state is TradingState.ACTIVE else change


def operator_name() -> str:
    """Who is at the keyboard, for the audit trail (``user@host``)."""
    user = os.environ.get("USERNAME") or os.environ.get("USER") or "unknown"
    return f"{user}@{socket.gethostname()}"


def arm(
    uow: UnitOfWork,
    *,
    control_dir: Path,
    clock: Clock,
    actor: str,
    reason: str,
    live: bool = True,
) -> ArmOutcome:
    """Arm the LIVE database and remove the kill file; the caller holds the LIVE lock.

    ``live=False`` (a dry run) lifts a disarm or a halt *without* recording ``armed=1``: a
    database armed in a dry run would trade for real the day LIVE_TRADING is set to true.
    """
    kill = read_kill(control_dir)
    now = clock.now()
    with uow:
        was_armed = uow.arming.is_armed()
        states = uow.repository(TradingStateRepository)
        lifted = states.current()
        if lifted is not None and lifted.state is TradingState.ACTIVE:
            lifted = None
        if live:
            uow.arming.record(
                ArmingState(armed=True, reason=reason, changed_by=actor, changed_at=now)
            )
            uow.audit.append(
                AuditEvent(
                    kind=AuditKind.ARMED,
                    at=now,
                    actor=actor,
                    detail={
                        "reason": reason,
                        "was_armed": was_armed,
                        "kill_file_reason": None if kill is None else kill.reason,
                    },
                )
            )
        if lifted is not None:
            _resume_trading(uow, states, lifted, actor=actor, now=now)
        uow.commit()
        removed = kill if remove_kill(control_dir) else None
        if removed is not None:
            uow.kill_switch.record(
                KillSwitchRecord(
                    engaged=False,
                    reason=f"removed by arm: {removed.reason}",
                    source=KillSwitchSource.OPERATOR,
                    recorded_by=actor,
                    recorded_at=now,
                )
            )
            uow.audit.append(
                AuditEvent(
                    kind=AuditKind.KILL_FILE_REMOVED,
                    at=now,
                    actor=actor,
                    detail={"reason": removed.reason, "by": removed.by},
                )
            )
            uow.commit()
    _log.warning(
        "armed",
        actor=actor,
        reason=reason,
        was_armed=was_armed,
        removed_kill_file=None if removed is None else removed.reason,
        lifted_state=None if lifted is None else lifted.state.value,
    )
    return ArmOutcome(was_armed=was_armed, removed_kill=removed, lifted=lifted)


def _resume_trading(
    uow: UnitOfWork,
    states: TradingStateRepository,
    lifted: TradingStateChange,
    *,
    actor: str,
    now: datetime,
) -> None:
    """Record ACTIVE over a risk halt, audited (the halt's own reason stays in its row)."""
    states.record(
        TradingStateChange(TradingState.ACTIVE, RE_ARMED_REASON, now, StateCause.OPERATOR)
    )
    uow.audit.append(
        AuditEvent(
            kind=AuditKind.TRADING_RESUMED,
            at=now,
            actor=actor,
            detail={
                "from_state": lifted.state.value,
                "since": lifted.changed_at.isoformat(),
                "reason": RE_ARMED_REASON,
            },
        )
    )


def check_control_dir(control_dir: Path, *, live_db: Path | None = None) -> None:
    """Refuse a directory where a kill file would protect nothing (``ConfigError``, exit 2).

    It must exist (a typo must not create a fresh, ignored directory) and hold the LIVE
    database's registration; from a LIVE session, the registration of *its* database.
    """
    nothing = "nothing was disarmed"
    if not control_dir.is_dir():
        raise ConfigError(
            f"CONTROL_DIR={control_dir} does not exist or is not a directory: {nothing}; give "
            "the CONTROL_DIR of the LIVE session (its live.psd1, or 'btcbot inspect' there)"
        )
    registered = read_registration(control_dir, Role.LIVE)
    if registered is None:
        raise ConfigError(
            f"CONTROL_DIR={control_dir} is not the control directory of any LIVE database (no "
            f"registry{os.sep}live.json in it): {nothing}; give the LIVE session's CONTROL_DIR"
        )
    if live_db is not None and not _same_file(Path(registered.db_path), live_db):
        raise ConfigError(
            f"CONTROL_DIR={control_dir} belongs to the LIVE database {registered.db_path}, not "
            f"to STATE_DB_PATH={live_db}: {nothing}; use the CONTROL_DIR of this LIVE session"
        )


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.samefile(b)
    except OSError:
        return a.absolute() == b.absolute()


def write_kill_file(control_dir: Path, *, reason: str, actor: str, clock: Clock) -> KillRecord:
    """The emergency disarm itself: write ``CONTROL_DIR/KILL`` atomically, or say it did not.

    Raises:
        StateError: the file could not be written; the message says the disarm did not happen.
    """
    record = KillRecord(
        reason=reason, by=actor, at=clock.now(), pid=os.getpid(), hostname=socket.gethostname()
    )
    try:
        path = write_kill(control_dir, record)
    except OSError as exc:
        raise StateError(
            f"NOT DISARMED: cannot write the kill file {kill_path(control_dir)} "
            f"({exc.strerror or type(exc).__name__}): stop the LIVE loop by hand (CTRL+C in its "
            "window), then make CONTROL_DIR writable"
        ) from None
    _log.warning("kill_file_written", path=str(path), reason=reason, actor=actor)
    return record


def record_disarm(uow: UnitOfWork, *, role: Role, record: KillRecord) -> None:
    """Persist a disarm in the caller's own database (LIVE: also ``armed=0``)."""
    with uow:
        if role is Role.LIVE:
            uow.arming.record(
                ArmingState(
                    armed=False,
                    reason=f"disarm: {record.reason}",
                    changed_by=record.by,
                    changed_at=record.at,
                )
            )
        uow.kill_switch.record(
            KillSwitchRecord(
                engaged=True,
                reason=record.reason,
                source=KillSwitchSource.KILL_FILE,
                recorded_by=record.by,
                recorded_at=record.at,
            )
        )
        uow.audit.append(
            AuditEvent(
                kind=AuditKind.DISARMED,
                at=record.at,
                actor=record.by,
                detail={"reason": record.reason, "role": role.value},
            )
        )
        uow.commit()
