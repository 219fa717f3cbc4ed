"""The replay venue reads the emulator's JSON numbers as the LIVE client does.

``_num`` takes a shortcut for a value that prints as digits alone; it must give what the
round trip through ``sim.wire.num`` and the client's ``Decimal(str(...))`` gives, to the
exponent (compared by ``repr``).
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from btcbot.backtest.venue import _num
from btcbot.sim.wire import num


def _through_the_wire(value: Decimal) -> Decimal:
    return Decimal(str(num(value)))


@given(
    st.integers(min_value=-(10**12), max_value=10**12),
    st.integers(min_value=-10, max_value=6),
)
def test_a_number_reads_back_as_the_client_reads_it(coefficient: int, exponent: int) -> None:
    """Whole or not, trailing zeros or not, any sign: the client's reading, exactly."""
    value = Decimal(coefficient).scaleb(exponent)
    assert repr(_num(value)) == repr(_through_the_wire(value))


def test_the_zeros_and_the_whole_numbers_written_with_a_point() -> None:
    """The cases the shortcut must leave to the round trip."""
    for text in ("0", "-0", "0E-8", "0.00", "3851059", "3851059.00", "38510E+2", "-12"):
        value = Decimal(text)
        assert repr(_num(value)) == repr(_through_the_wire(value)), text
