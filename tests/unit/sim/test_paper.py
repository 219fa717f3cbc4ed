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


def _candle(
    paper: PaperExchange, start: datetime, low: int, volume: str = "1", *, high: int = 10**6
) -> None:
    t = int(start.timestamp())
    body = {"s": "ok", "t": [t], "o": [1e6], "h": [high], "l": [low], "c": [1e6], "v": [volume]}
    paper.observe("/graph/v1/klines/history", {"symbol": "BTCTRY"}, json.dumps(body).encode())


def _buy(
    paper: PaperExchange, price: str, qty: str = "0.01", method: str = "limit", side: str = "buy"
) -> int:
    params = OrderParams(
        spec=paper.pairs["BTCTRY"],
        side=side,
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
    assert (spec.pair_id, spec.numerator_scale, spec.denominator_scale) == (1, 8, 0)


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


def _sell(paper: PaperExchange, price: str, qty: str = "0.01") -> int:
    return _buy(paper, price, qty, side="sell")


def _seen(paper: PaperExchange) -> tuple[object, ...]:
    market = paper.markets["BTCTRY"]
    return market.last, market.book, list(market.pending), sorted(paper.markets)


MINUTE0 = START.replace(second=0)  # the minute the orders below are placed in
MINUTE_D = timedelta(minutes=1)


@pytest.mark.parametrize(
    ("path", "query", "body"),
    [
        ("/api/v2/ticker", {}, b"\xff\xfe"),
        ("/api/v2/ticker", {}, b"not json"),
        ("/api/v2/ticker", {}, b'{"data": 5}'),
        ("/api/v2/ticker", {}, b'{"data": [{"pair": "BTCTRY", "last": "x"}]}'),
        ("/api/v2/orderbook", {"pairSymbol": "BTCTRY"}, b'{"data": {"bids": []}}'),
        ("/api/v2/orderbook", {"pairSymbol": "BTCTRY"}, b'{"data": {"bids": 5, "asks": []}}'),
        ("/api/v2/server/exchangeinfo", {}, b'{"data": {"symbols": [{"name": "X"}]}}'),
        ("/graph/v1/klines/history", {"symbol": "BTCTRY"}, b'{"t": [1], "o": []}'),
        (
            "/graph/v1/klines/history",
            {"symbol": "BTCTRY"},
            b'{"s": "ok", "t": [60, 120], "o": [1], "h": [1], "l": [1], "c": [1], "v": [1]}',
        ),
        (
            "/graph/v1/klines/history",
            {"symbol": "BTCTRY"},
            b'{"s": "error", "t": [60], "o": [1], "h": [1], "l": [1], "c": [1], "v": [1]}',
        ),
        (
            "/graph/v1/klines/history",
            {"symbol": "BTCTRY"},
            json.dumps(
                {"s": "ok", "t": [60, 120], "o": [1, 1], "h": [1, 1], "l": [1, 1], "c": [1, 1]}
                | {"v": [1, "x"]}
            ).encode(),
        ),
    ],
)
def test_a_body_it_cannot_read_teaches_nothing(
    path: str, query: dict[str, str], body: bytes
) -> None:
    """The client's own mappers report a malformed body; paper keeps what it saw before."""
    paper = _paper(ManualClock(START))
    before = _seen(paper)
    paper.observe(path, query, body)
    assert _seen(paper) == before


def test_paths_are_matched_whatever_their_case_or_trailing_slash() -> None:
    """BtcTurk's paths are case-insensitive; what the client asked for is what it saw."""
    paper = _paper(ManualClock(START))
    ticker = {"data": [{"pair": "btc_try", "last": "1000000.55"}]}
    paper.observe("/API/V2/Ticker/", {}, json.dumps(ticker).encode())
    assert paper.price("BTCTRY") == Decimal("1000000.55")
    book = {"data": {"bids": [["5", "1"]], "asks": [["7", "1"]]}}
    paper.observe("/api/v2/OrderBook/", {"pairSymbol": "btc_try"}, json.dumps(book).encode())
    assert paper.top("BTCTRY") == (Decimal(5), Decimal(7))


def test_a_ticker_moves_only_pairs_whose_rules_were_seen_and_a_null_price_moves_nothing() -> None:
    """An unknown pair gets no market; a null ``last`` keeps the price seen before."""
    paper = _paper(ManualClock(START))
    rows = [{"pair": "NEWTRY", "last": 3}, {"pair": "BTCTRY", "last": None}]
    rows.append({"pair": "BTCUSDT", "last": 90_000})
    paper.observe("/api/v2/ticker", {}, json.dumps({"data": rows}).encode())
    assert "NEWTRY" not in paper.markets
    assert paper.price("BTCTRY") == Decimal(1_000_000)
    assert paper.price("BTCUSDT") == Decimal(90_000)  # the rows after a null one are read
    ticker = {"data": [{"pair": "BTCTRY", "last": 1.5e6}]}
    paper.observe("/api/v2/ticker", {}, json.dumps(ticker).encode())
    assert paper.price("BTCTRY") == Decimal("1.5E+6")


def test_a_book_with_an_empty_side_or_of_an_unknown_pair_changes_nothing() -> None:
    """A one-sided book cannot be walked both ways; the last full one stays."""
    paper = _paper(ManualClock(START))
    before = paper.book("BTCTRY")
    for symbol, bids, asks in (("BTCTRY", [["1", "1"]], []), ("BTCTRY", [], [["2", "1"]])):
        body = {"data": {"bids": bids, "asks": asks}}
        paper.observe("/api/v2/orderbook", {"pairSymbol": symbol}, json.dumps(body).encode())
    body = {"data": {"bids": [["1", "1"]], "asks": [["2", "1"]]}}
    paper.observe("/api/v2/orderbook", {"pairSymbol": "NEWTRY"}, json.dumps(body).encode())
    assert paper.book("BTCTRY") == before
    assert "NEWTRY" not in paper.markets


def test_rules_seen_again_keep_the_pair_its_market_and_the_balances() -> None:
    """The pair rules are asked for again at restarts: nothing seen or held is reset."""
    clock = ManualClock(START)
    paper = _paper(clock)
    spec = paper.pairs["BTCTRY"]
    _buy(paper, "0", qty="2500", method="market")
    held = paper.account.to_dict()
    paper.observe("/api/v2/server/exchangeinfo", {}, _rules())
    assert paper.pairs["BTCTRY"] is spec
    assert paper.price("BTCTRY") == Decimal(1_000_000)
    assert paper.account.to_dict() == held
    assert paper.account.total("BTC") > 0
    assert paper.account.assets() == ["TRY", "BTC", "USDT"]


def test_a_fresh_paper_account_holds_the_configured_lira_and_zero_of_every_seen_asset() -> None:
    """What the bot's first balances call reads: the start balance, every asset at zero."""
    paper = _paper(ManualClock(START))
    assert paper.account.total("TRY") == Decimal(100_000)
    assert paper.account.total("BTC") == 0
    assert paper.account.free["USDT"] == paper.account.locked["USDT"] == 0


def test_a_price_from_the_book_alone_and_a_book_from_the_price_alone() -> None:
    """Without a ticker the price is the mid; without a book, one empty level at the price."""
    paper = _paper(ManualClock(START))
    paper.markets["BTCTRY"].last = None
    assert paper.price("BTCTRY") == Decimal(1_000_000)  # (999990 + 1000010) / 2
    paper.markets["BTCTRY"].last = Decimal(123)
    paper.markets["BTCTRY"].book = None
    book = paper.book("BTCTRY")
    assert [(lv.price, lv.quantity) for lv in (*book.bids, *book.asks)] == [
        (Decimal(123), Decimal(0)),
        (Decimal(123), Decimal(0)),
    ]
    assert paper.top("BTCTRY") == (Decimal(123), Decimal(123))


def test_the_book_is_cut_to_the_depth_asked_for() -> None:
    """``depth`` levels a side, best first; the whole book by default."""
    paper = _paper(ManualClock(START))
    assert [lv.price for lv in paper.book("BTCTRY", depth=1).asks] == [Decimal(1000010)]
    assert [lv.price for lv in paper.book("BTCTRY", depth=1).bids] == [Decimal(999990)]
    assert len(paper.book("BTCTRY").bids) == 2
    wide = paper.book_within("BTCTRY", Decimal(1), buy=True)
    assert [lv.price for lv in wide.asks] == [Decimal(1000010), Decimal(1000020)]


def test_a_stop_price_on_a_limit_order_is_refused_too() -> None:
    """Whatever the method says, an order with a stop price is a stop order."""
    paper = _paper(ManualClock(START))
    params = OrderParams(
        spec=paper.pairs["BTCTRY"],
        side="buy",
        method="limit",
        quantity=Decimal("0.01"),
        price=Decimal(990000),
        stop_price=Decimal(980000),
        client_id=None,
    )
    with pytest.raises(SimRejectError) as refused:
        paper.submit(params)
    assert refused.value.code == 1037
    assert paper.orders == {}


def test_a_candle_that_closed_this_instant_is_evidence_and_one_seen_twice_is_not() -> None:
    """Closed means its minute has ended; the same candle returned again fills nothing more."""
    clock = ManualClock(START)
    paper = _paper(clock)
    oid = _buy(paper, "990000", qty="0.004")
    clock.advance(90)  # 09:02:00 exactly: the 09:01 candle has just closed
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=980_000, volume="0.01")
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=980_000, volume="0.01")
    assert len(paper.markets["BTCTRY"].pending) == 1
    paper.advance()
    assert [t.amount for t in paper.trades] == [Decimal("0.0025")]  # 25 % of 0.01
    assert paper.markets["BTCTRY"].matched_until == int((MINUTE0 + MINUTE_D).timestamp())
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=980_000, volume="0.01")
    paper.advance()
    assert paper.orders[oid].left == Decimal("0.0015")
    assert paper.markets["BTCTRY"].pending == []


