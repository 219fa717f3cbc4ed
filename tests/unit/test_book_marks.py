"""Marks for valuing the books: this cycle's mid, else the last one seen, else the average cost."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from btcbot.decision.inputs import marks_for
from btcbot.domain.enums import Side
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import BookLevel, Fill, OrderBook, SymbolRules, Ticker

AT = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
PAIRS = (Pair("BTCTRY", "BTC", "TRY"), Pair("ETHTRY", "ETH", "TRY"))


def _ledger() -> Ledger:
    ledger = Ledger(Opening(PAIRS, cash=(("TRY", Decimal(100_000)),)))
    for trade_id, symbol, price in ((1, "BTCTRY", 1_000_000), (2, "ETHTRY", 50_000)):
        ledger.apply_fill(
            Fill(
                trade_id,
                trade_id,
                None,
                symbol,
                Side.BUY,
                Decimal(price),
                Decimal("0.01"),
                Decimal(0),
                Decimal(0),
                "TRY",
                AT,
            )
        )
    return ledger


def _snapshot(symbol: str, bid: int, ask: int) -> MarketSnapshot:
    rules = SymbolRules(
        symbol,
        symbol[:3],
        "TRY",
        1,
        "TRADING",
        8,
        0,
        False,
        None,
        None,
        None,
        Decimal(100),
        None,
        None,
        frozenset(),
    )
    book = OrderBook(
        symbol, (BookLevel(Decimal(bid), Decimal(1)),), (BookLevel(Decimal(ask), Decimal(1)),), AT
    )
    ticker = Ticker(
        symbol,
        Decimal(bid),
        Decimal(bid),
        Decimal(ask),
        Decimal(ask),
        Decimal(bid),
        Decimal(bid),
        Decimal(1),
        Decimal(bid),
        AT,
    )
    return MarketSnapshot(symbol, rules, ticker, book, (), AT, AT)


def test_this_cycles_mid_wins_then_the_last_mark_then_the_average_cost() -> None:
    """A market-data gap on a held symbol never leaves it without a mark (no failed commit)."""
    ledger = _ledger()
    snapshots = {"BTCTRY": _snapshot("BTCTRY", 1_010_000, 1_010_010)}
    assert marks_for(ledger, snapshots, {}) == {
        "BTCTRY": Decimal(1_010_005),
        "ETHTRY": Decimal(50_000),
    }
    assert marks_for(ledger, snapshots, {"ETHTRY": Decimal(51_000)})["ETHTRY"] == Decimal(51_000)
    assert marks_for(ledger, {}, {"BTCTRY": Decimal(990_000)})["BTCTRY"] == Decimal(990_000)
