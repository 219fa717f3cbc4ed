"""Arming and disarming by the real command, and inspect always saying which state we are in."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from h5_support import Sandbox, run, waiting_arm, write_status


@pytest.fixture
def sandbox(tmp_path: Path) -> Sandbox:
    """Fresh LIVE and MONITOR databases and a shared CONTROL_DIR."""
    return Sandbox(tmp_path).init()


def _inspect(env: dict[str, str]) -> dict[str, object]:
    done = run(["inspect", "--json"], env)
    assert done.returncode == 0, done.stderr
    doc: dict[str, object] = json.loads(done.stdout)
    return doc


def _events(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [r[0] for r in conn.execute("SELECT event FROM audit_events ORDER BY id")]


def test_a_fresh_live_database_is_not_armed(sandbox: Sandbox) -> None:
    """Before any arm, inspect says NOT TRADING because the database is not armed."""
    doc = _inspect(sandbox.live_env())
    assert doc["armed_in_db"] is None
    assert str(doc["verdict"]).startswith("NOT TRADING")
    assert "not armed" in str(doc["verdict"])


def test_typing_arm_arms_and_audits(sandbox: Sandbox) -> None:
    """Typing ARM at the prompt arms the LIVE database, audits it, and inspect says ARMED."""
    done = run(["arm", "--reason", "e2e"], sandbox.live_env(), stdin="ARM\n")
    assert done.returncode == 0, done.stderr
    assert "ARMED" in done.stdout
    doc = _inspect(sandbox.live_env())
    assert doc["armed_in_db"] is True
    assert str(doc["verdict"]).startswith("ARMED")
    assert _events(sandbox.live_db)[-1] == "armed"


@pytest.mark.parametrize("typed", ["", "arm", "yes", "ARM please"])
def test_anything_but_the_word_arm_changes_nothing(sandbox: Sandbox, typed: str) -> None:
    """Any other answer (or none) exits 4 and leaves the database unarmed and unaudited."""
    done = run(["arm"], sandbox.live_env(), stdin=f"{typed}\n")
    assert done.returncode == 4
    assert "not confirmed" in done.stderr
    assert _inspect(sandbox.live_env())["armed_in_db"] is None
    assert "armed" not in _events(sandbox.live_db)


@pytest.mark.parametrize(
    ("env_change", "needle"),
    [
        ({"role": "monitor"}, "needs APP_ROLE=live"),
        ({"LIVE_TRADING": "false", "LIVE_TRADING_ACK": "", "EXCHANGE": "sim"}, "LIVE_TRADING=true"),
    ],
)
def test_arm_is_refused_outside_real_live_trading(
    sandbox: Sandbox, env_change: dict[str, str], needle: str
) -> None:
    """Arming from the MONITOR session, or in a dry run, is refused with exit 4 and one line."""
    env = (
        sandbox.monitor_env()
        if env_change.get("role") == "monitor"
        else sandbox.live_env(**env_change)
    )
    done = run(["arm", "--yes"], env)
    assert done.returncode == 4
    assert needle in done.stderr
    assert done.stderr.strip().count("\n") == 0


def test_disarm_from_the_monitor_blocks_and_the_next_arm_clears_it(sandbox: Sandbox) -> None:
    """MONITOR disarm writes the kill file; LIVE inspect shows it; arm removes it and audits."""
    assert run(["arm", "--yes"], sandbox.live_env()).returncode == 0
    disarm = run(["disarm", "--reason", "drill"], sandbox.monitor_env())
    assert disarm.returncode == 0, disarm.stderr
    assert (sandbox.control / "KILL").exists()
    doc = _inspect(sandbox.live_env())
    assert "kill file" in str(doc["verdict"])
    kill = doc["kill_file"]
    assert isinstance(kill, dict)
    assert kill["reason"] == "drill"
    rearm = run(["arm", "--yes"], sandbox.live_env())
    assert rearm.returncode == 0
    assert "removed kill file (drill)" in rearm.stdout
    assert not (sandbox.control / "KILL").exists()
    assert _events(sandbox.live_db)[-2:] == ["armed", "kill_file_removed"]


def test_disarm_from_live_also_records_disarmed_in_the_live_db(sandbox: Sandbox) -> None:
    """A LIVE-session disarm with the loop stopped also appends armed=0 to the LIVE database."""
    assert run(["arm", "--yes"], sandbox.live_env()).returncode == 0
    done = run(["disarm"], sandbox.live_env())
    assert done.returncode == 0
    assert "recorded in" in done.stdout
    assert _inspect(sandbox.live_env())["armed_in_db"] is False
    assert _events(sandbox.live_db)[-1] == "disarmed"


def test_disarm_works_while_live_holds_the_lock(sandbox: Sandbox) -> None:
    """With a LIVE process holding the lock, disarm still writes the kill file and exits 0."""
    with waiting_arm(sandbox.live_env()):
        done = run(["disarm", "--reason", "now"], sandbox.live_env())
    assert done.returncode == 0
    assert (sandbox.control / "KILL").exists()
    assert "in use" in done.stdout


def test_emergency_disarm_needs_no_settings_at_all(sandbox: Sandbox) -> None:
    """An emergency disarm --control-dir works with an empty environment (no settings needed)."""
    done = run(["disarm", "--control-dir", str(sandbox.control), "--reason", "panic"], {})
    assert done.returncode == 0, done.stderr
    assert "panic" in (sandbox.control / "KILL").read_text(encoding="utf-8")


def test_monitor_inspect_reports_live_from_the_status_file(sandbox: Sandbox) -> None:
    """From the MONITOR session, inspect reports LIVE's armed state from the status file."""
    with waiting_arm(sandbox.live_env()) as live:
        write_status(sandbox.control, pid=live.pid, armed=True)
        doc = _inspect(sandbox.monitor_env())
    assert doc["verdict"] == "LIVE reports ARMED (from the status file)"
    status = doc["live_status"]
    assert isinstance(status, dict)
    assert status["pid"] == live.pid


