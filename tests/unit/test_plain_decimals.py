"""``plain``: a decimal's text without exponent or trailing zeros, on its fast path and off it.

Every fingerprint, summary and CSV of the project writes decimals through ``plain``; its fast
path (the value's own text) must give exactly what normalising gives, for every value.
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from btcbot.domain.fingerprint import plain


def _normalised(value: Decimal) -> str:
    normal = value.normalize()
    return format(normal if normal != 0 else Decimal(0), "f")


@given(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=-40, max_value=12),
)
def test_plain_equals_the_normalised_text(digits: int, exponent: int) -> None:
    """Any coefficient at any exponent: trailing zeros, zeros, huge and tiny values alike."""
    value = Decimal(digits).scaleb(exponent)
    assert plain(value) == _normalised(value)


def test_the_values_that_take_the_slow_path() -> None:
    """Zeros of every sign and scale, trailing zeros and exponents are normalised."""
    cases = {
        "0": "0", "-0": "0", "0.000": "0", "0E-8": "0", "-0E+3": "0",
        "1.50": "1.5", "100": "100", "1E+2": "100", "1E-7": "0.0000001",
        "-2.500": "-2.5", "3848372": "3848372", "0.17472947": "0.17472947",
    }  # fmt: skip
    assert {text: plain(Decimal(text)) for text in cases} == cases
