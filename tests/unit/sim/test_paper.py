"""The paper engine: fills only on market evidence that came after the order, and persists."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from btcbot.adapters.clock import ManualClock
from btcbot.sim.paper import PaperExchange
from btcbot.sim.validation import OrderParams, SimRejectError

START = datetime(2026, 1, 5, 9, 0, 30, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "btcturk" / "samples"


def _rules() -> bytes:
    """BtcTurk's captured symbols, in the exchangeinfo envelope."""
    symbols = json.loads((SAMPLES / "rest_v2_server_exchangeinfo_symbols.json").read_text("utf-8"))
    return json.dumps({"data": {"symbols": symbols}, "success": True}).encode()


def _paper(clock: ManualClock) -> PaperExchange:
    paper = PaperExchange(now=clock.now, balance_try=Decimal(100_000))
    paper.observe("/api/v2/server/exchangeinfo", {}, _rules())
    ticker = {"data": [{"pair": "BTCTRY", "last": 1_000_000}], "success": True}
    paper.observe("/api/v2/ticker", {"pairSymbol": "BTCTRY"}, json.dumps(ticker).encode())
    book = {
        "data": {
            "timestamp": 1,
            "bids": [["999990", "0.5"], ["999980", "1"]],
            "asks": [["1000010", "0.002"], ["1000020", "1"]],
        },
        "success": True,
    }
    paper.observe("/api/v2/orderbook", {"pairSymbol": "BTCTRY"}, json.dumps(book).encode())
    return paper


def _candle(paper: PaperExchange, start: datetime, low: int, volume: str = "1") -> None:
    t = int(start.timestamp())
    body = {"s": "ok", "t": [t], "o": [1e6], "h": [1e6], "l": [low], "c": [1e6], "v": [volume]}
    paper.observe("/graph/v1/klines/history", {"symbol": "BTCTRY"}, json.dumps(body).encode())


def _buy(paper: PaperExchange, price: str, qty: str = "0.01", method: str = "limit") -> int:
    params = OrderParams(
        spec=paper.pairs["BTCTRY"],
        side="buy",
        method=method,
        quantity=Decimal(qty),
        price=Decimal(price) if method != "market" else None,
        stop_price=None,
        client_id=None,
    )
    paper.advance()
    return paper.submit(params).id


def test_pair_rules_come_from_the_observed_exchangeinfo() -> None:
    """Scales, tick size and the minimum notional are BtcTurk's own, from exchangeinfo."""
    paper = _paper(ManualClock(START))
    spec = paper.pairs["BTCTRY"]
    assert (spec.tick_size, spec.min_exchange_value) == (Decimal(10), Decimal("99.91"))


def test_a_resting_buy_fills_only_on_a_later_candle_that_trades_through() -> None:
    """A candle that opened before the order, or only touched its price, fills nothing."""
    clock = ManualClock(START)
    paper = _paper(clock)
    oid = _buy(paper, "990000")
    clock.advance(120)
    _candle(paper, START.replace(second=0), low=980_000)  # opened before the order
    _candle(paper, START.replace(second=0) + timedelta(minutes=1), low=990_000)  # a touch
    paper.advance()
    assert paper.orders[oid].left == Decimal("0.01")
    clock.advance(60)
    _candle(paper, START.replace(second=0) + timedelta(minutes=2), low=989_990, volume="0.02")
    paper.advance()
    order, trades = paper.orders[oid], paper.trades
    assert order.status == "Partial"  # 25 % participation of 0.02 BTC: 0.005
    assert [(t.price, t.amount) for t in trades] == [(Decimal(990000), Decimal("0.005"))]
    fee = Decimal(990000) * Decimal("0.005") * Decimal("0.001")  # maker 0.10 %
    assert trades[0].fee == fee


def test_a_forming_candle_is_not_evidence() -> None:
    """The candle of the current minute may still change: it is ignored until closed."""
    clock = ManualClock(START)
    paper = _paper(clock)
    oid = _buy(paper, "990000")
    clock.advance(45)  # 09:01:15: the 09:01 candle is still forming
    _candle(paper, START.replace(second=0) + timedelta(minutes=1), low=900_000)
    paper.advance()
    assert paper.trades == []
    assert paper.orders[oid].left == Decimal("0.01")


def test_a_market_buy_walks_the_real_book() -> None:
    """Taker fills at the observed asks, level by level, quote amount for a market buy."""
    paper = _paper(ManualClock(START))
    _buy(paper, "0", qty="2500", method="market")
    prices = [t.price for t in paper.trades]
    assert prices == [Decimal(1000010), Decimal(1000020)]
    assert paper.trades[0].amount == Decimal("0.002")


def test_a_marketable_limit_buy_takes_the_real_book_up_to_its_price() -> None:
    """A limit through the ask fills as taker at the observed levels inside its price only."""
    paper = _paper(ManualClock(START))
    _buy(paper, "1000015", qty="0.01")
    assert [(t.price, t.amount) for t in paper.trades] == [(Decimal(1000010), Decimal("0.002"))]
    assert paper.top("BTCTRY") == (Decimal(999990), Decimal(1000010))


def test_stop_orders_and_unobserved_pairs_are_refused() -> None:
    """No stop orders in paper mode; no order on a pair whose market was never seen."""
    paper = _paper(ManualClock(START))
    with pytest.raises(SimRejectError):
        _buy(paper, "990000", method="stoplimit")
    paper.markets["BTCTRY"].last = None
    paper.markets["BTCTRY"].book = None
    with pytest.raises(SimRejectError):
        _buy(paper, "990000")


def test_the_paper_book_survives_a_restart(tmp_path: Path) -> None:
    """Saved and restored: the same orders, trades, balances and matching watermark."""
    clock = ManualClock(START)
    paper = _paper(clock)
    _buy(paper, "0", qty="2500", method="market")
    oid = _buy(paper, "990000")
    path = tmp_path / "state.db.paper.json"
    paper.save(path)
    again = PaperExchange.restore(path, now=clock.now, balance_try=Decimal(1))
    assert again.account.to_dict() == paper.account.to_dict()
    assert [t.to_dict() for t in again.trades] == [t.to_dict() for t in paper.trades]
    assert again.open.keys() == {oid}
    assert again.pairs == paper.pairs


@pytest.mark.parametrize(
    "content", [b"", b"{}", b"\xff\xfe{", b'{"format": "btcbot-paper-1"}', b"[1, 2]"]
)
def test_a_damaged_state_file_is_one_value_error(tmp_path: Path, content: bytes) -> None:
    """Whatever is wrong with the file, one ValueError naming it; the file is left as it was."""
    path = tmp_path / "state.db.paper.json"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="damaged or not a paper state file"):
        PaperExchange.restore(path, now=ManualClock(START).now, balance_try=Decimal(1))
    assert path.read_bytes() == content
