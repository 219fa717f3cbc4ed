"""The shortcuts into the synthetic book give what the whole book gives.

``top_of_book`` is level 0 of ``synthetic_book``; an order limited to a price takes the same
pieces from ``levels_within`` + 1 levels as from all of them (the emulator builds no more).
"""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from btcbot.sim.book import DEPTH, levels_within, synthetic_book, top_of_book
from btcbot.sim.matching import walk
from btcbot.sim.pairs import spec_for

PAIRS = [("BTCTRY", Decimal(3_850_000)), ("ETHTRY", Decimal(131_000)), ("USDTTRY", Decimal(41))]

moves = st.decimals(min_value=Decimal("0.5"), max_value=Decimal(2), places=6)  # x reference


@settings(max_examples=200, deadline=None)
@given(
    pair=st.sampled_from(PAIRS),
    move=moves,
    reach=st.integers(min_value=-3, max_value=150),
    want=st.decimals(min_value=Decimal("0.0001"), max_value=Decimal(500), places=4),
    buy=st.booleans(),
    index=st.integers(min_value=0, max_value=10_000),
)
def test_the_levels_inside_a_limit_fill_it_as_the_whole_book_does(  # noqa: PLR0917 - hypothesis
    pair: tuple[str, Decimal],
    move: Decimal,
    reach: int,
    want: Decimal,
    buy: bool,
    index: int,
) -> None:
    """Same top, and the same (price, quantity) pieces for any limit and quantity."""
    spec = spec_for(pair[0], reference_price=pair[1], pair_id=100)
    price = pair[1] * move
    full = synthetic_book(spec, price=price, minute_volume=Decimal(3), index=index)
    assert top_of_book(spec, price) == (full.best_bid, full.best_ask)
    side = full.asks if buy else full.bids
    limit = side[0].price + (reach if buy else -reach) * (side[1].price - side[0].price).copy_abs()
    inside = levels_within(spec, price, limit, bids=not buy)
    assert 0 <= inside <= DEPTH
    short = synthetic_book(
        spec, price=price, minute_volume=Decimal(3), index=index, depth=min(inside + 1, DEPTH)
    )

    def pieces(levels: tuple[object, ...]) -> list[tuple[Decimal, Decimal]]:
        return walk(
            levels,  # type: ignore[arg-type]
            base=want,
            quote=None,
            limit=limit,
            is_buy=buy,
            base_quantum=Decimal("0.00000001"),
        )

    assert pieces(short.asks if buy else short.bids) == pieces(side)
