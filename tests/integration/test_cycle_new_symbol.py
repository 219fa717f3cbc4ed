"""A symbol added to SYMBOLS after the books were seeded joins the ledger instead of stopping it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest

from btcbot.adapters.clock import Clock
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.models import OrderRequest
from btcbot.exchange.transport import EmulatorTransport
from btcbot.settings import Settings
from btcbot.state.repositories.trading_uow import trading_uow_factory
from btcbot.wiring import LiveApp, build_live
from btcbot.wiring.demo import DemoOptions, InProcessLive, in_process_live
from btcbot.wiring.live_cycle import build_cycle


def _build(settings: Settings, clock: Clock, transport: EmulatorTransport) -> LiveApp:
    return build_live(settings, clock=clock, transport=transport)


@pytest.fixture
def live(tmp_path: Path) -> Iterator[InProcessLive]:
    """A LIVE stack on the in-process emulator (BTCTRY and ETHTRY listed)."""
    with in_process_live(DemoOptions(workspace=tmp_path, seed=5), _build) as stack:
        yield stack


def _buy_eth_by_hand(live: InProcessLive) -> None:
    """A limit buy above the ask with our id format (its intent lost): adopted, its fill booked."""
    client = live.client
    price = (client.ticker("ETHTRY").ask * Decimal("1.02")).quantize(Decimal(1))
    qty = (Decimal(500) / price).quantize(Decimal("0.0001"))
    client.submit_order(
        OrderRequest("ETHTRY", Side.BUY, OrderMethod.LIMIT, qty, price, "bb-lost1-0-ETHTRY-b")
    )


def test_a_symbol_added_later_is_registered_with_zero_holdings(live: InProcessLive) -> None:
    """Seeded with BTCTRY only, a restart with ETHTRY added books an ETHTRY fill and carries on."""
    first = build_cycle(replace(live.options, symbols=("BTCTRY",)), live.deps, live.client)
    assert first.startup()
    assert first(1).error is None
    live.clock.advance(live.options.cycle_seconds)
    _buy_eth_by_hand(live)

    second = build_cycle(
        replace(live.options, symbols=("BTCTRY", "ETHTRY")), live.deps, live.client
    )
    assert second.startup()
    outcomes = [second(n) for n in (1, 2)]
    assert [o.error for o in outcomes] == [None, None]
    uows = trading_uow_factory(live.deps.db.connection_factory(), live.deps.db.audit_context())
    with uows(None) as uow:
        stored = uow.ledger.latest()
        assert not uow.fills.unapplied()
    assert stored is not None
    assert {p.symbol for p in stored.snapshot.opening.pairs} == {"BTCTRY", "ETHTRY"}
    assert "ETHTRY" not in {h.symbol for h in stored.snapshot.opening.holdings}
    eth = next(p for p in stored.snapshot.positions if p.symbol == "ETHTRY")
    assert eth.quantity > 0
