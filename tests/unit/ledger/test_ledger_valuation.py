"""Valuation at marks: equity, peak, drawdown in percent, daily PnL over the Istanbul day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from ledger_builders import BTCTRY, START_CASH, T0, fill, new_ledger, opening

from btcbot.domain.enums import Side
from btcbot.domain.errors import LedgerError, MissingMarkError
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.domain.ledger.valuation import EquityWatermark, advance, value

BUY, SELL = Side.BUY, Side.SELL


def test_equity_is_cash_plus_holdings_at_mark() -> None:
    """Equity = cash + quantity x mark, and unrealized PnL is measured against the cost basis."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "2", fee="2"))
    valuation, _ = value(ledger, "TRY", {"BTCTRY": Decimal(1100)}, T0)
    assert valuation.cash == START_CASH - 2002
    assert valuation.market_value == 2200
    assert valuation.equity == START_CASH + 198
    assert valuation.unrealized_pnl == 200
    assert valuation.net_pnl == valuation.equity - valuation.capital
    [row] = valuation.positions
    assert (row.quantity, row.avg_cost, row.unrealized_pnl) == (
        Decimal(2),
        Decimal(1000),
        Decimal(200),
    )
    assert (row.symbol, row.mark, row.market_value) == ("BTCTRY", Decimal(1100), Decimal(2200))


def test_flat_positions_need_no_mark() -> None:
    """A position sold back to zero is left out of the valuation, so no mark is required."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "1"))
    ledger.apply_fill(fill(2, SELL, "1010", "1", fee="1"))
    valuation, _ = value(ledger, "TRY", {}, T0)
    assert valuation.positions == ()
    assert valuation.equity == START_CASH + 9
    assert valuation.realized_pnl == 10


def test_a_held_symbol_without_a_mark_is_an_error() -> None:
    """Valuing a non-flat position without its mark raises MissingMarkError naming the symbol."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "1"))
    with pytest.raises(MissingMarkError, match="BTCTRY"):
        value(ledger, "TRY", {"ETHTRY": Decimal(1)}, T0)


def test_drawdown_is_percent_below_the_peak_and_the_peak_only_rises() -> None:
    """After a rise to a peak, a fall is reported as percent of the peak; the peak stays put."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "10"))
    marks = [Decimal(1000), Decimal(2000), Decimal(1500), Decimal(1800)]
    watermark = None
    results = []
    for minute, mark in enumerate(marks):
        at = T0 + timedelta(minutes=minute)
        valuation, watermark = value(ledger, "TRY", {"BTCTRY": mark}, at, watermark)
        results.append(valuation)
    peak = START_CASH + 10_000
    assert [v.peak_equity for v in results] == [START_CASH, peak, peak, peak]
    assert results[1].drawdown_pct == 0
    assert results[2].drawdown_pct == Decimal(5000) / peak * 100
    assert results[3].drawdown_pct == Decimal(2000) / peak * 100


def test_first_valuation_measures_from_capital() -> None:
    """With no watermark, the peak is the capital and a loss already shows as drawdown."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "10"))
    valuation, watermark = value(ledger, "TRY", {"BTCTRY": Decimal(900)}, T0)
    assert valuation.peak_equity == START_CASH
    assert valuation.drawdown_pct == Decimal(1000) / START_CASH * 100
    assert valuation.daily_pnl == -1000
    assert watermark.peak_gain == 0


def test_daily_pnl_restarts_at_the_last_valuation_before_an_istanbul_day() -> None:
    """At 21:00 UTC a new Istanbul day opens from the books last seen before the boundary."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "10", at=datetime(2026, 3, 10, 20, 0, tzinfo=UTC)))
    before = datetime(2026, 3, 10, 20, 59, tzinfo=UTC)
    first, watermark = value(ledger, "TRY", {"BTCTRY": Decimal(1100)}, before)
    assert (first.day, first.daily_pnl) == (date(2026, 3, 10), Decimal(1000))
    opened = datetime(2026, 3, 10, 21, 1, tzinfo=UTC)
    second, watermark = value(ledger, "TRY", {"BTCTRY": Decimal(1050)}, opened, watermark)
    # The two minutes across midnight lost 500: that is the new day's, not nobody's.
    assert (second.day, second.daily_pnl) == (date(2026, 3, 11), Decimal(-500))
    later = opened + timedelta(hours=5)
    third, _ = value(ledger, "TRY", {"BTCTRY": Decimal(1000)}, later, watermark)
    assert (third.day, third.daily_pnl) == (date(2026, 3, 11), Decimal(-1000))


def test_a_loss_made_while_the_bot_was_down_counts_to_the_new_day() -> None:
    """Down from 22:00 to 08:00 Istanbul time: the overnight loss is in the new day's PnL."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "10", at=datetime(2026, 3, 10, 18, 0, tzinfo=UTC)))
    evening = datetime(2026, 3, 10, 19, 0, tzinfo=UTC)  # 22:00 in Istanbul
    _, watermark = value(ledger, "TRY", {"BTCTRY": Decimal(1000)}, evening)
    morning = datetime(2026, 3, 11, 5, 0, tzinfo=UTC)  # 08:00 the next Istanbul day
    after, _ = value(ledger, "TRY", {"BTCTRY": Decimal(900)}, morning, watermark)
    assert (after.day, after.daily_pnl) == (date(2026, 3, 11), Decimal(-1000))


