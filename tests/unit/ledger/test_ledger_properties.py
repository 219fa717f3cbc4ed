"""Property tests: random valid fill histories keep the ledger's invariants."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from ledger_builders import START_CASH, T0, opening

from btcbot.domain.enums import Side
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.codec import snapshot_from_dict, snapshot_to_dict
from btcbot.domain.ledger.types import ZERO
from btcbot.domain.ledger.valuation import value
from btcbot.domain.models import Fill

SYMBOLS = {"BTCTRY": "BTC", "ETHTRY": "ETH"}
KURUS = Decimal("0.01")
SATOSHI = Decimal("0.00000001")
# Valuing at the average cost divides once per position; this bounds that rounding, in TRY.
AVG_COST_ROUNDING = Decimal("1e-12")

prices = st.decimals(min_value=Decimal("0.01"), max_value=Decimal(5_000_000), places=2)
quantities = st.decimals(min_value=SATOSHI, max_value=Decimal(50), places=8)
fee_rates = st.sampled_from([Decimal(0), Decimal("0.0005"), Decimal("0.001"), Decimal("0.0025")])


@dataclass
class _Held:
    """What the generator believes is held, so it only draws sells the books can cover."""

    quantity: dict[str, Decimal]


@st.composite
def histories(draw: st.DrawFn, *, strict: bool = True, max_size: int = 30) -> list[Fill]:
    """Fill histories a real account could produce (strict) or any mix of buys and sells."""
    held = _Held(dict.fromkeys(SYMBOLS, ZERO))
    fills: list[Fill] = []
    at = T0
    for trade_id in range(1, draw(st.integers(1, max_size)) + 1):
        symbol = draw(st.sampled_from(sorted(SYMBOLS)))
        side = draw(st.sampled_from([Side.BUY, Side.SELL])) if fills else Side.BUY
        price, quantity, rate = draw(prices), draw(quantities), draw(fee_rates)
        base_fee = draw(st.booleans()) and (side is Side.BUY or not strict)
        if side is Side.SELL and strict:
            share = draw(st.sampled_from([Decimal(1), Decimal("0.5"), Decimal("0.3")]))
            quantity = (held.quantity[symbol] * share).quantize(SATOSHI)
            if quantity <= ZERO:
                continue
        if base_fee:
            fee, asset = (quantity * rate).quantize(SATOSHI), SYMBOLS[symbol]
        else:
            fee, asset = (price * quantity * rate).quantize(KURUS), "TRY"
        tax = (fee * Decimal("0.2")).quantize(SATOSHI if base_fee else KURUS)
        delta = quantity - fee - tax if side is Side.BUY else -(quantity + fee + tax)
        held.quantity[symbol] += (
            delta if base_fee else (quantity if side is Side.BUY else -quantity)
        )
        at += timedelta(minutes=draw(st.integers(0, 36 * 60)))
        fills.append(
            Fill(trade_id, trade_id, None, symbol, side, price, quantity, fee, tax, asset, at)
        )
    return fills


@settings(deadline=None)
@given(histories())
def test_every_prefix_of_a_valid_history_keeps_the_invariants(fills: list[Fill]) -> None:
    """After each fill: no negative inventory and capital + realized - fees - tax = cash + cost."""
    ledger = Ledger(opening())
    for fill in fills:
        assert ledger.apply_fill(fill)
        ledger.check_invariants()


@settings(deadline=None)
@given(histories(strict=False))
def test_adopting_ledgers_keep_the_invariants_for_any_sells(fills: list[Fill]) -> None:
    """With adoption on, arbitrary sells never leave negative inventory and cash stays conserved."""
    ledger = Ledger(opening(adopt=True))
    for fill in fills:
        assert ledger.apply_fill(fill)
        ledger.check_invariants()
    adopted = sum((p.adopted_quantity for p in ledger.positions()), ZERO)
    assert (ledger.capital("TRY") > START_CASH) == (adopted > ZERO)


@settings(deadline=None)
@given(histories(), st.data())
def test_reapplying_any_fill_changes_nothing(fills: list[Fill], data: st.DataObject) -> None:
    """Any already-applied fill, applied again, returns False and leaves the snapshot equal."""
    ledger = Ledger.replay(opening(), fills)
    before = ledger.snapshot()
    again = data.draw(st.sampled_from(fills))
    assert not ledger.apply_fill(again)
    assert ledger.apply_fills(fills) == 0
    assert ledger.snapshot() == before


@settings(deadline=None)
@given(histories(strict=False))
def test_replaying_the_history_rebuilds_the_identical_state(fills: list[Fill]) -> None:
    """Replay of the same fills in order, a snapshot restore and a JSON round trip all agree."""
    ledger = Ledger(opening(adopt=True))
    for fill in fills:
        ledger.apply_fill(fill)
    snapshot = ledger.snapshot()
    assert Ledger.replay(opening(adopt=True), fills).snapshot() == snapshot
    assert Ledger.from_snapshot(snapshot).snapshot() == snapshot
    stored = json.loads(json.dumps(snapshot_to_dict(snapshot)))
    assert snapshot_from_dict(stored) == snapshot


@settings(deadline=None)
@given(histories())
def test_equity_at_average_cost_is_capital_plus_realized_minus_charges(fills: list[Fill]) -> None:
    """Marked at each position's average cost, equity = start + realized - fees - tax."""
    ledger = Ledger.replay(opening(), fills)
    marks = {p.symbol: p.avg_cost for p in ledger.positions()}
    valuation, _ = value(ledger, "TRY", marks, T0)
    expected = START_CASH + ledger.realized_pnl("TRY") - ledger.fees("TRY") - ledger.tax("TRY")
    assert abs(valuation.equity - expected) <= AVG_COST_ROUNDING
    assert abs(valuation.unrealized_pnl) <= AVG_COST_ROUNDING


