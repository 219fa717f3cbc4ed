"""The account model: movements, the books' capital flows, and the comparison's arithmetic."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from ledger_builders import BTCTRY, fill, new_ledger

from btcbot.domain.account import (
    AssetDifference,
    Movement,
    MovementKind,
    Target,
    Transfer,
    differences,
    is_ours,
    manual_trade_movements,
    outside_totals,
    split_symbol,
    transfer_movement,
)
from btcbot.domain.enums import Side
from btcbot.domain.errors import LedgerError
from btcbot.domain.ledger.core import Ledger
from btcbot.domain.ledger.types import Holding, Opening, Position

AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "delta"), [(MovementKind.DEPOSIT, "99.5"), (MovementKind.WITHDRAWAL, "-100.5")]
)
def test_a_transfer_moves_the_balance_by_its_amount_net_of_the_fee(
    kind: MovementKind, delta: str
) -> None:
    """A deposit credits amount - fee; a withdrawal debits amount + fee."""
    transfer = Transfer("fiat-7", kind, "try", Decimal(100), Decimal("0.5"), AT)
    movement = transfer_movement(transfer)
    assert movement.delta == Decimal(delta)
    assert movement.movement_id == "transfer-fiat-7"
    assert movement.asset == "TRY"
    assert movement.target is Target.BOOKS


def test_a_coin_transfer_lies_outside_the_books() -> None:
    """Only TRY is the bot's cash; a BTC deposit is the operator's."""
    transfer = Transfer("crypto-1", MovementKind.DEPOSIT, "BTC", Decimal("0.1"), Decimal(0), AT)
    assert transfer_movement(transfer).target is Target.OUTSIDE


def test_a_manual_buy_moves_coins_outside_and_try_out_of_the_books() -> None:
    """Bought 0.01 BTC at 1,000,000 with 10 TRY fee and 2 TRY tax."""
    trade = fill(1, Side.BUY, "1000000", "0.01", fee="10", tax="2")
    coin, cash = manual_trade_movements(trade, "BTC", "TRY")
    assert (coin.asset, coin.delta, coin.target) == ("BTC", Decimal("0.01"), Target.OUTSIDE)
    assert (cash.asset, cash.delta, cash.target) == ("TRY", Decimal(-10012), Target.BOOKS)
    assert coin.kind is cash.kind is MovementKind.MANUAL_TRADE
    assert coin.movement_id != cash.movement_id


def test_a_manual_sell_moves_coins_out_and_try_into_the_books() -> None:
    """Sold 0.01 BTC: the coins leave, the proceeds net of charges arrive."""
    trade = fill(2, Side.SELL, "1000000", "0.01", fee="10", tax="2")
    coin, cash = manual_trade_movements(trade, "BTC", "TRY")
    assert coin.delta == Decimal("-0.01")
    assert cash.delta == Decimal(9988)


def test_charges_in_the_base_asset_come_off_the_coin_leg() -> None:
    """A fee charged in BTC (commission from the numerator) reduces the coins, not the TRY."""
    trade = fill(3, Side.BUY, "1000000", "0.01", fee="0.0001", tax="0.00002", fee_asset="btc")
    coin, cash = manual_trade_movements(trade, "BTC", "TRY")
    assert coin.delta == Decimal("0.00988")
    assert cash.delta == Decimal(-10000)


def test_differences_use_each_assets_tolerance_and_name_what_is_unexplained() -> None:
    """A kuruş of TRY and a satoshi of BTC are within tolerance; more is a difference."""
    exchange = {"TRY": Decimal("1000.01"), "BTC": Decimal("0.50000001"), "ETH": Decimal(2)}
    books = {"TRY": Decimal(1000), "BTC": Decimal("0.4")}
    outside = {"BTC": Decimal("0.1")}
    assert differences(exchange, books, outside) == (
        AssetDifference("ETH", Decimal(2), Decimal(0), Decimal(0)),
    )
    off = differences({**exchange, "TRY": Decimal("1000.02")}, books, outside)
    assert [d.asset for d in off] == ["ETH", "TRY"]
    assert off[1].unexplained == Decimal("0.02")
    assert "unexplained 0.02" in off[1].describe()


def test_outside_totals_sum_outside_movements_only() -> None:
    """Books-target movements are the ledger's; only outside ones sum here."""
    rows = [
        Movement("a", MovementKind.SEED, "BTC", Decimal("0.5"), AT, Target.OUTSIDE),
        Movement("b", MovementKind.WITHDRAWAL, "BTC", Decimal("-0.2"), AT, Target.OUTSIDE),
        Movement("c", MovementKind.DEPOSIT, "TRY", Decimal(100), AT, Target.BOOKS),
    ]
    assert outside_totals(rows) == {"BTC": Decimal("0.3")}


