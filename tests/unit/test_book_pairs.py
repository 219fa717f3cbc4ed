"""Registering pairs added to SYMBOLS after the books were seeded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from btcbot.domain.errors import StateError
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.services.bookkeeping import with_pairs

BTC = Pair("BTCTRY", "BTC", "TRY")
ETH = Pair("ETHTRY", "ETH", "TRY")


def test_a_new_pair_joins_with_nothing_held_and_the_same_cash() -> None:
    """The new pair is registered, holds nothing, and cash and capital do not move."""
    ledger = Ledger(Opening((BTC,), cash=(("TRY", Decimal(1000)),)))
    extended = with_pairs(ledger, [BTC, ETH])
    assert extended.pairs == (BTC, ETH)
    assert extended.position("ETHTRY").quantity == 0
    assert extended.cash("TRY") == Decimal(1000)
    assert extended.capital("TRY") == Decimal(1000)
    assert with_pairs(extended, [BTC, ETH]) is extended


def test_a_pair_quoted_in_an_untracked_currency_is_refused_in_one_line() -> None:
    """A pair whose quote cash the books do not hold cannot be registered exactly."""
    ledger = Ledger(Opening((BTC,), cash=(("TRY", Decimal(1000)),)))
    with pytest.raises(StateError, match="BTCUSDT"):
        with_pairs(ledger, [Pair("BTCUSDT", "BTC", "USDT")])


def test_the_refusal_lists_every_foreign_pair_and_the_books_currencies() -> None:
    """The operator's one line names all of them, so one edit of SYMBOLS fixes it."""
    usdt = Pair("BTCUSDT", "BTC", "USDT")
    ledger = Ledger(Opening((BTC, usdt), cash=(("TRY", Decimal(1000)), ("USDT", Decimal(5)))))
    foreign = [Pair("ETHEUR", "ETH", "EUR"), Pair("BTCEUR", "BTC", "EUR")]
    with pytest.raises(StateError) as refused:
        with_pairs(ledger, [BTC, *foreign])
    assert str(refused.value) == (
        "SYMBOLS adds BTCEUR, ETHEUR quoted in a currency the books do not hold "
        "(TRY, USDT): trade pairs quoted in TRY only"
    )
