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
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from exchange_truth import ExchangeOrder, account_problems, book_problems
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

from btcbot.domain.account import MovementKind, Target
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.codec import snapshot_from_dict
from btcbot.domain.models import OrderRequest
from btcbot.exchange.auth import Signer
from btcbot.observability.status_file import read_status, status_path
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET

KILLS = 50
# Seconds a crash-point life may trade before its point must have fired. The emulator's market
# moves one candle a real minute, so a quiet strategy - or a symbol blocked for a minute by the
# random kill before (an intent whose fate is unknown) - can leave a life without a POST for two.
CRASH_POINT_PATIENCE = 240
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


def _account_problems(sim: SimServer, db: Path) -> list[str]:
    """Where the exchange's balances are not the bot's books plus what lies outside them."""
    raw = query(db, "SELECT snapshot FROM ledger_snapshots ORDER BY id DESC LIMIT 1")[0][0]
    ledger = Ledger.from_snapshot(snapshot_from_dict(json.loads(str(raw))))
    outside: dict[str, Decimal] = {}
    sql = "SELECT asset, delta FROM account_movements WHERE target='outside' AND state='applied'"
    for asset, delta in query(db, sql):
        outside[str(asset)] = outside.get(str(asset), Decimal(0)) + Decimal(str(delta))
    client = sim.client()
    try:
        balances = {b.asset: b.total for b in client.balances()}
    finally:
        client.close()
    return account_problems(balances, ledger.amounts(), outside)


def _operator_desk(sim: SimServer, action: str, **query_args: str) -> None:
    """What the operator does on the exchange's website: a deposit or a withdrawal."""
    stamp = int(time.time() * 1000)
    headers = Signer(DEFAULT_API_KEY, DEFAULT_API_SECRET).headers(stamp)
    reply = httpx.post(f"{sim.url}/sim/v1/{action}", params=query_args, headers=headers)
    assert reply.status_code == 200, reply.text


def _by_hand(sim: SimServer, request: OrderRequest) -> int:
    """An order the operator places at the exchange, not through the bot."""
    client = sim.client()
    try:
        return client.submit_order(request).order_id
    finally:
        client.close()


def _verify_the_books(box: Sandbox, sim: SimServer, since: datetime) -> None:
    """At the exchange: no duplicate, nothing unknown or lost, books + outside = balances."""
    orders, trades = _exchange_view(sim, since)
    bot_ids = Counter(cid for _, cid in orders if cid and cid.startswith("bb-"))
    assert bot_ids, "the bot should have placed orders between the kills"
    assert [cid for cid, n in bot_ids.items() if n > 1] == [], "duplicate orders on the exchange"
    foreign = {
        int(str(r[0])) for r in query(box.live_db, "SELECT exchange_order_id FROM foreign_orders")
    }
    known = {int(str(r[0])) for r in query(box.live_db, "SELECT exchange_order_id FROM orders")
             if r[0] is not None}  # fmt: skip
    unknown = [oid for oid, _ in orders if oid not in known | foreign]
    assert unknown == [], "exchange orders unknown to the DB"
    # By exchange id, not client id: each accepted bot order was intended before its POST.
    exchange = [ExchangeOrder(oid, cid) for oid, cid in orders]
    assert book_problems(exchange, _book_rows(box.live_db), foreign) == []
    stored = query(box.live_db, "SELECT count(*), sum(ledger_applied) FROM fills")[0]
    manual = query(
        box.live_db, "SELECT count(*) FROM account_movements WHERE kind = 'manual_trade'"
    )[0][0]
    assert int(str(stored[0])) + int(str(manual)) // 2 == trades, (
        "every exchange trade is stored once"
    )
    assert stored[0] == stored[1], "every stored fill is booked"
    assert _account_problems(sim, box.live_db) == []


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

        _verify_the_books(box, sim, since)
    assert kills >= KILLS
    assert self_kills == len(CRASH_POINT_LIVES), "every crash-point life must die at its point"
    text = log.read_text(encoding="utf-8")
    assert "Traceback" not in text
    for point in ("before_post", "after_timeout"):
        assert f'"point": "{point}"' in text, f"the {point} crash point never fired"