def _halt(db: Path, state: str = "halted", reason: str = "daily PnL -5 TRY reached -3 TRY") -> None:
    """Store a risk halt as the LIVE loop would (the newest row is the state)."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO trading_state_changes (state, reason, changed_at, process_role, "
            "process_instance_id, config_hash) VALUES (?, ?, ?, 'live', 'e2e', 'e2e')",
            (state, reason, "2026-11-23T10:00:00+00:00"),
        )


def _states(db: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT state, reason FROM trading_state_changes ORDER BY id")
        return [(str(r[0]), str(r[1])) for r in rows]


def test_arm_shows_the_halt_and_lifts_it_once_confirmed(sandbox: Sandbox) -> None:
    """The prompt names the halt's reason; typing ARM records ACTIVE, audited."""
    _halt(sandbox.live_db)
    done = run(["arm", "--reason", "e2e"], sandbox.live_env(), stdin="ARM\n")
    assert done.returncode == 0, done.stderr
    assert "Trading is HALTED since 2026-11-23 10:00:00Z: daily PnL -5 TRY reached -3 TRY" in (
        done.stdout
    )
    assert "trading state ACTIVE again (was HALTED" in done.stdout
    assert _states(sandbox.live_db)[-1] == ("active", "operator re-armed")
    events = _events(sandbox.live_db)
    assert events[events.index("trading_resumed") - 1] == "armed"


def test_an_unconfirmed_arm_leaves_the_halt_in_force(sandbox: Sandbox) -> None:
    """Anything but ARM at the prompt keeps the stored REDUCING/HALTED state and audits nothing."""
    _halt(sandbox.live_db, state="reducing", reason="drawdown 4 % reached 3 %")
    done = run(["arm"], sandbox.live_env(), stdin="no\n")
    assert done.returncode == 4
    assert "Trading is REDUCING" in done.stdout
    assert _states(sandbox.live_db)[-1][0] == "reducing"
    assert "trading_resumed" not in _events(sandbox.live_db)


def test_arm_in_a_dry_run_lifts_a_halt(sandbox: Sandbox) -> None:
    """A dry run needs no arming, but arm --yes there is the audited way out of a halt."""
    _halt(sandbox.live_db)
    env = sandbox.live_env(LIVE_TRADING="false", LIVE_TRADING_ACK="", EXCHANGE="sim")
    done = run(["arm", "--yes"], env)
    assert done.returncode == 0, done.stderr
    assert "DRY RUN" in done.stdout
    assert _states(sandbox.live_db)[-1] == ("active", "operator re-armed")
    assert "trading_resumed" in _events(sandbox.live_db)
