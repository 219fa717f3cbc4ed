"""PortfolioView: built from the ledger's valuation, drawdown in percent, flat when unbooked."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from risk_factories import rules as _rules

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.ledger.valuation import PositionValue, Valuation
from btcbot.domain.trading import ApprovedOrderIntent, OrderIntent, PortfolioView, is_dust

AT = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _valuation() -> Valuation:
    position = PositionValue(
        symbol="BTCTRY",
        quantity=Decimal("0.01"),
        avg_cost=Decimal(1_000_000),
        mark=Decimal(980_000),
        market_value=Decimal(9_800),
        unrealized_pnl=Decimal(-200),
    )
    return Valuation(
        quote="TRY",
        at=AT,
        day=AT.date(),
        cash=Decimal(90_000),
        capital=Decimal(100_000),
        cost_basis=Decimal(10_000),
        market_value=Decimal(9_800),
        realized_pnl=Decimal(0),
        unrealized_pnl=Decimal(-200),
        fees=Decimal(10),
        tax=Decimal(2),
        equity=Decimal(99_800),
        peak_equity=Decimal(100_000),
        drawdown_pct=Decimal("0.2"),
        daily_pnl=Decimal(-212),
        daily_realized=Decimal(-12),
        positions=(position,),
    )


def test_view_takes_the_ledger_figures() -> None:
    """Cash, equity, peak, daily PnL and positions come straight from the valuation."""
    view = PortfolioView.from_valuation(_valuation())
    assert (view.cash, view.equity, view.peak_equity, view.daily_pnl) == (
        Decimal(90_000),
        Decimal(99_800),
        Decimal(100_000),
        Decimal(-212),
    )
    btc = view.position("BTCTRY")
    assert (btc.symbol, btc.quantity, btc.avg_cost) == (
        "BTCTRY",
        Decimal("0.01"),
        Decimal(1_000_000),
    )


def test_drawdown_agrees_with_the_ledger() -> None:
    """The view's drawdown percent equals the ledger's for the same equity and peak."""
    valuation = _valuation()
    assert PortfolioView.from_valuation(valuation).drawdown_pct == valuation.drawdown_pct


def test_unbooked_symbol_is_flat() -> None:
    """A symbol the ledger holds nothing of reads as a flat position."""
    eth = PortfolioView.from_valuation(_valuation()).position("ETHTRY")
    assert eth.is_flat
    assert (eth.symbol, eth.quantity, eth.avg_cost) == ("ETHTRY", Decimal(0), Decimal(0))


def test_a_remainder_is_dust_only_below_the_minimum_order() -> None:
    """Worth exactly the minimum it can still be sold; nothing held is not dust at all."""
    rules = _rules()  # a 100 TRY minimum
    assert is_dust(Decimal("0.0000999"), Decimal(1_000_000), rules)
    assert not is_dust(Decimal("0.0001"), Decimal(1_000_000), rules)
    assert not is_dust(Decimal(0), Decimal(1_000_000), rules)


def test_an_approved_intent_becomes_the_request_it_describes() -> None:
    """Every field of the order execution sends comes from the intent risk approved."""
    approved = ApprovedOrderIntent(
        0,
        OrderIntent(
            "ETHTRY", Side.SELL, OrderMethod.LIMIT, Decimal(90_000), Decimal("0.5"), "t", "r"
        ),
    )
    request = approved.to_request("bb-c1-0-ETHTRY-s")
    assert (request.symbol, request.side, request.method) == (
        "ETHTRY",
        Side.SELL,
        OrderMethod.LIMIT,
    )
    assert (request.price, request.quantity, request.client_order_id) == (
        Decimal(90_000),
        Decimal("0.5"),
        "bb-c1-0-ETHTRY-s",
    )
