"""Property: whatever the signals, the approved set as a whole respects every limit."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from risk_factories import BID, context, order, portfolio, signal

from btcbot.domain.enums import Side
from btcbot.domain.trading import PositionView, RiskLimits
from btcbot.risk.engine import RiskEngine

LIMITS = RiskLimits(
    max_orders_per_cycle=6,
    max_open_orders=8,
    max_open_orders_per_symbol=4,
    max_order_notional_try=Decimal(3000),
    max_position_notional_try=Decimal(6000),
    max_total_exposure_try=Decimal(9000),
    max_submits_per_window=50,
)
SYMBOLS = ("BTCTRY", "ETHTRY")

signals_st = st.lists(
    st.tuples(
        st.sampled_from(list(Side)),
        st.integers(min_value=1, max_value=5000),
        st.sampled_from(SYMBOLS),
    ),
    max_size=10,
)


@settings(max_examples=150)
@given(
    raw=signals_st,
    cash=st.integers(min_value=0, max_value=12_000),
    held=st.sampled_from(["0", "0.00005", "0.002", "0.004"]),
    open_buys=st.integers(min_value=0, max_value=2),
)
def test_approved_orders_respect_every_limit_together(
    raw: list[tuple[Side, int, str]], cash: int, held: str, open_buys: int
) -> None:
    """Approved buys fit the caps and cash together; sells never exceed what is held."""
    opened = tuple(order(order_id=i, price="900000", quantity="0.001") for i in range(open_buys))
    ctx = context(
        portfolio=portfolio(
            cash=Decimal(cash), positions=(PositionView("BTCTRY", Decimal(held), BID),)
        ),
        open_orders=opened,
    )
    result = RiskEngine(LIMITS).evaluate([signal(s, str(n), sym) for s, n, sym in raw], ctx)
    approved = [a.intent for a in result.approved]
    buys = [i for i in approved if i.side is Side.BUY]
    open_notional = sum((o.price * o.left_quantity for o in opened if o.price), Decimal(0))
    factor = LIMITS.fee_lock_factor
    spent = (sum((i.notional for i in buys), Decimal(0)) + open_notional) * factor
    assert spent <= Decimal(cash) - LIMITS.cash_reserve_try or not buys
    assert len(approved) <= LIMITS.max_orders_per_cycle
    assert len(approved) + len(opened) <= LIMITS.max_open_orders
    exposure = ctx.total_position_value() + open_notional + sum((i.notional for i in buys), 0)
    assert exposure <= LIMITS.max_total_exposure_try or not buys
    for symbol in SYMBOLS:
        sold = sum((i.quantity for i in approved if i.side is Side.SELL and i.symbol == symbol), 0)
        assert sold <= ctx.portfolio.position(symbol).quantity
        mine = [i for i in buys if i.symbol == symbol]
        value = ctx.position_value(symbol) + sum((i.notional for i in mine), Decimal(0))
        value += open_notional if symbol == "BTCTRY" else 0
        assert value <= LIMITS.max_position_notional_try or not mine
    for intent in approved:
        assert intent.notional >= Decimal(100)
        assert intent.quantity == intent.quantity.quantize(Decimal("0.00000001"))
        assert intent.side is Side.SELL or intent.notional <= LIMITS.max_order_notional_try
