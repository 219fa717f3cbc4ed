"""A daily-loss halt is persisted by one LIVE process, honoured by the next, lifted by arm."""

from __future__ import annotations

from pathlib import Path

import pytest
from h5_support import run
from live_support import dry_run_env, falling_candles, init_sandbox, query, sim_serve


@pytest.mark.slow
def test_daily_loss_halt_survives_a_restart_until_arm_lifts_it(tmp_path: Path) -> None:
    """Losses halt trading; a restart stays halted; ``arm --yes`` makes the next cycle ACTIVE."""
    box = init_sandbox(tmp_path)
    with sim_serve(falling_candles(tmp_path / "BTCTRY.csv")) as sim:
        env = dry_run_env(box, sim.url, RISK_MAX_DAILY_LOSS_TRY="3")
        first = run(["run", "--cycles", "60", "--cycle-seconds", "0.05"], env, timeout=180)
        assert first.returncode == 0, first.stderr[-2000:]
        states = query(box.live_db, "SELECT state, reason FROM trading_state_changes ORDER BY id")
        assert states, "the losses should have changed the trading state"
        assert states[-1][0] == "halted", states
        orders_before = query(box.live_db, "SELECT count(*) FROM orders WHERE origin = 'bot'")
        assert int(str(orders_before[0][0])) > 0
        halted_sql = "SELECT count(*) FROM risk_decisions WHERE reason = 'trading_halted'"
        refused_before = int(str(query(box.live_db, halted_sql)[0][0]))

        second = run(["run", "--cycles", "15", "--cycle-seconds", "0.05"], env, timeout=180)
        assert second.returncode == 0, second.stderr[-2000:]
        assert query(box.live_db, "SELECT count(*) FROM orders WHERE origin = 'bot'") == (
            orders_before
        ), "a halted LIVE must not place orders after a restart"
        latest = query(box.live_db, "SELECT state FROM trading_state_changes ORDER BY id DESC")
        assert latest[0][0] == "halted"
        refused_after = int(str(query(box.live_db, halted_sql)[0][0]))
        assert refused_after > refused_before, "signals after the restart are refused as halted"

        armed = run(["arm", "--yes", "--reason", "e2e: limit raised"], env)
        assert armed.returncode == 0, armed.stderr[-2000:]
        assert "trading state ACTIVE again (was HALTED" in armed.stdout
        assert query(box.live_db, "SELECT state, reason FROM trading_state_changes ORDER BY id")[
            -1
        ] == ("active", "operator re-armed")
        events = [r[0] for r in query(box.live_db, "SELECT event FROM audit_events ORDER BY id")]
        assert "trading_resumed" in events
        # A dry run's arm lifts the halt but never arms the database for real trading.
        assert "armed" not in events

        # The operator raised the limit that was breached, so the next cycles stay ACTIVE.
        raised = {**env, "RISK_MAX_DAILY_LOSS_TRY": "1000000"}
        third = run(["run", "--cycles", "5", "--cycle-seconds", "0.05"], raised, timeout=180)
        assert third.returncode == 0, third.stderr[-2000:]
        latest = query(box.live_db, "SELECT state, reason FROM trading_state_changes ORDER BY id")
        assert latest[-1] == ("active", "operator re-armed"), latest[-3:]
        assert int(str(query(box.live_db, halted_sql)[0][0])) == refused_after
