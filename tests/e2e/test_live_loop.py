"""A real LIVE process trading in dry run against ``btcbot sim serve``, watched by a MONITOR."""

from __future__ import annotations

import subprocess
import urllib.request
from decimal import Decimal
from pathlib import Path

import pytest
from h5_support import BTCBOT, Sandbox, process_env, run
from live_support import (
    SimServer,
    cycle_number,
    dry_run_env,
    falling_candles,
    free_port,
    init_sandbox,
    integrity_ok,
    monitor_env,
    query,
    sim_serve,
    utc,
    wait_for,
)

from btcbot.adapters.control_dir import read_kill
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.models import OrderRequest
from btcbot.observability.status_file import read_status, status_path

CYCLES_BEFORE_DISARM = 200
# The client honours BtcTurk's quotas (own trades: 120/min, open+all orders: 300/min), and each
# cycle reconciles once per symbol: 0.5 s is the shortest period that never waits on a quota.
CYCLE_SECONDS = 0.5


def _cycles_done(box: Sandbox) -> int:
    try:
        return cycle_number(read_status(status_path(box.control)).cycle_id)
    except (FileNotFoundError, ValueError):
        return 0


def _place_resting_buy(sim: SimServer) -> None:
    """A limit buy 20 % under the market, placed by hand: foreign, never the bot's to touch."""
    client = sim.client()
    try:
        price = (client.ticker("BTCTRY").bid * Decimal("0.8")).quantize(Decimal(1))
        qty = (Decimal(200) / price).quantize(Decimal("0.00000001"))
        client.submit_order(
            OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, qty, price, "manual-1")
        )
    finally:
        client.close()


def _exchange_open_orders(sim: SimServer) -> int:
    client = sim.client()
    try:
        return len(client.open_orders("BTCTRY"))
    finally:
        client.close()


def _monitor_polls(box: Sandbox, mon: dict[str, str], live: subprocess.Popen[str]) -> list[str]:
    """``btcbot health`` in a loop until LIVE has run the wanted cycles; non-OK lines returned."""
    bad: list[str] = []
    polls = 0
    while _cycles_done(box) < CYCLES_BEFORE_DISARM:
        assert live.poll() is None, "LIVE exited early"
        health = run(["health"], mon)
        polls += 1
        if health.returncode != 0:
            bad.append(f"{health.returncode}: {health.stdout.strip()}")
    assert polls >= 3, "the MONITOR should have polled several times"
    return bad


def _assert_metrics(port: int) -> None:
    url = f"http://127.0.0.1:{port}/metrics"
    text = urllib.request.urlopen(url, timeout=5).read().decode()
    assert 'btcbot_cycles_total{outcome="ok"}' in text
    assert "btcbot_orders_submitted_total" in text
    assert "btcbot_cycle_duration_seconds_bucket" in text
    assert "btcbot_equity_try" in text


@pytest.mark.slow
@pytest.mark.timeout(600)  # a long scenario on a shared 2-CPU machine: never cut short
def test_dry_run_trades_with_monitor_healthy_then_disarm_stops_it(tmp_path: Path) -> None:
    """200+ trading cycles, health 0 on every poll; disarm stops orders and cancels open ones."""
    box = init_sandbox(tmp_path)
    port = free_port()
    log = tmp_path / "live.log"
    with sim_serve(falling_candles(tmp_path / "BTCTRY.csv")) as sim, log.open("w") as err:
        # A file, not a pipe: hundreds of cycles of JSON logs would fill a pipe and block LIVE.
        live = subprocess.Popen(
            [str(BTCBOT), "run", "--loop", "--cycle-seconds", str(CYCLE_SECONDS)],
            env=process_env(dry_run_env(box, sim.url, METRICS_PORT=str(port))),
            stdout=subprocess.DEVNULL,
            stderr=err,
            text=True,
        )
        try:
            wait_for(lambda: _cycles_done(box) >= 1, timeout=60, what="the first LIVE cycle")
            assert _monitor_polls(box, monitor_env(box, sim.url), live) == []
            _assert_metrics(port)
            filled = query(box.live_db, "SELECT count(*) FROM orders WHERE state = 'filled'")
            assert int(str(filled[0][0])) >= 20, "the dry run should have traded"

            _place_resting_buy(sim)
            wait_for(
                lambda: read_status(status_path(box.control)).foreign_orders >= 1,
                timeout=30,
                what="LIVE to see the hand-placed order as foreign",
            )
            disarm = run(["disarm", "--reason", "e2e: stop trading"], monitor_env(box, sim.url))
            assert disarm.returncode == 0, disarm.stderr
            kill = read_kill(box.control)
            assert kill is not None
            at_disarm = _cycles_done(box)
            wait_for(lambda: _cycles_done(box) >= at_disarm + 3, timeout=30, what="3 more cycles")
            status = read_status(status_path(box.control))
            assert status.kill_switch
            assert status.open_orders == 0
            # The bot cancels its own orders only: the hand-placed one still rests.
            assert _exchange_open_orders(sim) == 1
            assert status.foreign_orders == 1
            created = query(box.live_db, "SELECT created_at FROM orders WHERE origin = 'bot'")
            late = [row for row in created if utc(str(row[0])) > kill.at]
            # At most the one order a cycle already had in flight when the kill file appeared.
            assert len(late) <= 1, late
            # LIVE recorded the disarm in its own database, so it survives the file's removal.
            recorded = query(box.live_db, "SELECT reason FROM kill_switch_events")
            assert ("e2e: stop trading",) in recorded
        finally:
            live.terminate()
            live.wait(timeout=60)
    text = log.read_text(encoding="utf-8")
    assert live.returncode == 0, text[-2000:]
    assert "Traceback" not in text
    assert read_status(status_path(box.control)).state == "stopped"
    assert integrity_ok(box.live_db)
