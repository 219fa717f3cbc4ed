"""Fill accounting: average cost, realized PnL, fees and tax, exactly-once, refusals."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from ledger_builders import ETHTRY, START_CASH, T0, fill, new_ledger, opening

from btcbot.domain.enums import Side
from btcbot.domain.errors import InvalidFillError, InventoryShortfallError, LedgerError
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.types import Holding, Opening, Pair, trading_day, trading_day_span

BUY, SELL = Side.BUY, Side.SELL


def test_buy_debits_cash_and_books_the_position_at_cost() -> None:
    """A buy takes price x quantity plus the quote fee and tax from cash and holds the base."""
    ledger = new_ledger()
    assert ledger.apply_fill(fill(1, BUY, "2000000", "0.01", fee="40", tax="8"))
    position = ledger.position("BTCTRY")
    assert position.quantity == Decimal("0.01")
    assert position.cost_basis == Decimal(20000)
    assert position.avg_cost == Decimal(2000000)
    assert ledger.cash("TRY") == START_CASH - Decimal(20000) - Decimal(48)
    assert (ledger.fees("TRY"), ledger.tax("TRY")) == (Decimal(40), Decimal(8))


def test_average_cost_blends_buys_and_sells_realize_against_it() -> None:
    """Two buys average their prices; a sell realizes (price - average cost) x quantity."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "100", "1"))
    ledger.apply_fill(fill(2, BUY, "200", "3"))
    assert ledger.position("BTCTRY").avg_cost == Decimal(175)
    ledger.apply_fill(fill(3, SELL, "150", "2"))
    position = ledger.position("BTCTRY")
    assert position.realized_pnl == Decimal(-50)
    assert position.quantity == Decimal(2)
    assert position.avg_cost == Decimal(175)
    assert ledger.cash("TRY") == START_CASH - 700 + 300


def test_selling_everything_leaves_no_cost_behind() -> None:
    """A full sell releases the whole cost basis, even when the average does not divide evenly."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "100", "1"))
    ledger.apply_fill(fill(2, BUY, "101", "2"))
    ledger.apply_fill(fill(3, SELL, "110", "1"))
    ledger.apply_fill(fill(4, SELL, "110", "2"))
    position = ledger.position("BTCTRY")
    assert (position.quantity, position.cost_basis) == (Decimal(0), Decimal(0))
    assert position.realized_pnl == Decimal(28)
    ledger.check_invariants()


def test_reapplying_a_trade_id_is_a_no_op_returning_false() -> None:
    """The second application of a trade id returns False and changes nothing."""
    ledger = new_ledger()
    first = fill(7, BUY, "100", "1", fee="0.1")
    assert ledger.apply_fill(first)
    before = ledger.snapshot()
    assert not ledger.apply_fill(first)
    assert not ledger.apply_fill(replace(first, quantity=Decimal(5)))
    assert ledger.snapshot() == before
    assert ledger.has_applied(7)


def test_fee_in_base_on_a_buy_reduces_the_base_received() -> None:
    """A base-currency fee on a buy is taken from the base received and valued at the fill price."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "2", fee="0.002", tax="0.0004", fee_asset="BTC"))
    position = ledger.position("BTCTRY")
    assert position.quantity == Decimal("1.9976")
    assert position.cost_basis == Decimal("1997.6")
    assert (position.fees, position.tax) == (Decimal(2), Decimal("0.4"))
    assert ledger.cash("TRY") == START_CASH - 2000
    ledger.check_invariants()


def test_fee_in_base_on_a_sell_disposes_of_the_fee_units_too() -> None:
    """A base-currency fee on a sell leaves the position with the fee units and realizes on them."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "2"))
    ledger.apply_fill(fill(2, SELL, "1100", "1", fee="0.01", fee_asset="btc"))
    position = ledger.position("BTCTRY")
    assert position.quantity == Decimal("0.99")
    assert position.realized_pnl == Decimal(101)
    assert position.fees == Decimal(11)
    assert ledger.cash("TRY") == START_CASH - 2000 + 1100
    ledger.check_invariants()


def test_oversell_is_refused_with_a_typed_error_and_no_change() -> None:
    """A sell larger than the position raises InventoryShortfallError and leaves the books alone."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "100", "1"))
    before = ledger.snapshot()
    with pytest.raises(InventoryShortfallError) as caught:
        ledger.apply_fill(fill(2, SELL, "100", "1.5"))
    assert caught.value.shortfall == Decimal("0.5")
    assert caught.value.symbol == "BTCTRY"
    assert "sell 2 of 1.5 BTC exceeds the position 1" in str(caught.value)
    assert ledger.snapshot() == before
    assert not ledger.has_applied(2)


