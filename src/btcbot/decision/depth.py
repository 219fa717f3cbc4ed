"""Decide on the ticker's top of book; fetch the order book only where an order would go.

BtcTurk answers the ticker of every pair, best bid and ask included, in one request, but the
order book needs one request per pair (180 a minute, shared by everything on the IP: API.md
section 6). No strategy here reads past the top level, so a decision first runs on the
tickers; each symbol it would send an order to then gets its order book, fetched and checked
(crossed, stale, too far from the ticker: observe-only), and the decision runs again on those
books - the order is priced and sized from the book, as before. A second decision that wants
yet another symbol fetches that one too, so every approved intent was decided on its book.

The LIVE cycle and the replay backtest both decide through ``decide_with_books``, so they
fetch, check and decide alike.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import Protocol, TypeVar

from btcbot.domain.market import MarketSnapshot


class Trades(Protocol):
    """What the loop needs of a decision: the symbols its approved intents would trade."""

    @property
    def traded_symbols(self) -> frozenset[str]:
        """Symbols with an approved intent."""
        ...


D = TypeVar("D", bound=Trades)
Snapshots = Mapping[str, MarketSnapshot]


def decide_with_books(
    decide: Callable[[Snapshots], D],
    snapshots: Snapshots,
    with_books: Callable[[Snapshots, Collection[str]], Snapshots],
) -> tuple[D, Snapshots]:
    """The decision whose every approved intent was decided on its symbol's order book.

    Returns the decision and the snapshots it was made on (books where fetched).
    """
    decision = decide(snapshots)
    booked: set[str] = set()
    while wanted := decision.traded_symbols - booked:
        booked |= wanted
        snapshots = with_books(snapshots, wanted)
        decision = decide(snapshots)
    return decision, snapshots