@settings(deadline=None)
@given(histories())
def test_equity_at_average_cost_after_buys_only_is_start_minus_charges(fills: list[Fill]) -> None:
    """With only buys, equity at average cost is the starting cash less fees and tax."""
    buys = [f for f in fills if f.side is Side.BUY]
    ledger = Ledger.replay(opening(), buys)
    marks = {p.symbol: p.avg_cost for p in ledger.positions()}
    valuation, _ = value(ledger, "TRY", marks, T0)
    expected = START_CASH - ledger.fees("TRY") - ledger.tax("TRY")
    assert ledger.realized_pnl("TRY") == ZERO
    assert abs(valuation.equity - expected) <= AVG_COST_ROUNDING


@settings(deadline=None)
@given(histories())
def test_day_totals_add_up_to_the_position_totals(fills: list[Fill]) -> None:
    """Summed over Istanbul days, daily realized PnL, fees and tax equal the ledger's totals."""
    ledger = Ledger.replay(opening(), fills)
    days = ledger.snapshot().days
    assert sum((d.realized_pnl for d in days), ZERO) == ledger.realized_pnl("TRY")
    assert sum((d.fees for d in days), ZERO) == ledger.fees("TRY")
    assert sum((d.tax for d in days), ZERO) == ledger.tax("TRY")
    assert sum(d.fills for d in days) == len(fills)


@settings(deadline=None)
@given(histories())
def test_each_sell_realizes_price_minus_average_cost(fills: list[Fill]) -> None:
    """Every sell's realized PnL is (price - average cost before it) x quantity sold."""
    ledger = Ledger(opening())
    for fill in fills:
        before = ledger.position(fill.symbol)
        ledger.apply_fill(fill)
        if fill.side is Side.SELL:
            realized = ledger.position(fill.symbol).realized_pnl - before.realized_pnl
            expected = (fill.price - before.avg_cost) * fill.quantity
            assert abs(realized - expected) <= AVG_COST_ROUNDING