def test_oversell_with_adoption_books_the_shortfall_as_external_capital() -> None:
    """With adoption on, the missing base is booked at the fill price and realizes nothing."""
    ledger = new_ledger(adopt=True)
    ledger.apply_fill(fill(1, BUY, "100", "1"))
    ledger.apply_fill(fill(2, SELL, "120", "1.5"))
    position = ledger.position("BTCTRY")
    assert position.quantity == 0
    assert position.adopted_quantity == Decimal("0.5")
    assert position.realized_pnl == Decimal(20)
    assert ledger.capital("TRY") == START_CASH + 60
    ledger.check_invariants()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"quantity": Decimal(0)}, "positive"),
        ({"price": Decimal(-1)}, "positive"),
        ({"price": Decimal(0)}, "positive"),  # a free fill would book cost 0
        ({"fee": Decimal("-0.1")}, "negative"),
        ({"tax": Decimal("-0.1")}, "negative"),
        ({"timestamp": datetime(2026, 1, 1)}, "timezone"),  # noqa: DTZ001 - the naive instant is the case
        ({"symbol": "XRPTRY"}, "not registered"),
        ({"fee": Decimal(1), "fee_asset": "USDT"}, "neither"),
    ],
)
def test_fills_breaking_the_contract_are_refused(change: dict[str, Any], message: str) -> None:
    """A wrong sign, a naive time, an unknown pair or a foreign fee asset raise InvalidFillError."""
    ledger = new_ledger()
    with pytest.raises(InvalidFillError, match=message):
        ledger.apply_fill(replace(fill(1, BUY, "100", "1"), **change))
    assert not ledger.has_applied(1)


def test_a_fee_asset_of_another_currency_is_accepted_when_nothing_is_charged() -> None:
    """With no fee and no tax, the fee asset the exchange names does not matter."""
    ledger = new_ledger()
    assert ledger.apply_fill(fill(1, BUY, "100", "1", fee_asset="USDT"))


def test_a_base_fee_larger_than_the_buy_is_refused() -> None:
    """A base fee bigger than the bought quantity cannot be real and raises InvalidFillError."""
    with pytest.raises(InvalidFillError, match="exceeds"):
        new_ledger().apply_fill(fill(1, BUY, "100", "1", fee="2", fee_asset="BTC"))


def test_too_many_digits_is_refused_instead_of_rounded() -> None:
    """A fill whose arithmetic would round is refused, so conservation never drifts silently."""
    with pytest.raises(InvalidFillError, match="digits"):
        new_ledger().apply_fill(fill(1, BUY, "1." + "3" * 40, "1." + "7" * 40))


