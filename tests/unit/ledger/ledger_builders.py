"""Builders shared by the ledger tests: one pair, a starting cash amount and fills by keyword."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from btcbot.domain.enums import Side
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.domain.models import Fill

BTCTRY = Pair("BTCTRY", "BTC", "TRY")
ETHTRY = Pair("ETHTRY", "ETH", "TRY")
START_CASH = Decimal(100000)
T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


def opening(*, adopt: bool = False, cash: Decimal = START_CASH) -> Opening:
    """Books with TRY cash, BTCTRY and ETHTRY registered, nothing held."""
    return Opening(pairs=(BTCTRY, ETHTRY), cash=(("TRY", cash),), adopt_shortfalls=adopt)


def new_ledger(*, adopt: bool = False) -> Ledger:
    """A fresh ledger over ``opening()``."""
    return Ledger(opening(adopt=adopt))


def fill(
    trade_id: int,
    side: Side,
    price: str,
    quantity: str,
    *,
    fee: str = "0",
    tax: str = "0",
    fee_asset: str = "TRY",
    symbol: str = "BTCTRY",
    at: datetime = T0,
) -> Fill:
    """A fill with the domain's sign convention (everything positive, side explicit)."""
    return Fill(
        trade_id=trade_id,
        order_id=trade_id * 10,
        client_order_id=None,
        symbol=symbol,
        side=side,
        price=Decimal(price),
        quantity=Decimal(quantity),
        fee=Decimal(fee),
        tax=Decimal(tax),
        fee_asset=fee_asset,
        timestamp=at,
    )
