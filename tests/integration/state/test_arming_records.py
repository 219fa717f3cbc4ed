"""Arming and disarming, judged by what the database and the control directory hold afterwards.

The e2e tests drive ``btcbot arm`` / ``disarm`` through the console; these hold the service's
records to the letter on a real database ``db init`` made: which rows, which audit events with
which details, and which kill file, so a record that silently goes missing fails here.
"""

from __future__ import annotations

import errno
import os
import socket
from datetime import UTC, datetime
from pathlib import Path

import pytest
from state_db import initialised, unit_of_work

from btcbot.adapters.clock import ManualClock
from btcbot.adapters.control_dir import KillRecord, kill_path, read_kill, write_kill
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.enums import Role
from btcbot.domain.errors import ConfigError, StateError
from btcbot.domain.records import KillSwitchSource
from btcbot.domain.trading import StateCause, TradingState
from btcbot.observability.audit import AuditKind, AuditValue
from btcbot.services.arming import (
    RE_ARMED_REASON,
    ArmOutcome,
    arm,
    check_control_dir,
    current_halt,
    operator_name,
    record_disarm,
    write_kill_file,
)
from btcbot.settings import Settings
from btcbot.state.repositories.trading_state import TradingStateRepository
from btcbot.state.uow import UnitOfWork

AT = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
HALTED_AT = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)


@pytest.fixture
def live(tmp_path: Path) -> Settings:
    """A LIVE database ``db init`` made, registered in its control directory."""
    return initialised(tmp_path, Role.LIVE)


def _uow(settings: Settings) -> UnitOfWork:
    return unit_of_work(settings, UnitOfWork)


def _kill(reason: str = "going on holiday") -> KillRecord:
    return KillRecord(reason=reason, by="ops@desk", at=HALTED_AT, pid=1, hostname="desk")


def _halt(settings: Settings, state: TradingState) -> None:
    with _uow(settings) as uow:
        uow.repository(TradingStateRepository).record(
            TradingStateChange(state, "daily loss 5% reached", HALTED_AT)
        )
        uow.commit()


def _audit(settings: Settings, kind: AuditKind) -> list[dict[str, AuditValue]]:
    with _uow(settings) as uow:
        return [e.detail for e in uow.audit.recent(100, kind=kind)]


def _arm(settings: Settings, *, live: bool = True) -> ArmOutcome:
    return arm(
        _uow(settings),
        control_dir=settings.control_dir,
        clock=ManualClock(AT),
        actor="ops@desk",
        reason="back at the desk",
        live=live,
    )


def test_arming_records_armed_audits_it_and_removes_the_kill_file(live: Settings) -> None:
    """One ``armed=1`` row and one ``armed`` event naming the kill file's reason; file gone."""
    write_kill(live.control_dir, _kill())
    outcome = _arm(live)
    assert outcome.was_armed is False
    assert outcome.removed_kill == _kill()
    assert outcome.lifted is None
    assert not kill_path(live.control_dir).exists()
    with _uow(live) as uow:
        assert uow.arming.is_armed()
        state = uow.arming.current()
        removal = uow.kill_switch.latest()
    assert state is not None
    assert (state.reason, state.changed_by, state.changed_at) == (
        "back at the desk",
        "ops@desk",
        AT,
    )
    assert _audit(live, AuditKind.ARMED) == [
        {"reason": "back at the desk", "was_armed": False, "kill_file_reason": "going on holiday"}
    ]
    assert removal is not None
    assert removal.engaged is False
    assert removal.reason == "removed by arm: going on holiday"
    assert (removal.source, removal.recorded_by, removal.recorded_at) == (
        KillSwitchSource.OPERATOR,
        "ops@desk",
        AT,
    )
    assert _audit(live, AuditKind.KILL_FILE_REMOVED) == [
        {"reason": "going on holiday", "by": "ops@desk"}
    ]


def test_arm_arms_for_real_unless_told_it_is_a_dry_run(live: Settings) -> None:
    """``btcbot arm`` in a LIVE session passes nothing: the default is the real arming."""
    arm(_uow(live), control_dir=live.control_dir, clock=ManualClock(AT), actor="a", reason="r")
    with _uow(live) as uow:
        assert uow.arming.is_armed()


