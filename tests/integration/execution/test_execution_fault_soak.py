"""Many cycles of submit, cancel and reconcile under every emulator fault: no duplicate, no loss."""

from __future__ import annotations

from pathlib import Path

import pytest
from execution_rig import RECON, Rig, open_rig

from btcbot.domain.enums import Side
from btcbot.domain.errors import ExchangeError
from btcbot.domain.orders import LocalOrderState
from btcbot.sim.exchange import SimConfig
from btcbot.sim.faults import FaultPlan

FAULTS = (
    "429:0.05,5xx:0.05,timeout:0.05,reset:0.03,malformed:0.05,"
    "timeout_after_accept:0.15,5xx_after_accept:0.05,seed={seed}"
)


def _cycle(rig: Rig, n: int) -> None:
    """One cycle as the run loop drives it; an exchange failure fails only this cycle."""
    cycle = f"s{n}"
    side = Side.BUY if n % 3 else Side.SELL
    intents = [rig.intent(0, offset="-0.002"), rig.intent(1, symbol="ETHTRY", side=Side.BUY)]
    if side is Side.SELL:
        intents = [rig.intent(0, offset="0.003", side=Side.SELL, notional=200)]
    try:
        rig.execution.cancel_stale(cycle)
        rig.execution.execute(cycle, intents)
        rig.reconciler.reconcile(cycle, ["BTCTRY", "ETHTRY"])
    except ExchangeError:
        pass
    rig.clock.advance(60)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_fault_soak_keeps_exchange_and_database_in_step(tmp_path: Path, seed: int) -> None:
    """After faulty cycles and a few clean ones, every order is known once and settled."""
    config = SimConfig(cancel_delay=20.0, seed=seed)
    with open_rig(tmp_path, faults=FAULTS.format(seed=seed), config=config) as rig:
        for n in range(40):
            _cycle(rig, n)
        rig.app.faults = FaultPlan()
        rig.clock.advance(RECON.settle.total_seconds())
        for n in range(RECON.absent_passes + 1):
            rig.reconciler.reconcile(f"clean{n}", ["BTCTRY", "ETHTRY"])
            rig.clock.advance(30)
        with rig.uow() as uow:
            orders = uow.orders.all()
            fills = uow.fills.all()
        known = {o.exchange_order_id for o in orders}
        by_cid = rig.exchange_client_ids()
        assert max(by_cid.values()) == 1, "an order was placed twice"
        assert set(rig.sim.orders) <= known, "an exchange order is unknown to the database"
        assert not [o for o in orders if o.state.is_unresolved], "an order is still unresolved"
        assert sorted(f.trade_id for f in fills) == sorted(t.id for t in rig.sim.trades)
        for order in orders:
            if order.exchange_order_id is None:
                assert order.state in (LocalOrderState.NOT_PLACED, LocalOrderState.REJECTED)
                assert order.client_order_id not in by_cid