def test_symbols_are_accepted_with_or_without_underscore() -> None:
    """``BTC_TRY`` and ``btctry`` name the same position as ``BTCTRY``."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "100", "1", symbol="BTC_TRY"))
    ledger.apply_fill(fill(2, BUY, "100", "1", symbol="btctry"))
    assert ledger.position("BTC_TRY").quantity == 2


def test_day_totals_follow_the_istanbul_calendar_day() -> None:
    """A fill from 21:00 UTC on counts toward the next Istanbul day (UTC+3)."""
    ledger = new_ledger()
    evening = datetime(2026, 3, 10, 20, 59, tzinfo=UTC)
    late = datetime(2026, 3, 10, 21, 0, tzinfo=UTC)
    ledger.apply_fill(fill(1, BUY, "100", "2", at=evening))
    ledger.apply_fill(fill(2, SELL, "110", "1", fee="1", at=evening))
    ledger.apply_fill(fill(3, SELL, "90", "1", fee="2", tax="0.4", at=late))
    tenth = ledger.day_totals(date(2026, 3, 10), "TRY")
    eleventh = ledger.day_totals(date(2026, 3, 11), "TRY")
    assert (tenth.realized_pnl, tenth.net, tenth.fills) == (Decimal(10), Decimal(9), 2)
    assert (eleventh.realized_pnl, eleventh.net, eleventh.fills) == (
        Decimal(-10),
        Decimal("-12.4"),
        1,
    )


def test_trading_day_is_utc_plus_three_and_needs_an_aware_instant() -> None:
    """Midnight in Istanbul is 21:00 UTC the evening before; naive instants are refused."""
    assert trading_day(datetime(2026, 6, 30, 20, 59, 59, tzinfo=UTC)) == date(2026, 6, 30)
    assert trading_day(datetime(2026, 6, 30, 21, 0, tzinfo=UTC)) == date(2026, 7, 1)
    with pytest.raises(ValueError, match="aware"):
        trading_day(datetime(2026, 6, 30))  # noqa: DTZ001 - the naive instant is the case


@given(
    at=st.datetimes(
        min_value=datetime(1900, 1, 2),  # noqa: DTZ001 - hypothesis bounds are naive
        max_value=datetime(2100, 1, 1),  # noqa: DTZ001 - same
        timezones=st.just(UTC),
    ),
    shift=st.sampled_from((-1, 0, 1)),
)
def test_a_trading_days_span_holds_exactly_its_instants(at: datetime, shift: int) -> None:
    """``start <= at < end`` says what ``trading_day`` says, the day before and after too."""
    day = trading_day(at) + timedelta(days=shift)
    start, end = trading_day_span(day)
    assert start < end  # a bound away from midnight would empty it: every day asks the zone
    assert (start <= at < end) is (trading_day(at) == day)


def test_opening_holdings_count_as_capital() -> None:
    """Base held at the start is booked at its cost and counted as capital of its quote."""
    books = Opening(
        pairs=(Pair("BTCTRY", "BTC", "TRY"),),
        cash=(("TRY", Decimal(1000)),),
        holdings=(Holding("BTCTRY", Decimal("0.5"), Decimal(500)),),
    )
    ledger = Ledger(books)
    assert ledger.capital("TRY") == 1500
    ledger.apply_fill(fill(1, SELL, "1200", "0.5"))
    assert ledger.position("BTCTRY").realized_pnl == 100
    assert ledger.cash("TRY") == 1600
    ledger.check_invariants()


def test_negative_opening_holdings_are_refused() -> None:
    """A negative opening holding is a configuration mistake and raises LedgerError."""
    books = replace(opening(), holdings=(Holding("BTCTRY", Decimal(-1), Decimal(0)),))
    with pytest.raises(LedgerError, match="negative"):
        Ledger(books)


def test_check_invariants_catches_a_tampered_snapshot() -> None:
    """A snapshot whose cash does not match its positions fails the conservation check."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "100", "1", at=T0))
    tampered = replace(ledger.snapshot(), cash=(("TRY", START_CASH),))
    with pytest.raises(LedgerError, match="not conserved"):
        Ledger.from_snapshot(tampered).check_invariants()


def test_positions_can_be_filtered_by_quote() -> None:
    """``positions(quote)`` lists only the pairs quoted in that currency."""
    books = Opening(
        pairs=(Pair("BTCTRY", "BTC", "TRY"), Pair("BTCUSDT", "BTC", "USDT")),
        cash=(("TRY", Decimal(1000)), ("USDT", Decimal(1000))),
    )
    ledger = Ledger(books)
    ledger.apply_fill(fill(1, BUY, "10", "1", symbol="BTCUSDT", fee="0.01", fee_asset="USDT"))
    ledger.apply_fill(fill(2, BUY, "300", "1", symbol="BTCTRY"))
    assert [p.symbol for p in ledger.positions("USDT")] == ["BTCUSDT"]
    assert ledger.cash("USDT") == Decimal("989.99")
    assert ledger.quotes() == ("TRY", "USDT")
    ledger.check_invariants()


def test_a_snapshot_with_positions_in_unregistered_pairs_is_refused() -> None:
    """Restoring a snapshot whose position names a pair the opening lacks raises LedgerError."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "100", "1"))
    snapshot = ledger.snapshot()
    foreign = replace(snapshot, opening=replace(snapshot.opening, pairs=(ETHTRY,)))
    with pytest.raises(LedgerError, match="BTCTRY"):
        Ledger.from_snapshot(foreign)


def test_a_copy_is_equal_and_independent() -> None:
    """A copy starts equal to its original, and fills applied to it leave the original alone."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "100", "1"))
    twin = ledger.copy()
    assert twin.snapshot() == ledger.snapshot()
    twin.apply_fill(fill(2, BUY, "100", "1"))
    assert ledger.position("BTCTRY").quantity == 1
    assert not ledger.has_applied(2)
