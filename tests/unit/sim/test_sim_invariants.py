"""Property test: whatever orders, cancels and time steps arrive, the books always balance."""

from __future__ import annotations

import contextlib
from decimal import Decimal
from functools import cache
from typing import Any

from hypothesis import event, given, settings
from hypothesis import strategies as st
from sim_helpers import new_clock

from btcbot.sim.datasets import load_feeds
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.feed import Bar
from btcbot.sim.model import OPEN_STATUSES
from btcbot.sim.validation import SimRejectError, parse_order

START_TRY = Decimal(100_000)
START_BTC = Decimal("0.2")

_order = st.tuples(
    st.sampled_from(["limit", "market", "stoplimit", "stopmarket"]),
    st.sampled_from(["buy", "sell"]),
    st.integers(min_value=-300, max_value=300),  # price offset from the market, in bp
    st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("0.05"), places=4),
)
_action = st.one_of(
    st.tuples(st.just("order"), _order),
    st.tuples(st.just("cancel"), st.integers(min_value=0, max_value=30)),
    st.tuples(st.just("wait"), st.integers(min_value=1, max_value=900)),
)


@cache
def _feeds() -> dict[str, list[Bar]]:
    return load_feeds()


def _body(sim: SimExchange, action: tuple[str, str, int, Decimal]) -> dict[str, Any]:
    method, side, offset_bp, qty = action
    price = sim.price("BTCTRY") * (1 + Decimal(offset_bp) / 10_000)
    body: dict[str, Any] = {"pairSymbol": "BTCTRY", "orderType": side, "orderMethod": method}
    body["quantity"] = str(qty)
    if method == "market" and side == "buy":
        body["quantity"] = str(int(qty * price))
    if method in ("limit", "stoplimit"):
        body["price"] = str(int(price))
    if method.startswith("stop"):
        away = Decimal("1.002") if side == "buy" else Decimal("0.998")
        body["stopPrice"] = str(int(sim.price("BTCTRY") * away))
    return body


def _check(sim: SimExchange) -> None:
    acct = sim.account
    for asset in acct.assets():
        assert acct.free[asset] >= 0, asset
        held = sum((o.locked for o in sim.open.values() if o.locked_asset == asset), Decimal(0))
        assert acct.locked[asset] == held, asset
    spent = sum(
        (t.price * t.amount + t.fee + t.tax for t in sim.trades if t.side == "buy"), Decimal(0)
    )
    got = sum(
        (t.price * t.amount - t.fee - t.tax for t in sim.trades if t.side == "sell"), Decimal(0)
    )
    bought = sum((t.amount for t in sim.trades if t.side == "buy"), Decimal(0))
    sold = sum((t.amount for t in sim.trades if t.side == "sell"), Decimal(0))
    assert acct.total("TRY") == START_TRY - spent + got
    assert acct.total("BTC") == START_BTC + bought - sold
    for order in sim.orders.values():
        assert order.left >= 0
        assert (order.id in sim.open) == (order.status in OPEN_STATUSES)


@settings(max_examples=150, deadline=None)
@given(st.lists(_action, min_size=1, max_size=25))
def test_balances_locks_and_trades_always_agree(actions: list[tuple[str, Any]]) -> None:
    """Free never goes negative, locks equal open orders' holds, and trades explain balances."""
    clock = new_clock()
    sim = SimExchange(_feeds(), now=clock.now, config=SimConfig(start_balance=START_TRY))
    sim.account.credit("BTC", START_BTC)
    for kind, arg in actions:
        sim.advance()
        if kind == "order":
            with contextlib.suppress(SimRejectError):  # refusals are part of the game
                sim.submit(parse_order(_body(sim, arg), sim.pairs))
        elif kind == "cancel" and sim.orders:
            ids = sorted(sim.orders)
            with contextlib.suppress(SimRejectError):
                sim.cancel(ids[arg % len(ids)])
        elif kind == "wait":
            clock.advance(arg)
        _check(sim)
    event(f"trades: {'some' if sim.trades else 'none'}")
    spawned = len({o.client_id for o in sim.orders.values()}) < len(sim.orders)
    event(f"stop triggered: {spawned}")
