"""The synthetic book and the fee arithmetic, pinned to the values they gave when pinned.

A replay is only worth comparing with last month's if the emulator still builds the same book
from the same candle: its prices, sizes and depth are a pure function of the pair, the price,
the minute's volume and the minute (docs/EMULATOR.md). The tests that compare two runs of
today's code cannot see a change to it, and mutation testing of sim/book.py and
sim/matching.py showed it: level sizes, the growth past level 100, the last level above zero,
which levels an order limited to a price reaches, the sell side's limit, and fees and tax
rounded to nearest instead of truncated all passed. A change meant to alter the book updates
these pins in the same commit and says why.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from btcbot.sim.book import DEPTH, Level, levels_within, synthetic_book
from btcbot.sim.matching import FeeSchedule, walk
from btcbot.sim.pairs import PairSpec, spec_for

BTCTRY = spec_for("BTCTRY", reference_price=Decimal(3_850_000), pair_id=1)  # tick 10
XYZTRY = PairSpec("XYZTRY", 90, "XYZ", "TRY", 4, 2, True, Decimal("0.01"), Decimal(10))
WHOLE = PairSpec("LOWTRY", 91, "LOW", "TRY", 0, 2, True, Decimal("0.01"), Decimal(10))


def _levels(levels: tuple[Level, ...]) -> list[tuple[str, str]]:
    return [(str(level.price), str(level.quantity)) for level in levels]


def test_the_book_of_a_pair_with_integer_prices_is_the_pinned_one() -> None:
    """Prices on the 10 TRY tick, 2 bp apart; sizes from the minute's volume, truncated."""
    book = synthetic_book(
        BTCTRY, price=Decimal("3850123.7"), minute_volume=Decimal("0.37"), index=42, depth=102
    )
    assert _levels(book.bids[:3]) == [
        ("3849350", "0.01015650"),
        ("3848580", "0.01339873"),
        ("3847810", "0.02119078"),
    ]
    assert _levels(book.asks[:3]) == [
        ("3850900", "0.02712100"),
        ("3851670", "0.01585760"),
        ("3852440", "0.01369828"),
    ]
    # Level 99 is the last of BtcTurk's hundred; a deeper request keeps growing the sizes.
    assert _levels((book.asks[99], book.asks[101])) == [
        ("3927130", "0.05886404"),
        ("3928670", "0.06461532"),
    ]
    assert (len(book.bids), len(book.asks)) == (102, 102)


def test_the_book_of_a_pair_with_fractional_prices_is_the_pinned_one() -> None:
    """A cent tick and 4 decimals of quantity; no volume still books the smallest sizes."""
    book = synthetic_book(
        XYZTRY, price=Decimal("12.3456"), minute_volume=Decimal(0), index=7, depth=3
    )
    assert _levels(book.bids) == [("12.34", "0.0002"), ("12.33", "0.0007"), ("12.32", "0.0003")]
    assert _levels(book.asks) == [("12.35", "0.0003"), ("12.36", "0.0006"), ("12.37", "0.0007")]


def test_the_bids_stop_at_the_last_price_above_zero() -> None:
    """At 5 cents the bids are 4, 3, 2 and 1 cent; no level at zero or below."""
    book = synthetic_book(WHOLE, price=Decimal("0.05"), minute_volume=Decimal(100), index=1)
    assert [str(level.price) for level in book.bids] == ["0.04", "0.03", "0.02", "0.01"]
    assert _levels(book.asks[:1]) == [("0.06", "6")]
    assert len(book.asks) == DEPTH


PRICE = Decimal("3850123.7")  # top of book 3,849,350 / 3,850,900, levels 770 TRY apart


@pytest.mark.parametrize(
    ("limit", "bids", "expected"),
    [
        (Decimal(3_850_900), False, 1),  # the best ask itself
        (Decimal(3_851_669), False, 1),  # short of the second
        (Decimal(3_851_670), False, 2),  # the second, exactly
        (Decimal(3_850_899), False, 0),  # under the best ask: nothing to take
        (Decimal(3_849_350), True, 1),
        (Decimal(3_848_580), True, 2),
        (Decimal(3_848_581), True, 1),
        (Decimal(3_849_351), True, 0),
        (Decimal(10**9), False, DEPTH),  # never more than the book's depth
    ],
)
def test_the_levels_an_order_limited_to_a_price_can_reach(
    limit: Decimal, bids: bool, expected: int
) -> None:
    """A level at the limit itself counts; one tick short of it does not."""
    assert levels_within(BTCTRY, PRICE, limit, bids=bids) == expected


LEVELS = (
    Level(Decimal(100), Decimal(1)),
    Level(Decimal(99), Decimal(1)),
    Level(Decimal(98), Decimal(1)),
)


def test_a_sell_takes_the_bids_down_to_its_limit_and_not_past_it() -> None:
    """A bid at the limit itself is taken; the one below it is not."""
    pieces = walk(
        LEVELS,
        base=Decimal(5),
        quote=None,
        limit=Decimal(99),
        is_buy=False,
        base_quantum=Decimal(1),
    )
    assert pieces == [(Decimal(100), Decimal(1)), (Decimal(99), Decimal(1))]


def test_fees_and_tax_are_truncated_to_eight_decimals_never_rounded_up() -> None:
    """0.15 % of 1,000.0000333 is 1.50000004995: 1.50000004, and its 20 % tax 0.30000000."""
    fees = FeeSchedule()
    assert fees.charges(Decimal("1000.0000333"), maker=False) == (
        Decimal("1.50000004"),
        Decimal("0.30000000"),
    )
    assert fees.charges(Decimal("1000.0000333"), maker=True) == (
        Decimal("1.00000003"),
        Decimal("0.20000000"),
    )
