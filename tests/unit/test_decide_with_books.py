"""``decide_with_books``: every approved intent is decided on its symbol's order book, once."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from btcbot.decision import decide_with_books
from btcbot.domain.market import MarketSnapshot


@dataclass(frozen=True)
class _Decision:
    traded_symbols: frozenset[str]
    seen_books: frozenset[str]


class _Rig:
    """A decision rule over which symbols have books, and a book fetcher that records calls."""

    def __init__(self, rule: dict[frozenset[str], frozenset[str]]) -> None:
        self.rule = rule
        self.fetched: list[frozenset[str]] = []

    def decide(self, snapshots: Mapping[str, MarketSnapshot]) -> _Decision:
        booked = frozenset(s for s, snap in snapshots.items() if snap is not None)
        return _Decision(self.rule.get(booked, frozenset()), booked)

    def books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> Mapping[str, MarketSnapshot]:
        self.fetched.append(frozenset(symbols))
        # Stand-ins: a key present means "this symbol has its book" for the rule above.
        marker: dict[str, MarketSnapshot] = dict(snapshots)
        for symbol in symbols:
            marker[symbol] = object()  # type: ignore[assignment]
        return marker


def test_nothing_to_trade_fetches_no_book() -> None:
    """A decision that approves nothing is the answer; no order book is asked for."""
    rig = _Rig({})
    decision, snapshots = decide_with_books(rig.decide, {}, rig.books)
    assert decision.traded_symbols == frozenset()
    assert rig.fetched == []
    assert snapshots == {}


def test_each_symbol_about_to_trade_gets_its_book_and_the_decision_runs_again() -> None:
    """BTC wanted on the tickers; decided on its book it still trades; one fetch, two decisions."""
    btc = frozenset({"BTCTRY"})
    rig = _Rig({frozenset(): btc, btc: btc})
    decision, snapshots = decide_with_books(rig.decide, {}, rig.books)
    assert rig.fetched == [btc]
    assert decision.seen_books == btc
    assert set(snapshots) == {"BTCTRY"}


def test_a_symbol_wanted_only_on_the_book_round_gets_its_book_too() -> None:
    """If the second decision wants ETH as well, ETH's book is fetched and all decided again."""
    btc, both = frozenset({"BTCTRY"}), frozenset({"BTCTRY", "ETHTRY"})
    rig = _Rig({frozenset(): btc, btc: both, both: both})
    decision, _ = decide_with_books(rig.decide, {}, rig.books)
    assert rig.fetched == [btc, frozenset({"ETHTRY"})]
    assert decision.traded_symbols <= decision.seen_books


def test_a_book_that_changes_the_mind_leaves_nothing_to_send() -> None:
    """On its book BTC is no longer approved: the final decision trades nothing."""
    btc = frozenset({"BTCTRY"})
    rig = _Rig({frozenset(): btc, btc: frozenset()})
    decision, _ = decide_with_books(rig.decide, {}, rig.books)
    assert decision.traded_symbols == frozenset()
    assert rig.fetched == [btc]
