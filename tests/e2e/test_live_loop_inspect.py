"""``btcbot inspect`` shows what LIVE did: orders, positions, PnL, cycles, risk decisions."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from h5_support import run
from live_support import dry_run_env, falling_candles, init_sandbox, sim_serve

from btcbot.observability.status_file import read_status, status_path


@pytest.mark.slow
def test_inspect_shows_the_trading_tables_as_text_and_json(tmp_path: Path) -> None:
    """After a short dry run, inspect lists orders, positions, PnL, cycles and risk decisions."""
    box = init_sandbox(tmp_path)
    with sim_serve(falling_candles(tmp_path / "BTCTRY.csv")) as sim:
        env = dry_run_env(box, sim.url)
        done = run(["run", "--cycles", "12", "--cycle-seconds", "0.05"], env, timeout=120)
        assert done.returncode == 0, done.stderr[-2000:]
    document = run(["inspect", "--json"], env)
    assert document.returncode == 0, document.stderr
    view = json.loads(document.stdout)
    assert view["verdict"].startswith("DRY RUN")
    assert len(view["recent_cycles"]) == 10
    # The newest is the clean stop's final reconciliation (it decides nothing); then the cycles.
    assert view["recent_cycles"][0]["outcome"] == "observe_only"
    assert view["recent_cycles"][0]["error"] == "final reconciliation before stopping"
    assert view["recent_cycles"][1]["outcome"] == "ok"
    assert view["orders"], "the dry run placed orders"
    assert {o["symbol"] for o in view["orders"]} == {"BTCTRY"}
    assert view["risk_decisions"][0]["outcome"] in ("approved", "rejected", "dust")
    assert Decimal(view["pnl"]["equity"]) > 0
    assert view["positions"][0]["symbol"] == "BTCTRY"

    table = run(["inspect"], env)
    assert table.returncode == 0, table.stderr
    for title in ("orders:", "positions:", "pnl:", "recent_cycles:", "risk_decisions:"):
        assert title in table.stdout
    assert "client_order_id" in table.stdout


@pytest.mark.slow
def test_a_dry_run_reads_dry_run_not_unarmed(tmp_path: Path) -> None:
    """A dry run's status file says its mode and that it may trade; the MONITOR says DRY RUN."""
    box = init_sandbox(tmp_path)
    with sim_serve(falling_candles(tmp_path / "BTCTRY.csv")) as sim:
        done = run(["run", "--cycles", "2", "--cycle-seconds", "0.05"], dry_run_env(box, sim.url))
        assert done.returncode == 0, done.stderr[-2000:]
    status = read_status(status_path(box.control))
    assert (status.mode, status.armed, status.trading_allowed) == ("sim", False, True)
    seen = run(["inspect", "--json"], box.monitor_env())
    assert seen.returncode == 0, seen.stderr
    view = json.loads(seen.stdout)
    assert view["verdict"] == "LIVE reports DRY RUN (sim mode) (from the status file)"
    assert view["live_status"]["trading_allowed"] is True