def test_an_order_placed_at_the_candles_open_rests_in_it() -> None:
    """The candle opened at the order's own instant traded after it (or with it)."""
    clock = ManualClock(MINUTE0 + timedelta(minutes=1))
    paper = _paper(clock)
    _buy(paper, "990000", qty="0.001")
    clock.advance(60)
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=980_000, volume="1")
    paper.advance()
    assert [t.amount for t in paper.trades] == [Decimal("0.001")]


def test_candles_share_their_volume_by_price_then_time_and_round_down_to_the_scale() -> None:
    """The best bid first, then the older order at one price; BTC's 8 decimals, never up."""
    clock = ManualClock(START)
    paper = _paper(clock)
    low = _buy(paper, "985000", qty="0.01")
    first = _buy(paper, "990000", qty="0.0015")
    second = _buy(paper, "990000", qty="0.01")
    clock.advance(150)
    # 25 % of 0.00800000003 BTC is 0.0020000000075: the first order takes its 0.0015, the
    # second the rest of the capacity, rounded down to 0.00050000; the low bid is not through.
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=989_000, volume="0.00800000003")
    paper.advance()
    assert [(t.order_id, t.amount) for t in paper.trades] == [
        (first, Decimal("0.0015")),
        (second, Decimal("0.00050000")),
    ]
    assert {t.timestamp_ms for t in paper.trades} == {paper.ms()}  # the request that saw it
    assert paper.orders[low].left == Decimal("0.01")