OPERATOR_LIVES = 20


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_sigkills_while_the_operator_uses_the_account_keep_books_equal_to_it(
    tmp_path: Path,
) -> None:
    """20 SIGKILLs while the operator rests an order, trades by hand, deposits and withdraws.

    Between lives, as a person at the exchange's website would: a resting limit buy far under
    the market, a TRY deposit, a market buy by hand in the bot's own pair, a TRY withdrawal and
    a coin deposit. At the end the books plus what lies outside them equal the balances, each
    transfer is booked as a flow, the hand-placed order was neither adopted nor cancelled.
    """
    box = init_sandbox(tmp_path)
    rng = random.Random(20261201)
    since = datetime.now(UTC) - timedelta(minutes=1)
    log = tmp_path / "live.log"
    with sim_serve(falling_candles(tmp_path / "BTCTRY.csv"), "--no-rate-limits") as sim:
        resting = 0
        for n in range(OPERATOR_LIVES):
            if n == 3:
                probe = sim.client()
                try:
                    ticker = probe.ticker("BTCTRY")
                finally:
                    probe.close()
                price = (ticker.bid * Decimal("0.7")).quantize(Decimal(1))
                qty = (Decimal(400) / price).quantize(Decimal("0.00000001"))
                buy = OrderRequest("BTCTRY", Side.BUY, OrderMethod.LIMIT, qty, price, "by-hand-1")
                resting = _by_hand(sim, buy)
            elif n == 6:
                _operator_desk(sim, "deposit", asset="TRY", amount="5000")
            elif n == 9:
                buy = OrderRequest(
                    "BTCTRY", Side.BUY, OrderMethod.MARKET, Decimal(800), None, "web"
                )
                _by_hand(sim, buy)
            elif n == 12:
                _operator_desk(sim, "withdraw", asset="TRY", amount="1000", fee="0")
            elif n == 15:
                _operator_desk(sim, "deposit", asset="BTC", amount="0.002")
            code, _ = _one_life(box, sim.url, rng, 100 + n, log)
            assert code == -signal.SIGKILL, f"life {n} ended with {code}, not SIGKILL"
            assert integrity_ok(box.live_db), f"integrity_check failed after kill {n}"
        mon = box.monitor_env(sim.url, EXCHANGE="sim", BTCTURK_GRAPH_URL=f"{sim.url}/graph")
        assert run(["disarm", "--reason", "end of crash test"], mon).returncode == 0
        final = run(["run", "--cycles", "8", "--cycle-seconds", "0.3"], dry_run_env(box, sim.url))
        assert final.returncode == 0, final.stderr[-3000:]
        _verify_the_books(box, sim, since)
        flows = query(
            box.live_db,
            "SELECT kind, asset, delta, target, state FROM account_movements "
            "WHERE kind IN ('deposit', 'withdrawal') ORDER BY at",
        )
        assert [(str(k), str(a), Decimal(str(d)), str(t), str(s)) for k, a, d, t, s in flows] == [
            (MovementKind.DEPOSIT.value, "TRY", Decimal(5000), Target.BOOKS.value, "applied"),
            (MovementKind.WITHDRAWAL.value, "TRY", Decimal(-1000), Target.BOOKS.value, "applied"),
            (MovementKind.DEPOSIT.value, "BTC", Decimal("0.002"), Target.OUTSIDE.value, "applied"),
        ]
        halts = query(box.live_db, "SELECT count(*) FROM audit_events WHERE event='books_differ'")
        assert halts[0][0] == 0, "an explained movement halted trading"
        client = sim.client()
        try:
            assert client.get_order(resting).status.is_open, (
                "the bot cancelled the operator's order"
            )
        finally:
            client.close()
    assert "Traceback" not in log.read_text(encoding="utf-8")
