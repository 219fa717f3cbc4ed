"""The LIVE process SIGKILLed 50+ times mid-trading, restarted against the same emulator each time.

Kills come from two sources, so they land everywhere a power cut could:

* the test's own SIGKILL at a random moment: a third of the lives during start-up (guards,
  lock, startup reconciliation), the rest after they have traded, anywhere in a cycle
  (including inside a SQLite commit);
* the test-only crash points (``tests/support/crash_points.py``, injected through the wiring by
  ``crash_entry.py``; the production client has no such hook): right before an order POST leaves,
  after its intent was committed, and right after a POST that the emulator accepted and then
  stalled past the client's patience (``timeout_after_accept``).

Then one clean run with the kill file present cancels what rests, and the books are checked
against the exchange itself.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from exchange_truth import ExchangeOrder, book_problems
from h5_support import BTCBOT, Sandbox, process_env, run
from live_support import (
    SimServer,
    cycle_number,
    dry_run_env,
    falling_candles,
    init_sandbox,
    integrity_ok,
    query,
    sim_serve,
)

from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger_balances import balance_differences
from btcbot.domain.ledger_codec import snapshot_from_dict
from btcbot.observability.status_file import read_status, status_path

KILLS = 50
# Seconds a crash-point life may trade before its point must have fired.
CRASH_POINT_PATIENCE = 120
CRASH_ENTRY = Path(__file__).resolve().parents[1] / "support" / "crash_entry.py"
# Lost-POST deaths first (the next start-up resolves them at once), then two lost-intent deaths
# far apart, so no crash-point life waits out another's 60-odd-second NOT_PLACED block.
CRASH_POINT_LIVES = {
    1: "after_timeout",
    6: "after_timeout",
    11: "after_timeout",
    16: "after_timeout",
    20: "before_post",
    49: "before_post",
}
FAULTS = "timeout_after_accept:0.25@/api/v1/order,seed=7"


def _crash_points(n: int) -> str:
    """The lives that die at a crash point, for sure: they live until it fires.

    ``after_timeout`` leaves an order the exchange accepted; the next start-up finds it by client
    id at once. ``before_post`` leaves an intent that never left; reconciliation may declare it
    NOT_PLACED only after three passes at least 30 s after its creation, and its symbol stays
    blocked until then, so those lives are few and far apart (or the next crash-point life would
    wait out the block). The other lives die by the test's own random SIGKILL.
    """
    point = CRASH_POINT_LIVES.get(n)
    return f"{point}:1,seed={n}" if point else ""


def _one_life(box: Sandbox, url: str, rng: random.Random, n: int, log: Path) -> tuple[int, bool]:
    """Start LIVE, let it live a random while (or until its crash point fires).

    Returns its exit code and whether it killed itself at a crash point.
    """
    points = _crash_points(n)
    env = dry_run_env(box, url)
    command = [str(BTCBOT)]
    if points:
        command = [sys.executable, str(CRASH_ENTRY), points]
    with log.open("a") as err:
        proc = subprocess.Popen(
            [*command, "run", "--loop", "--cycle-seconds", "0.05"],
            env=process_env(env),
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
        if points:
            # It trades until its crash point kills it; the deadline only guards a hang.
            _live_until(proc, time.monotonic() + CRASH_POINT_PATIENCE)
        elif n % 3 == 0:
            # Every third life dies somewhere in start-up (guards, lock, startup reconciliation).
            _live_until(proc, time.monotonic() + rng.uniform(0.3, 1.5))
        else:
            # The others trade first, however loaded the machine is, then die mid-cycle.
            _live_until(proc, time.monotonic() + 30, until=lambda: _trading(box, proc.pid))
            _live_until(proc, time.monotonic() + rng.uniform(0.1, 1.5))
        by_itself = proc.poll() is not None
        if not by_itself:
            proc.send_signal(signal.SIGKILL)
        return proc.wait(timeout=30), by_itself


def _live_until(
    proc: subprocess.Popen[bytes], deadline: float, until: Callable[[], bool] = lambda: False
) -> None:
    while time.monotonic() < deadline and proc.poll() is None and not until():
        time.sleep(0.02)


def _trading(box: Sandbox, pid: int) -> bool:
    """True once the LIVE process ``pid`` has finished a cycle (its own status file says so)."""
    try:
        status = read_status(status_path(box.control))
    except (FileNotFoundError, ValueError):
        return False
    return status.pid == pid and cycle_number(status.cycle_id) >= 1


def _book_rows(db: Path) -> list[tuple[object, object, object, object]]:
    rows = query(db, "SELECT client_order_id, exchange_order_id, origin, state FROM orders")
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def _exchange_view(sim: SimServer, since: datetime) -> tuple[list[tuple[int, str | None]], int]:
    client = sim.client()
    try:
        orders = client.all_orders("BTCTRY", start=since, end=datetime.now(UTC), limit=1000)
        trades = client.own_trades("BTCTRY", start=since, end=datetime.now(UTC))
        return [(o.order_id, o.client_order_id) for o in orders], len(trades)
    finally:
        client.close()


def _ledger_differences(sim: SimServer, db: Path) -> object:
    raw = query(db, "SELECT snapshot FROM ledger_snapshots ORDER BY id DESC LIMIT 1")[0][0]
    ledger = Ledger.from_snapshot(snapshot_from_dict(json.loads(str(raw))))
    client = sim.client()
    try:
        return balance_differences(ledger, client.balances())
    finally:
        client.close()


@pytest.mark.slow
@pytest.mark.timeout(600)  # a long scenario on a shared 2-CPU machine: never cut short
def test_sigkill_at_random_points_never_duplicates_or_loses_an_order(tmp_path: Path) -> None:
    """50+ SIGKILLs: no duplicate, no unknown exchange order, integrity ok, ledger = balances."""
    box = init_sandbox(tmp_path)
    rng = random.Random(20261123)
    since = datetime.now(UTC) - timedelta(minutes=1)
    log = tmp_path / "live.log"
    kills = self_kills = 0
    with sim_serve(
        falling_candles(tmp_path / "BTCTRY.csv"), "--faults", FAULTS, "--stall-seconds", "0.5"
    ) as sim:
        for n in range(KILLS):
            code, by_itself = _one_life(box, sim.url, rng, n, log)
            assert code == -signal.SIGKILL, f"life {n} ended with {code}, not SIGKILL"
            kills += 1
            self_kills += by_itself
            assert integrity_ok(box.live_db), f"integrity_check failed after kill {n}"
        # The operator's way out: disarm, then one clean run cancels what rests and books it all.
        mon = box.monitor_env(sim.url, EXCHANGE="sim", BTCTURK_GRAPH_URL=f"{sim.url}/graph")
        assert run(["disarm", "--reason", "end of crash test"], mon).returncode == 0
        final = run(["run", "--cycles", "8", "--cycle-seconds", "0.3"], dry_run_env(box, sim.url))
        assert final.returncode == 0, final.stderr[-3000:]
        assert integrity_ok(box.live_db)

        orders, trades = _exchange_view(sim, since)
        bot_ids = Counter(cid for _, cid in orders if cid and cid.startswith("bb-"))
        assert bot_ids, "the bot should have placed orders between the kills"
        assert [cid for cid, n in bot_ids.items() if n > 1] == [], (
            "duplicate orders on the exchange"
        )
        known = {int(str(r[0])) for r in query(box.live_db, "SELECT exchange_order_id FROM orders")
                 if r[0] is not None}  # fmt: skip
        assert [oid for oid, _ in orders if oid not in known] == [], "exchange orders unknown to DB"
        # By exchange id, not client id: each accepted bot order was intended before its POST.
        exchange = [ExchangeOrder(oid, cid) for oid, cid in orders]
        assert book_problems(exchange, _book_rows(box.live_db)) == []
        stored = query(box.live_db, "SELECT count(*), sum(ledger_applied) FROM fills")[0]
        assert stored[0] == trades, "every exchange trade is stored exactly once"
        assert stored[0] == stored[1], "every stored fill is booked"
        assert _ledger_differences(sim, box.live_db) == ()
    assert kills >= KILLS
    assert self_kills == len(CRASH_POINT_LIVES), "every crash-point life must die at its point"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text
    for point in ("before_post", "after_timeout"):
        assert f'"point": "{point}"' in text, f"the {point} crash point never fired"