def test_a_resting_sell_fills_on_a_candle_whose_high_trades_through_it() -> None:
    """Above the ask, as a maker at the order's price; a touch of the high is not enough."""
    clock = ManualClock(START)
    paper = _paper(clock)
    _buy(paper, "0", qty="5000", method="market")  # some BTC to sell
    bought = len(paper.trades)
    oid = _sell(paper, "1010000", qty="0.002")
    clock.advance(150)
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=990_000, volume="1", high=1_010_000)
    paper.advance()
    assert len(paper.trades) == bought
    clock.advance(60)
    _candle(paper, MINUTE0 + timedelta(minutes=2), low=990_000, volume="1", high=1_010_010)
    paper.advance()
    sold = paper.trades[bought:]
    assert [(t.order_id, t.side, t.price, t.amount) for t in sold] == [
        (oid, "sell", Decimal(1010000), Decimal("0.002"))
    ]
    assert paper.orders[oid].status != "Partial"
    assert paper.dirty


def test_another_pairs_candle_fills_nothing() -> None:
    """Evidence is per pair."""
    clock = ManualClock(START)
    paper = _paper(clock)
    _buy(paper, "990000")
    clock.advance(150)
    t = int((MINUTE0 + timedelta(minutes=1)).timestamp())
    body: dict[str, object] = {
        "s": "ok",
        "t": [t],
        "o": [1],
        "h": [1],
        "l": [1],
        "c": [1],
        "v": [100],
    }
    paper.observe("/graph/v1/klines/history", {"symbol": "ETHTRY"}, json.dumps(body).encode())
    paper.advance()
    assert paper.trades == []


