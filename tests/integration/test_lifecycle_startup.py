"""lifecycle.startup: role first, then the state guards; the lock is held and always released."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from live_environ import monitor_environ

from btcbot.adapters.clock import ManualClock
from btcbot.domain.enums import Role
from btcbot.domain.errors import LockHeldError, RoleMismatchError
from btcbot.lifecycle import RoleCheck, startup
from btcbot.settings import Settings, load_settings
from btcbot.state import lock as db_lock
from btcbot.state.admin import init_database

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def monitor(tmp_path: Path) -> Settings:
    """A MONITOR configuration whose database exists."""
    (tmp_path / "control").mkdir()
    (tmp_path / "monitor").mkdir()
    settings = load_settings(monitor_environ(tmp_path))
    init_database(settings, instance_id="init", now=NOW)
    return settings


def _inside_then_fail(settings: Settings) -> None:
    check = RoleCheck("health", Role.MONITOR)
    with startup(settings, check=check, instance_id="a", clock=ManualClock(NOW)) as runtime:
        assert db_lock.probe(settings.state_db_path).held
        assert runtime.meta.db_role is Role.MONITOR
        raise RuntimeError("boom")


def test_the_lock_is_held_inside_and_released_even_on_error(monitor: Settings) -> None:
    """Inside the block the lock is held; an exception still releases it."""
    with pytest.raises(RuntimeError, match="boom"):
        _inside_then_fail(monitor)
    assert not db_lock.probe(monitor.state_db_path).held


def test_a_second_startup_on_the_same_db_is_refused(monitor: Settings) -> None:
    """While one startup holds the lock, another raises LockHeldError."""
    check = RoleCheck("health", Role.MONITOR)
    first = startup(monitor, check=check, instance_id="a", clock=ManualClock(NOW))
    second = startup(monitor, check=check, instance_id="b", clock=ManualClock(NOW))
    with first, pytest.raises(LockHeldError), second:
        pytest.fail("second holder got in")


def test_wrong_role_is_refused_before_any_file_is_touched(monitor: Settings) -> None:
    """The role is checked first: even with the database gone, the refusal is about the role."""
    monitor.state_db_path.unlink()
    wrong = startup(
        monitor, check=RoleCheck("arm", Role.LIVE), instance_id="a", clock=ManualClock(NOW)
    )
    with pytest.raises(RoleMismatchError, match="needs APP_ROLE=live"), wrong:
        pytest.fail("started under the wrong role")


def test_rows_written_through_the_runtime_carry_the_audit_stamp(monitor: Settings) -> None:
    """A unit of work from the runtime stamps role, instance id and config hash."""
    check = RoleCheck("health", Role.MONITOR)
    with startup(monitor, check=check, instance_id="inst-7", clock=ManualClock(NOW)) as runtime:
        context = runtime.audit_context("c-1")
    assert (context.process_role, context.process_instance_id, context.cycle_id) == (
        Role.MONITOR,
        "inst-7",
        "c-1",
    )
    assert context.config_hash == monitor.config_hash
