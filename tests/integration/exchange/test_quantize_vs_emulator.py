"""Property: an order the quantizer produces always passes the emulator's own validation."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st
from sim_venue import open_venue

from btcbot.domain.enums import Side
from btcbot.domain.errors import QuantizationError
from btcbot.domain.models import SymbolRules
from btcbot.domain.quantize import QuantizedOrder, quantize_limit, quantize_market
from btcbot.sim.exchange import SimConfig

_RICH = SimConfig(start_balance=Decimal(10) ** 11)
Builder = Callable[[SymbolRules, Decimal], QuantizedOrder]


def _submit(symbol: str, build: Builder) -> None:
    """Quantize against the emulator's own exchangeinfo and submit; only acceptance is allowed."""
    with open_venue("in_process", config=_RICH, rate_limits=False) as venue:
        venue.sim.account.credit("BTC", Decimal(10) ** 4)
        venue.sim.account.credit("ETH", Decimal(10) ** 5)
        rules = venue.client.exchange_info().rules_for(symbol)
        assert rules is not None
        last = venue.client.ticker(symbol).last
        try:
            order = build(rules, last)
        except QuantizationError:
            return  # refused before it could reach the venue: the quantizer's job
        ack = venue.client.submit_order(order.to_request("prop"))  # any reject fails the test
        assert ack.symbol == symbol
        assert venue.tally.posts_by_client_id["prop"] == 1


@settings(max_examples=40, deadline=None)
@given(
    symbol=st.sampled_from(["BTCTRY", "ETHTRY"]),
    side=st.sampled_from(Side),
    price_factor=st.decimals(min_value=Decimal("0.08"), max_value=Decimal(3), places=4),
    notional=st.decimals(min_value=Decimal(50), max_value=Decimal(10) ** 6, places=3),
)
def test_quantized_limit_orders_pass_the_emulator(
    symbol: str, side: Side, price_factor: Decimal, notional: Decimal
) -> None:
    """Limit orders from 0.08x to 3x the price: refused by the quantizer or accepted by the sim."""

    def build(rules: SymbolRules, last: Decimal) -> QuantizedOrder:
        price = last * price_factor
        return quantize_limit(rules, side, price, notional / price)

    _submit(symbol, build)


@settings(max_examples=30, deadline=None)
@given(
    symbol=st.sampled_from(["BTCTRY", "ETHTRY"]),
    side=st.sampled_from(Side),
    notional=st.decimals(min_value=Decimal(50), max_value=Decimal(10) ** 5, places=6),
)
def test_quantized_market_orders_pass_the_emulator(
    symbol: str, side: Side, notional: Decimal
) -> None:
    """Market buys (quote amount) and sells (base amount at the last price) are accepted."""

    def build(rules: SymbolRules, last: Decimal) -> QuantizedOrder:
        if side is Side.BUY:
            return quantize_market(rules, side, notional)
        return quantize_market(rules, side, notional / last, reference_price=last)

    _submit(symbol, build)