def test_candles_seen_out_of_order_are_matched_oldest_first() -> None:
    """Volume is used up in time order, and the watermark is the newest candle."""
    clock = ManualClock(START)
    paper = _paper(clock)
    oid = _buy(paper, "990000", qty="0.003")
    clock.advance(210)
    t1 = int((MINUTE0 + timedelta(minutes=1)).timestamp())
    t2 = t1 + 60
    body: dict[str, object] = {
        "s": "ok",
        "t": [t2, t1],
        "o": [1e6] * 2,
        "h": [1e6] * 2,
        "l": [985e3, 985e3],
        "c": [1e6] * 2,
    }
    body["v"] = ["0.004", "0.008"]
    paper.observe("/graph/v1/klines/history", {"symbol": "BTCTRY"}, json.dumps(body).encode())
    paper.advance()
    assert [t.amount for t in paper.trades] == [Decimal("0.002"), Decimal("0.001")]
    assert paper.orders[oid].left == 0
    assert paper.markets["BTCTRY"].matched_until == t2


def test_an_accepted_cancel_takes_effect_on_the_next_request_and_frees_the_lira() -> None:
    """BtcTurk's cancel is asynchronous: open on the request that cancelled it, gone after."""
    clock = ManualClock(START)
    paper = _paper(clock)
    oid = _buy(paper, "990000")
    assert paper.account.locked["TRY"] > 0
    paper.cancel(oid)
    assert oid in paper.open
    paper.advance()
    assert oid not in paper.open
    assert paper.orders[oid].status == "Canceled"
    assert paper.account.locked["TRY"] == 0
    assert paper.account.total("TRY") == Decimal(100_000)


def test_the_restart_keeps_the_counters_and_the_candles_already_matched(tmp_path: Path) -> None:
    """Ids keep rising after a restart, and a candle matched before it fills nothing again."""
    clock = ManualClock(START)
    paper = _paper(clock)
    oid = _buy(paper, "990000", qty="0.004")
    clock.advance(150)
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=980_000, volume="0.01")
    paper.advance()
    path = tmp_path / "state.db.paper.json"
    paper.save(path)
    assert not paper.dirty
    again = PaperExchange.restore(path, now=clock.now, balance_try=Decimal(1))
    assert (again.seq, again.last_order_id, again.last_trade_id) == (
        paper.seq,
        paper.last_order_id,
        paper.last_trade_id,
    )
    assert not again.dirty
    assert again.markets["BTCTRY"].matched_until == paper.markets["BTCTRY"].matched_until
    again.observe("/api/v2/server/exchangeinfo", {}, _rules())
    ticker = {"data": [{"pair": "BTCTRY", "last": 1_000_000}]}
    again.observe("/api/v2/ticker", {}, json.dumps(ticker).encode())
    _candle(again, MINUTE0 + timedelta(minutes=1), low=980_000, volume="0.01")
    again.advance()
    assert again.orders[oid].left == Decimal("0.0015")
    assert len(again.trades) == 1