def test_daily_realized_is_the_days_fills_net_of_fees_and_tax() -> None:
    """``daily_realized`` counts only fills of the valuation's Istanbul day, after fees and tax."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "2", fee="3", at=T0 - timedelta(days=1)))
    ledger.apply_fill(fill(2, SELL, "1100", "1", fee="1", tax="0.2", at=T0))
    valuation, _ = value(ledger, "TRY", {"BTCTRY": Decimal(1100)}, T0)
    assert valuation.daily_realized == Decimal("98.8")


def test_adopted_capital_is_neither_profit_nor_a_new_peak() -> None:
    """Inventory adopted from outside raises capital, not the gain behind peak and daily PnL."""
    ledger = new_ledger(adopt=True)
    first, watermark = value(ledger, "TRY", {}, T0)
    ledger.apply_fill(fill(1, SELL, "1000", "1", at=T0))
    second, _ = value(ledger, "TRY", {}, T0 + timedelta(minutes=1), watermark)
    assert second.equity == first.equity + 1000
    assert second.capital == START_CASH + 1000
    assert (second.daily_pnl, second.drawdown_pct) == (Decimal(0), Decimal(0))
    assert second.peak_equity == second.equity


def test_a_clock_step_back_never_reopens_an_earlier_day() -> None:
    """An observation dated before the watermark's day keeps the newer day and its opening."""
    later = EquityWatermark("TRY", Decimal(5), date(2026, 3, 11), Decimal(3), T0)
    moved = advance(later, "TRY", Decimal(4), datetime(2026, 3, 10, 12, tzinfo=UTC))
    assert (moved.day, moved.day_open_gain, moved.peak_gain) == (
        date(2026, 3, 11),
        Decimal(3),
        Decimal(5),
    )


def test_a_watermark_of_another_quote_is_refused() -> None:
    """Passing the USDT watermark to a TRY valuation raises LedgerError."""
    usdt = EquityWatermark("USDT", Decimal(0), date(2026, 3, 10), Decimal(0), T0)
    with pytest.raises(LedgerError, match="USDT"):
        value(new_ledger(), "TRY", {}, T0, usdt)


def test_a_valuation_counts_only_the_pairs_of_its_quote() -> None:
    """The TRY books leave out a USDT pair's holding, cost, realized PnL, fees and tax."""
    btcusdt = Pair("BTCUSDT", "BTC", "USDT")
    cash = (("TRY", START_CASH), ("USDT", Decimal(5000)))
    ledger = Ledger(Opening(pairs=(BTCTRY, btcusdt), cash=cash))
    ledger.apply_fill(fill(1, BUY, "1000", "2", fee="2", tax="1"))
    ledger.apply_fill(
        fill(2, BUY, "100", "3", fee="5", tax="7", fee_asset="USDT", symbol="BTCUSDT")
    )
    ledger.apply_fill(
        fill(3, SELL, "150", "1", fee="11", tax="13", fee_asset="USDT", symbol="BTCUSDT")
    )
    marks = {"BTCTRY": Decimal(1100), "BTCUSDT": Decimal(160)}
    valuation, watermark = value(ledger, "TRY", marks, T0)
    assert [row.symbol for row in valuation.positions] == ["BTCTRY"]
    assert (valuation.quote, watermark.quote) == ("TRY", "TRY")
    assert valuation.cost_basis == 2000
    assert [valuation.realized_pnl, valuation.fees, valuation.tax] == [0, 2, 1]
    assert valuation.equity == START_CASH - 2003 + 2200


def test_unrealized_pnl_adds_every_held_position() -> None:
    """Two holdings: market value and unrealized PnL are the sums of both rows."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "2"))
    ledger.apply_fill(fill(2, BUY, "50", "10", symbol="ETHTRY"))
    marks = {"BTCTRY": Decimal(1100), "ETHTRY": Decimal(40)}
    valuation, _ = value(ledger, "TRY", marks, T0)
    assert [valuation.market_value, valuation.unrealized_pnl] == [2600, 200 - 100]
    assert valuation.cost_basis == 2500


def test_books_with_no_capital_have_no_drawdown() -> None:
    """An account without TRY (say, all in USDT) values its empty TRY books at 0 %, no error."""
    empty = Ledger(opening(cash=Decimal(0)))
    valuation, _ = value(empty, "TRY", {}, T0)
    assert [valuation.equity, valuation.peak_equity, valuation.drawdown_pct] == [0, 0, 0]


def test_a_new_day_opens_at_the_last_valuation_of_the_day_before() -> None:
    """Of several valuations on one day, the last one's gain is where the next day opens."""
    ledger = new_ledger()
    ledger.apply_fill(fill(1, BUY, "1000", "10", at=datetime(2026, 3, 10, 18, 0, tzinfo=UTC)))
    _, watermark = value(
        ledger, "TRY", {"BTCTRY": Decimal(1000)}, datetime(2026, 3, 10, 19, 0, tzinfo=UTC)
    )
    late = datetime(2026, 3, 10, 20, 59, tzinfo=UTC)
    _, watermark = value(ledger, "TRY", {"BTCTRY": Decimal(1200)}, late, watermark)
    after = datetime(2026, 3, 10, 21, 1, tzinfo=UTC)
    opened, _ = value(ledger, "TRY", {"BTCTRY": Decimal(1100)}, after, watermark)
    assert (opened.day, opened.daily_pnl) == (date(2026, 3, 11), Decimal(-1000))


def test_a_watermark_stored_without_its_last_gain_opens_a_day_at_the_gain_seen() -> None:
    """Watermarks stored before ``last_gain`` existed open a new day at the first gain of it."""
    old = EquityWatermark("TRY", Decimal(5), date(2026, 3, 10), Decimal(3), T0)
    moved = advance(old, "TRY", Decimal(4), datetime(2026, 3, 11, 12, tzinfo=UTC))
    assert (moved.day, moved.day_open_gain, moved.last_gain) == (
        date(2026, 3, 11),
        Decimal(4),
        Decimal(4),
    )