@pytest.mark.parametrize(
    ("symbol", "legs"),
    [
        ("BTCTRY", ("BTC", "TRY")),
        ("BTC_USDT", ("BTC", "USDT")),
        ("usdttry", ("USDT", "TRY")),
        ("ETHBTC", ("ETH", "BTC")),
        ("TRY", None),
        ("FOOBAR", None),
    ],
)
def test_split_symbol_by_btcturks_quotes(symbol: str, legs: tuple[str, str] | None) -> None:
    """The longest known quote that ends the symbol; nothing when none does."""
    assert split_symbol(symbol) == legs


@pytest.mark.parametrize(
    ("client_id", "ours"),
    [("bb-c1-0-BTCTRY-b", True), ("adopted-17", True), ("BtcTurk API", False), (None, False)],
)
def test_only_the_bots_client_id_formats_are_ours(client_id: str | None, *, ours: bool) -> None:
    """Everything else is foreign."""
    assert is_ours(client_id) is ours


def test_a_capital_flow_moves_cash_and_capital_together() -> None:
    """A deposit is not a gain: realized PnL and fees are untouched; invariants hold."""
    ledger = new_ledger()
    cash, capital = ledger.cash("TRY"), ledger.capital("TRY")
    ledger.apply_flow("TRY", Decimal(500))
    assert ledger.cash("TRY") == cash + 500
    assert ledger.capital("TRY") == capital + 500
    assert ledger.realized_pnl("TRY") == 0
    ledger.check_invariants()


@pytest.mark.parametrize(
    ("asset", "delta", "message"),
    [("BTC", "1", "not a cash asset"), ("TRY", "-1e12", "negative")],
)
def test_a_flow_that_cannot_be_booked_is_refused_untouched(
    asset: str, delta: str, message: str
) -> None:
    """Not a quote, or more out than the books hold: LedgerError naming why, nothing moved."""
    ledger = new_ledger()
    before = ledger.snapshot()
    with pytest.raises(LedgerError, match=message):
        ledger.apply_flow(asset, Decimal(delta))
    assert ledger.snapshot() == before


def test_the_books_amounts_are_cash_and_every_positions_base() -> None:
    """What the comparison adds up on the books' side."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, Side.BUY, "1000000", "0.002", fee="2"))
    amounts = ledger.amounts()
    assert amounts["BTC"] == Decimal("0.002")
    assert amounts["TRY"] == ledger.cash("TRY")


@pytest.mark.parametrize(("quantity", "cost"), [("-0.1", "0"), ("0.1", "-5"), ("0", "5")], ids=str)
def test_invariants_catch_a_negative_or_inconsistent_position(quantity: str, cost: str) -> None:
    """A restored snapshot with a broken position fails the invariant check, by name."""
    snap = Ledger(Opening((BTCTRY,), (("TRY", Decimal(1000)),))).snapshot()
    broken = replace(
        snap, positions=(Position("BTCTRY", quantity=Decimal(quantity), cost_basis=Decimal(cost)),)
    )
    with pytest.raises(LedgerError, match="BTCTRY"):
        Ledger.from_snapshot(broken).check_invariants()


def test_invariants_catch_cash_that_is_not_conserved() -> None:
    """Cash that no fill or flow explains breaks conservation."""
    snap = new_ledger().snapshot()
    broken = replace(snap, cash=(("TRY", snap.cash[0][1] + 1),))
    with pytest.raises(LedgerError, match="not conserved"):
        Ledger.from_snapshot(broken).check_invariants()


def test_a_withdrawal_of_all_the_cash_is_allowed() -> None:
    """Only a flow below zero is refused: the books may hold exactly nothing."""
    ledger = new_ledger()
    ledger.apply_flow("TRY", -ledger.cash("TRY"))
    assert ledger.cash("TRY") == 0


def test_apply_fills_counts_only_the_new_fills() -> None:
    """Two fills, one of them again: two applied, the repeat counts nothing."""
    ledger = new_ledger()
    first, second = fill(1, Side.BUY, "100", "1"), fill(2, Side.BUY, "100", "1")
    assert ledger.apply_fills([first, second]) == 2
    assert ledger.apply_fills([first]) == 0


def test_an_asset_only_the_outside_movements_know_is_still_compared() -> None:
    """Outside says 0.1 BTC, the exchange holds none: a difference, not silence."""
    found = differences({"TRY": Decimal(5)}, {"TRY": Decimal(5)}, {"BTC": Decimal("0.1")})
    assert found == (AssetDifference("BTC", Decimal(0), Decimal(0), Decimal("0.1")),)


def test_a_zero_holding_handed_over_opens_the_books() -> None:
    """A holding of nothing is allowed (a pair registered with no coins)."""
    opening = Opening(
        (BTCTRY,), (("TRY", Decimal(10)),), (Holding("BTCTRY", Decimal(0), Decimal(0)),)
    )
    assert Ledger(opening).position("BTCTRY").quantity == 0