def test_rules_with_null_filters_and_id_are_read_as_absent() -> None:
    """BtcTurk sends null for a missing id or filter list: no tick, no minimum, id 0."""
    paper = _paper(ManualClock(START))
    raw = {
        "name": "NEW_TRY",
        "id": None,
        "numerator": "NEW",
        "denominator": "TRY",
        "numeratorScale": 2,
        "denominatorScale": 4,
        "hasFraction": True,
        "filters": None,
    }
    body = {"data": {"symbols": [raw]}}
    paper.observe("/api/v2/server/exchangeinfo", {}, json.dumps(body).encode())
    spec = paper.pairs["NEWTRY"]
    assert (spec.pair_id, spec.tick_size, spec.min_exchange_value) == (0, Decimal(0), Decimal(0))
    assert (spec.numerator_scale, spec.denominator_scale, spec.has_fraction) == (2, 4, True)


def test_the_configured_paper_balance_is_the_starting_lira() -> None:
    """PAPER_BALANCE_TRY, not the emulator's default."""
    paper = PaperExchange(now=ManualClock(START).now, balance_try=Decimal(12_345))
    paper.observe("/api/v2/server/exchangeinfo", {}, _rules())
    assert paper.account.total("TRY") == Decimal(12_345)


def test_prices_are_read_exactly_as_sent() -> None:
    """JSON numbers are parsed as decimals, never through a binary float."""
    paper = _paper(ManualClock(START))
    body = b'{"data": [{"pair": "BTCTRY", "last": 1000000.12345678901234567}]}'
    paper.observe("/api/v2/ticker", {}, body)
    assert paper.price("BTCTRY") == Decimal("1000000.12345678901234567")


def test_a_market_sell_walks_the_real_bids() -> None:
    """The bids' amounts, level by level, as seen."""
    paper = _paper(ManualClock(START))
    _buy(paper, "0", qty="5000", method="market")
    held = paper.account.total("BTC")
    assert held > Decimal("0.002")
    params = OrderParams(
        spec=paper.pairs["BTCTRY"],
        side="sell",
        method="market",
        quantity=Decimal("0.6"),
        price=None,
        stop_price=None,
        client_id=None,
    )
    paper.account.credit("BTC", Decimal(1))
    paper.advance()
    paper.submit(params)
    sold = [(t.price, t.amount) for t in paper.trades if t.side == "sell"]
    assert sold == [(Decimal(999990), Decimal("0.5")), (Decimal(999980), Decimal("0.1"))]


def test_a_refusal_for_a_pair_never_seen_is_code_1037_and_says_why() -> None:
    """The emulator's code for an order it cannot take, with the reason in the message."""
    paper = _paper(ManualClock(START))
    paper.markets["BTCTRY"].last = None
    paper.markets["BTCTRY"].book = None
    with pytest.raises(SimRejectError) as refused:
        _buy(paper, "990000")
    assert (refused.value.code, str(refused.value)) == (1037, "NO_MARKET_DATA_OBSERVED_YET")
    with pytest.raises(SimRejectError) as stop:
        _buy(paper, "990000", method="stoplimit")
    assert (stop.value.code, str(stop.value)) == (1037, "STOP_ORDERS_NOT_SUPPORTED_IN_PAPER_MODE")


