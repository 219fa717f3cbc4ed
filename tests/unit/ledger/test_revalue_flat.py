"""``revalue_flat``: flat books valued again later the same day, without the arithmetic.

It must give what ``value`` gives, to the digit: a replay writes the result into every row of
its equity series. Compared by ``repr``, which shows each Decimal's exponent, since ``==``
would call ``1.0`` and ``1.00`` equal.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st
from ledger_builders import T0, fill, new_ledger

from btcbot.domain.enums import Side
from btcbot.domain.ledger.valuation import revalue_flat, value

_PRICES = st.decimals(min_value=1, max_value=100_000, places=2)
_FEES = st.decimals(min_value=0, max_value=50, places=4)


_MINUTES = st.tuples(
    st.integers(min_value=0, max_value=2 * 1440), st.integers(min_value=0, max_value=3 * 1440)
)


@given(prices=st.tuples(_PRICES, _PRICES, _PRICES), fee=_FEES, minutes=_MINUTES)
def test_flat_books_revalued_later_are_what_value_says(
    prices: tuple[Decimal, Decimal, Decimal], fee: Decimal, minutes: tuple[int, int]
) -> None:
    """Same day: ``value``'s valuation and watermark exactly; another day: ``None``."""
    (bought, peak, sold), (first, later) = prices, minutes
    ledger = new_ledger()
    ledger.apply_fill(fill(1, Side.BUY, str(bought), "0.5", fee=str(fee)))
    # A mark while held sets the peak the flat books are then measured from (or not).
    _, watermark = value(ledger, "TRY", {"BTCTRY": peak}, T0)
    ledger.apply_fill(fill(2, Side.SELL, str(sold), "0.5", fee=str(fee)))
    then = T0 + timedelta(minutes=first)
    valuation, watermark = value(ledger, "TRY", {}, then, watermark)
    at = then + timedelta(minutes=later)
    again = revalue_flat(valuation, watermark, at)
    expected = value(ledger, "TRY", {"BTCTRY": sold}, at, watermark)
    if expected[0].day != valuation.day:
        assert again is None
    else:
        assert again is not None
        assert repr(again) == repr(expected)


def test_held_books_are_never_revalued() -> None:
    """With a position the marks matter: the caller must value afresh."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, Side.BUY, "1000", "1"))
    valuation, watermark = value(ledger, "TRY", {"BTCTRY": Decimal(1000)}, T0)
    assert revalue_flat(valuation, watermark, T0 + timedelta(minutes=1)) is None
