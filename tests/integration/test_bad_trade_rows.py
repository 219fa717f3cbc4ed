"""A bad trade row from the exchange: quarantined, trading halted, the loop goes on — no crash loop.

The review's finding: a trade with price 0 passed the mapper, was stored, and the ledger refused
it at the end of every cycle; since execution ran before reconciliation, each restart placed an
order and then died on the same row. Judged at the emulator (its orders) and in the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from btcbot.adapters.clock import Clock
from btcbot.domain.trading import RiskLimits
from btcbot.exchange.transport import EmulatorTransport
from btcbot.settings import Settings
from btcbot.sim.model import SimTrade
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DemoOptions, InProcessLive, in_process_live
from btcbot.wiring.live_cycle import build_cycle


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    return build_live(settings, clock=clock, transport=transport)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[InProcessLive]:
    """The demo's LIVE stack: it trades a few times an hour on the bundled candles."""
    limits = RiskLimits(cooldown_after_fill_seconds=0, max_submits_per_window=1000)
    with in_process_live(DemoOptions(workspace=tmp_path), _build, limits=limits) as stack:
        yield stack


def _bad_trade(live: InProcessLive, price: str, amount: str) -> int:
    """Make the exchange report one of the account's trades with a broken row."""
    sim = live.sim_app.sim
    trade = SimTrade(
        id=sim.next_trade_id(),
        order_id=sim.last_order_id + 7,
        client_id="bb-broken-row",
        symbol="BTCTRY",
        numerator="BTC",
        denominator="TRY",
        side="buy",
        price=Decimal(price),
        amount=Decimal(amount),
        fee=Decimal("0.5"),
        tax=Decimal("0.1"),
        timestamp_ms=sim.ms(),
    )
    sim.trades.append(trade)
    return trade.id


def _query(live: InProcessLive, sql: str) -> list[tuple[object, ...]]:
    conn = live.deps.db.connection_factory()()  # the process's own: read on it, leave it open
    return [tuple(r) for r in conn.execute(sql).fetchall()]


@pytest.mark.parametrize(("price", "amount"), [("0", "0.001"), ("100", "0"), ("1", "5")])
def test_a_bad_trade_row_halts_trading_and_every_restart_keeps_the_loop_alive(
    live: InProcessLive, price: str, amount: str
) -> None:
    """No exception, the row audited once and never booked, no order placed after it, twice."""
    cycle = build_cycle(live.options, live.deps, live.client)
    assert cycle.startup()
    for n in range(1, 40):
        cycle(n)
        live.clock.advance(60)
    trade_id = _bad_trade(live, price, amount)
    for life in range(2):  # the running loop, then a restarted one on the same database
        cycle = build_cycle(live.options, live.deps, live.client)
        assert cycle.startup()
        before = len(live.sim_app.sim.orders)
        for n in range(100 + 50 * life, 120 + 50 * life):
            outcome = cycle(n)
            assert outcome.error is None, outcome.error
            live.clock.advance(60)
        assert len(live.sim_app.sim.orders) == before, "an order was placed after the bad row"
    events = _query(live, "SELECT detail FROM audit_events WHERE event = 'fill_quarantined'")
    assert len(events) == 1
    assert str(trade_id) in str(events[0][0])
    stored = {int(str(r[0])) for r in _query(live, "SELECT trade_id FROM fills")}
    assert trade_id not in stored, "the bad row was stored as a fill"
    state = _query(live, "SELECT state, reason FROM trading_state_changes ORDER BY id DESC")[0]
    assert state[0] == "halted"
    assert "quarantined" in str(state[1])