def test_a_new_candle_after_one_already_taken_is_still_learnt() -> None:
    """BtcTurk returns a window of candles: the old ones are skipped, the new ones kept."""
    clock = ManualClock(START)
    paper = _paper(clock)
    clock.advance(150)
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=980_000, volume="1")
    paper.advance()
    clock.advance(60)
    t1 = int((MINUTE0 + timedelta(minutes=1)).timestamp())
    body: dict[str, object] = {
        "s": "ok",
        "t": [t1, t1 + 60],
        "o": [1e6] * 2,
        "h": [1e6] * 2,
        "l": [1e6] * 2,
        "c": [1e6] * 2,
    }
    body["v"] = [1, 1]
    paper.observe("/graph/v1/klines/history", {"symbol": "BTCTRY"}, json.dumps(body).encode())
    assert [start for start, _ in paper.markets["BTCTRY"].pending] == [t1 + 60]


def test_capacity_is_rounded_down_and_a_share_of_nothing_fills_nothing() -> None:
    """A quarter of 0.000000076 BTC is 0.000000019: one satoshi, not two; of less, no trade."""
    clock = ManualClock(START)
    paper = _paper(clock)
    _buy(paper, "990000", qty="0.01")
    clock.advance(150)
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=980_000, volume="0.000000076")
    paper.advance()
    clock.advance(60)
    _candle(paper, MINUTE0 + timedelta(minutes=2), low=980_000, volume="0.00000001")
    paper.advance()
    assert [t.amount for t in paper.trades] == [Decimal("1E-8")]


def test_a_candle_fills_a_sell_through_it_though_no_buy_was() -> None:
    """Each side is matched on its own: a buy out of reach does not stop the sells."""
    clock = ManualClock(START)
    paper = _paper(clock)
    paper.account.credit("BTC", Decimal(1))
    _buy(paper, "900000", qty="0.001")
    dear = _sell(paper, "1005000", qty="0.002")
    cheap = _sell(paper, "1001000", qty="0.002")
    clock.advance(150)
    _candle(paper, MINUTE0 + timedelta(minutes=1), low=990_000, volume="0.012", high=1_010_000)
    paper.advance()
    # 25 % of 0.012 is 0.003: the cheaper ask first.
    assert [(t.order_id, t.amount) for t in paper.trades] == [
        (cheap, Decimal("0.002")),
        (dear, Decimal("0.00100000")),
    ]


def test_a_state_file_of_another_format_is_not_read_as_a_paper_book(tmp_path: Path) -> None:
    """The sim's file beside it, or a future format: refused, not half-read as paper."""
    clock = ManualClock(START)
    paper = _paper(clock)
    path = tmp_path / "state.db.paper.json"
    paper.save(path)
    raw = json.loads(path.read_text("utf-8"))
    raw["format"] = "btcbot-sim-1"
    path.write_text(json.dumps(raw), "utf-8")
    with pytest.raises(ValueError, match="damaged or not a paper state file"):
        PaperExchange.restore(path, now=clock.now, balance_try=Decimal(1))


def test_a_minute_listed_twice_in_one_body_is_one_candle() -> None:
    """Its volume is not offered twice to the orders resting in it."""
    clock = ManualClock(START)
    paper = _paper(clock)
    oid = _buy(paper, "990000", qty="0.01")
    clock.advance(150)
    t = int((MINUTE0 + timedelta(minutes=1)).timestamp())
    body: dict[str, object] = {
        "s": "ok",
        "t": [t, t],
        "o": [1e6] * 2,
        "h": [1e6] * 2,
        "l": [98e4] * 2,
        "c": [1e6] * 2,
    }
    body["v"] = ["0.004", "0.004"]
    paper.observe("/graph/v1/klines/history", {"symbol": "BTCTRY"}, json.dumps(body).encode())
    paper.advance()
    assert paper.orders[oid].left == Decimal("0.009")  # 25 % of 0.004, once