@pytest.mark.parametrize(
    ("environ", "user"),
    [
        ({"USERNAME": "ayse", "USER": "root"}, "ayse"),  # Windows names the user USERNAME
        ({"USER": "mehmet"}, "mehmet"),
        ({}, "unknown"),
    ],
)
def test_the_operator_is_named_user_at_host(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], user: str
) -> None:
    """Who armed or disarmed, as the audit trail records it."""
    monkeypatch.delenv("USERNAME", raising=False)
    monkeypatch.delenv("USER", raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert operator_name() == f"{user}@{socket.gethostname()}"


def test_arming_again_without_a_kill_file_says_it_was_armed_and_removes_nothing(
    live: Settings,
) -> None:
    """The second arm knows the first; no kill file means no removal row and no event."""
    _arm(live)
    outcome = _arm(live)
    assert outcome.was_armed is True
    assert outcome.removed_kill is None
    assert [e["was_armed"] for e in _audit(live, AuditKind.ARMED)] == [True, False]
    assert _audit(live, AuditKind.ARMED)[0]["kill_file_reason"] is None
    assert _audit(live, AuditKind.KILL_FILE_REMOVED) == []
    with _uow(live) as uow:
        assert uow.kill_switch.latest() is None


@pytest.mark.parametrize("halted", [TradingState.HALTED, TradingState.REDUCING])
def test_arming_lifts_a_risk_halt_with_its_own_audit(live: Settings, halted: TradingState) -> None:
    """HALTED or REDUCING becomes ACTIVE by the operator's hand, audited with what it was."""
    _halt(live, halted)
    assert current_halt(_uow(live)) == TradingStateChange(
        halted, "daily loss 5% reached", HALTED_AT
    )
    outcome = _arm(live)
    assert outcome.lifted == TradingStateChange(halted, "daily loss 5% reached", HALTED_AT)
    with _uow(live) as uow:
        now = uow.repository(TradingStateRepository).current()
    assert now == TradingStateChange(TradingState.ACTIVE, RE_ARMED_REASON, AT, StateCause.OPERATOR)
    assert current_halt(_uow(live)) is None
    assert _audit(live, AuditKind.TRADING_RESUMED) == [
        {"from_state": halted.value, "since": HALTED_AT.isoformat(), "reason": RE_ARMED_REASON}
    ]


def test_arming_while_active_lifts_nothing(live: Settings) -> None:
    """An ACTIVE state is no halt: no new state row, no ``trading_resumed`` event."""
    _halt(live, TradingState.ACTIVE)
    assert current_halt(_uow(live)) is None
    assert _arm(live).lifted is None
    with _uow(live) as uow:
        assert len(uow.repository(TradingStateRepository).history()) == 1
    assert _audit(live, AuditKind.TRADING_RESUMED) == []


def test_arming_in_a_dry_run_lifts_the_halt_and_the_kill_file_but_never_arms(
    live: Settings,
) -> None:
    """A database armed in a dry run would trade for real once LIVE_TRADING is set."""
    _halt(live, TradingState.HALTED)
    write_kill(live.control_dir, _kill())
    outcome = _arm(live, live=False)
    with _uow(live) as uow:
        assert not uow.arming.is_armed()
        assert uow.arming.current() is None
        assert uow.repository(TradingStateRepository).current_state() is TradingState.ACTIVE
    assert _audit(live, AuditKind.ARMED) == []
    assert outcome.removed_kill == _kill()
    assert read_kill(live.control_dir) is None


def test_a_disarm_recorded_by_live_is_armed_zero_and_an_engaged_kill_switch(
    live: Settings,
) -> None:
    """LIVE's own record: ``armed=0`` with the reason, the kill switch engaged, one event."""
    _arm(live)
    record_disarm(_uow(live), role=Role.LIVE, record=_kill())
    with _uow(live) as uow:
        state = uow.arming.current()
        engaged = uow.kill_switch.latest()
    assert state is not None
    assert (state.armed, state.reason, state.changed_by, state.changed_at) == (
        False,
        "disarm: going on holiday",
        "ops@desk",
        HALTED_AT,
    )
    assert engaged is not None
    assert (engaged.engaged, engaged.reason, engaged.source) == (
        True,
        "going on holiday",
        KillSwitchSource.KILL_FILE,
    )
    assert (engaged.recorded_by, engaged.recorded_at) == ("ops@desk", HALTED_AT)
    assert _audit(live, AuditKind.DISARMED) == [{"reason": "going on holiday", "role": "live"}]


def test_a_disarm_recorded_by_the_monitor_touches_no_arming_row(tmp_path: Path) -> None:
    """The MONITOR has no arming of its own: only the kill switch and the event."""
    monitor = initialised(tmp_path, Role.MONITOR)
    record_disarm(_uow(monitor), role=Role.MONITOR, record=_kill())
    with _uow(monitor) as uow:
        assert uow.arming.current() is None
        engaged = uow.kill_switch.latest()
    assert engaged is not None
    assert engaged.engaged is True
    assert _audit(monitor, AuditKind.DISARMED) == [
        {"reason": "going on holiday", "role": "monitor"}
    ]


def test_the_kill_file_is_written_with_who_when_and_this_process(live: Settings) -> None:
    """``write_kill_file`` is the disarm: what it returns is what the file holds."""
    clock = ManualClock(AT)
    record = write_kill_file(live.control_dir, reason="stop now", actor="ops@desk", clock=clock)
    assert (record.reason, record.by, record.at, record.pid) == (
        "stop now",
        "ops@desk",
        AT,
        os.getpid(),
    )
    assert read_kill(live.control_dir) == record


def test_a_kill_file_that_cannot_be_written_says_not_disarmed(live: Settings) -> None:
    """The operator is told in capitals that nothing stopped the LIVE loop.

    A directory where the file belongs makes the write fail for any user, root included.
    """
    kill_path(live.control_dir).mkdir()
    with pytest.raises(StateError) as refused:
        write_kill_file(live.control_dir, reason="x", actor="a", clock=ManualClock(AT))
    assert str(refused.value) == (
        f"NOT DISARMED: cannot write the kill file {kill_path(live.control_dir)} "
        f"({os.strerror(errno.EISDIR)}): stop the LIVE loop by hand (CTRL+C in its window), "
        "then make CONTROL_DIR writable"
    )
    assert kill_path(live.control_dir).is_dir()


def test_the_control_dir_of_this_live_database_is_accepted_however_spelled(
    live: Settings,
) -> None:
    """Its own database, named by another spelling of the same path, is the same file."""
    check_control_dir(live.control_dir)
    check_control_dir(live.control_dir, live_db=live.state_db_path)
    spelled = live.state_db_path.parent / ".." / "live" / live.state_db_path.name
    check_control_dir(live.control_dir, live_db=spelled)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (
            "missing",
            (
                r"does not exist or is not a directory: nothing was disarmed; give the "
                r"CONTROL_DIR of the LIVE session \(its live\.psd1, or 'btcbot inspect' there\)$"
            ),
        ),
        ("a file", r"does not exist or is not a directory: nothing was disarmed"),
        ("unregistered", r"is not the control directory of any LIVE database .*live\.json"),
        ("another database", r"belongs to the LIVE database .*, not to STATE_DB_PATH="),
    ],
)
def test_a_control_dir_where_a_kill_file_would_protect_nothing_is_refused(
    live: Settings, tmp_path: Path, case: str, message: str
) -> None:
    """A typo must not create an ignored directory, nor disarm some other LIVE session."""
    control, db = live.control_dir, live.state_db_path
    if case == "missing":
        control = tmp_path / "typo"
    elif case == "a file":
        control = tmp_path / "a-file"
        control.write_text("x", encoding="utf-8")
    elif case == "unregistered":
        control = tmp_path / "empty"
        control.mkdir()
    else:
        db = tmp_path / "other" / "state.db"
    with pytest.raises(ConfigError, match=message):
        check_control_dir(control, live_db=db)
    assert not (tmp_path / "typo").exists()


def test_current_halt_is_none_on_a_fresh_database(live: Settings) -> None:
    """No state row at all is ACTIVE."""
    assert current_halt(_uow(live)) is None
