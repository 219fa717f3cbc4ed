"""Opening the books is race-free: a fill landing while they are seeded is counted once.

The review's finding: startup reconciliation read the trades, then seeding read the balances;
a fill between the two was in the seeded balances *and* stored later as a new fill: the ledger
held 0.00253810 BTC against 0.00126905 on the exchange, for good. Judged at the exchange.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from btcbot.adapters.clock import Clock
from btcbot.domain.account import differences, outside_totals
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.ledger import Ledger
from btcbot.domain.models import Balance, OrderRequest
from btcbot.exchange.transport import EmulatorTransport
from btcbot.settings import Settings
from btcbot.state.repositories.trading_uow import trading_uow_factory
from btcbot.strategy.params import StrategyParams
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DemoOptions, InProcessLive, in_process_live
from btcbot.wiring.live_cycle import build_cycle


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    return build_live(settings, clock=clock, transport=transport)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[InProcessLive]:
    """A LIVE stack that places nothing itself (no strategy): only the racing fill trades."""
    observe = StrategyParams(enabled=())
    with in_process_live(DemoOptions(workspace=tmp_path), _build, strategy=observe) as stack:
        yield stack


def _fill_lands_before_the_first_balance_read(live: InProcessLive, client_id: str) -> None:
    """The first balances() call is preceded by a market buy filling on the exchange."""
    client = live.client
    real: Callable[[], list[Balance]] = client.balances
    landed: list[bool] = []

    def racing() -> list[Balance]:
        if not landed:
            landed.append(True)
            buy = OrderRequest(
                "BTCTRY", Side.BUY, OrderMethod.MARKET, Decimal(500), None, client_id
            )
            client.submit_order(buy)
        return real()

    client.balances = racing  # type: ignore[method-assign]


@pytest.mark.parametrize("client_id", ["bb-lost1-0-BTCTRY-b", "by-hand"], ids=["ours", "manual"])
def test_a_fill_landing_during_seeding_is_booked_once(live: InProcessLive, client_id: str) -> None:
    """After the race and a few cycles: exchange balance = books + outside, the fill once."""
    _fill_lands_before_the_first_balance_read(live, client_id)
    cycle = build_cycle(live.options, live.deps, live.client)
    assert cycle.startup()
    for n in range(1, 6):
        cycle(n)
        live.clock.advance(60)
    uows = trading_uow_factory(live.deps.db.connection_factory(), live.deps.db.audit_context())
    with uows(None) as uow:
        stored = uow.ledger.latest()
        outside = outside_totals(uow.movements.outside())
    assert stored is not None
    ledger = Ledger.from_snapshot(stored.snapshot)
    bought = [t for t in live.sim_app.sim.trades if t.client_id == client_id]
    assert bought, "the racing fill did not happen: the test proves nothing"
    exchange = {b.asset: b.total for b in live.client.balances()}
    assert differences(exchange, ledger.amounts(), outside) == ()
    # Held before the books opened, so outside them - and counted exactly once.
    assert ledger.amounts()["BTC"] + outside.get("BTC", Decimal(0)) == bought[0].amount
    assert ledger.amounts()["BTC"] == 0
