"""Seeding the books from exchange balances, and finding where the ledger and exchange disagree."""

from __future__ import annotations

from decimal import Decimal

import pytest
from ledger_builders import BTCTRY, ETHTRY, fill

from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.errors import ConfigError, MissingMarkError
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.balances import (
    BalanceDifference,
    balance_differences,
    opening_from_balances,
    outside_at_seed,
    pair_of,
)
from btcbot.domain.ledger.types import Holding, Pair
from btcbot.domain.models import Balance, SymbolRules


def _balance(asset: str, total: str, locked: str = "0") -> Balance:
    return Balance(asset, Decimal(total), Decimal(total) - Decimal(locked), Decimal(locked))


def test_opening_books_quote_cash_and_leaves_unhanded_holdings_outside() -> None:
    """TRY (locked included) becomes cash; the BTC and XRP the account holds stay outside."""
    balances = [
        _balance("TRY", "5000", locked="1000"),
        _balance("BTC", "0.1"),
        _balance("XRP", "9"),
    ]
    books = opening_from_balances(balances, (BTCTRY, ETHTRY), {"BTCTRY": Decimal(2_000_000)})
    assert books.cash == (("TRY", Decimal(5000)),)
    assert books.holdings == ()
    assert outside_at_seed(balances, books) == {"BTC": Decimal("0.1"), "XRP": Decimal(9)}
    assert Ledger(books).capital("TRY") == 5000


def test_handed_over_holdings_are_booked_at_the_mark_and_only_those() -> None:
    """HANDOVER_HOLDINGS=BTC:0.04 of 0.1 held: 0.04 in the books, 0.06 outside."""
    balances = [_balance("TRY", "5000"), _balance("BTC", "0.1")]
    marks = {"BTCTRY": Decimal(2_000_000)}
    handover = {"BTC": Decimal("0.04")}
    books = opening_from_balances(balances, (BTCTRY, ETHTRY), marks, handover=handover)
    assert books.holdings == (Holding("BTCTRY", Decimal("0.04"), Decimal(80_000)),)
    assert outside_at_seed(balances, books) == {"BTC": Decimal("0.06")}
    ledger = Ledger(books)
    assert ledger.capital("TRY") == 85_000


@pytest.mark.parametrize(
    ("handover", "message"),
    [
        ({"BTC": Decimal("0.2")}, "account holds 0.1"),
        ({"ETH": Decimal(1)}, "hands over 1 ETH but the account holds 0: lower it"),
        ({"XRP": Decimal(1)}, "no pair"),
    ],
)
def test_a_handover_the_account_cannot_cover_is_refused(
    handover: dict[str, Decimal], message: str
) -> None:
    """More than the account holds, or an asset no pair trades: a ConfigError naming it."""
    balances = [_balance("TRY", "5000"), _balance("BTC", "0.1"), _balance("XRP", "3")]
    marks = {"BTCTRY": Decimal(2_000_000)}
    with pytest.raises(ConfigError, match=message):
        opening_from_balances(balances, (BTCTRY, ETHTRY), marks, handover=handover)


def test_seeded_books_adopt_shortfalls_unless_told_not_to() -> None:
    """By default a sell of more than the books hold adopts the rest; the flag passes through."""
    balances = [_balance("TRY", "5000")]
    assert opening_from_balances(balances, (BTCTRY,), {}).adopt_shortfalls is True
    strict = opening_from_balances(balances, (BTCTRY,), {}, adopt_shortfalls=False)
    assert strict.adopt_shortfalls is False


def test_opening_needs_a_mark_for_every_handed_over_base() -> None:
    """A handed-over base asset whose pair has no mark raises MissingMarkError."""
    with pytest.raises(MissingMarkError, match="BTCTRY"):
        opening_from_balances([_balance("BTC", "1")], (BTCTRY,), {}, handover={"BTC": Decimal(1)})


def test_a_base_that_is_also_a_quote_is_booked_once_as_cash() -> None:
    """USDT held for BTCUSDT and traded in USDTTRY is cash, not also a USDTTRY holding."""
    pairs = (Pair("USDTTRY", "USDT", "TRY"), Pair("BTCUSDT", "BTC", "USDT"))
    books = opening_from_balances([_balance("USDT", "100")], pairs, {})
    assert dict(books.cash) == {"TRY": Decimal(0), "USDT": Decimal(100)}
    assert books.holdings == ()


def test_differences_name_each_asset_that_disagrees() -> None:
    """A fill the exchange has but the ledger lacks shows up as a TRY and a BTC difference."""
    ledger = Ledger(opening_from_balances([_balance("TRY", "1000")], (BTCTRY,), {}))
    ledger.apply_fill(fill(1, Side.BUY, "100", "2", fee="1"))
    exchange = [_balance("TRY", "799"), _balance("BTC", "2")]
    assert balance_differences(ledger, exchange) == ()
    later = [_balance("TRY", "700"), _balance("BTC", "3")]
    found = balance_differences(ledger, later)
    assert found == (
        BalanceDifference("BTC", Decimal(2), Decimal(3)),
        BalanceDifference("TRY", Decimal(799), Decimal(700)),
    )
    assert found[0].difference == -1
    assert balance_differences(ledger, later, tolerance=Decimal(100)) == ()


def test_an_asset_the_exchange_no_longer_lists_is_a_difference_from_zero() -> None:
    """The books hold BTC and the exchange's balances have no BTC line: 2 against 0."""
    ledger = Ledger(opening_from_balances([_balance("TRY", "1000")], (BTCTRY,), {}))
    ledger.apply_fill(fill(1, Side.BUY, "100", "2", fee="1"))
    found = balance_differences(ledger, [_balance("TRY", "799")])
    assert found == (BalanceDifference("BTC", Decimal(2), Decimal(0)),)


def test_pair_of_normalises_the_exchange_rules() -> None:
    """``pair_of`` turns SymbolRules into an upper-case Pair without the underscore."""
    rules = SymbolRules(
        "btc_try", "btc", "try", 1, "TRADING", 8, 0, False, None, None, None, Decimal(100),
        None, None, frozenset({OrderMethod.LIMIT}),
    )  # fmt: skip
    assert pair_of(rules) == Pair("BTCTRY", "BTC", "TRY")
