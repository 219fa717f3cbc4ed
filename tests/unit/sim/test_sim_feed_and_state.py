"""Replay feed alignment and price path, candle files, and the state file round trip."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sim_helpers import START, build_sim, flat, new_clock

from btcbot.adapters.clock import ManualClock
from btcbot.sim.candles import aggregate, parse_resolution
from btcbot.sim.datasets import bundled_paths, load_feeds
from btcbot.sim.exchange import SimExchange
from btcbot.sim.feed import Bar, ReplayFeed, load_csv
from btcbot.sim.validation import parse_order

MakeSim = Callable[..., SimExchange]


@pytest.fixture
def clock() -> ManualClock:
    """A manual clock at START."""
    return new_clock()


@pytest.fixture
def make_sim(clock: ManualClock) -> MakeSim:
    """Builds sims on ``clock``."""
    return partial(build_sim, clock)


T0 = START.timestamp()


def bar(o: int, h: int, lo: int, c: int) -> Bar:
    """A candle from integer prices with volume 1."""
    return Bar(Decimal(o), Decimal(h), Decimal(lo), Decimal(c), Decimal(1))


def test_anchor_minute_plays_candle_number_history_minutes() -> None:
    """The minute containing the start plays candle ``history_minutes`` of the file."""
    feed = ReplayFeed([flat(100), flat(200), flat(300)], anchor=T0 + 30, history_minutes=1)
    assert feed.price_at(T0 + 30) == Decimal(200)
    assert feed.price_at(T0 - 1) == Decimal(100)


def test_price_path_runs_open_low_high_close_for_a_rising_candle() -> None:
    """A rising candle visits open, low, high, close at 0, 20, 40 and 60 seconds."""
    feed = ReplayFeed([bar(100, 130, 90, 120)], anchor=T0, history_minutes=0)
    assert [feed.price_at(T0 + s) for s in (0, 20, 40, 50)] == [100, 90, 130, 125]
    assert feed.price_at(T0 + 10) == Decimal(95)
    assert feed.range_between(T0, T0 + 59) == (Decimal(90), Decimal(130))
    assert feed.range_between(T0, T0 + 10) == (Decimal(95), Decimal(100))


def _price_by_the_formula(feed: ReplayFeed, epoch: float) -> Decimal:
    """The path's price at ``epoch`` worked out afresh, as the feed did before its memo."""
    index = feed.index_at(epoch)
    offset = Decimal(str(round(epoch - feed.start_of(index), 6)))
    points = feed.bar(index).path()
    leg = min(int(offset // 20), 2)
    frac = (offset - leg * 20) / 20
    return points[leg] + (points[leg + 1] - points[leg]) * frac


@given(
    seconds=st.lists(
        st.one_of(st.integers(0, 179), st.floats(0, 179.999, allow_nan=False)), max_size=30
    )
)
def test_the_price_at_any_instant_is_the_paths_to_the_digit(seconds: list[float]) -> None:
    """Whole and fractional seconds, in any order: the same Decimal, exponent and all.

    Whole seconds as ``int`` and as ``float`` give different exponents (``0`` and ``0.0``), so
    a memo of the offset must keep them apart.
    """
    bars = [
        bar(100, 130, 90, 120),
        Bar(*(Decimal(x) for x in ("120.5", "125", "110.25", "115", "1"))),
    ]
    # The leg boundaries both ways first, so that each kind is asked after the other.
    for s in [0.0, 0, 20, 20.0, 40.0, 40, 60, 60.0, *seconds]:
        epoch = int(T0) + s
        expected = _price_by_the_formula(ReplayFeed(bars, anchor=T0, history_minutes=0), epoch)
        feed = ReplayFeed(bars, anchor=T0, history_minutes=0)
        assert repr(feed.price_at(epoch)) == repr(expected), s


def test_a_forming_candle_grows_with_the_instant_it_is_asked_at() -> None:
    """The forming candle a feed keeps for its instant is never served at another one."""
    bars = [bar(100, 130, 90, 120), bar(120, 125, 110, 115)]
    feed = ReplayFeed(bars, anchor=T0, history_minutes=0)
    asked = [(0, T0 + s) for s in (5, 5, 25, 45, 45, 59)] + [(1, T0 + 70), (0, T0 + 59)]
    for index, now in asked:
        fresh = ReplayFeed(bars, anchor=T0, history_minutes=0).candle_so_far(index, now)
        assert feed.candle_so_far(index, now) == fresh, (index, now - T0)
    # 25 s in: open 100, down to 90 at 20 s, a quarter of the way back up to 130 at 40 s.
    assert feed.candle_so_far(0, T0 + 25) == Bar(
        Decimal(100), Decimal(100), Decimal(90), Decimal(100), Decimal(25) / 60
    )


def test_past_the_end_the_file_plays_backwards_without_a_jump() -> None:
    """After the last candle the file is replayed in reverse, so the price is continuous."""
    feed = ReplayFeed(
        [bar(100, 110, 100, 110), bar(110, 120, 110, 120)], anchor=T0, history_minutes=0
    )
    assert feed.price_at(T0 + 119.999).quantize(Decimal(1)) == Decimal(120)
    assert feed.price_at(T0 + 120) == Decimal(120)  # reversed second candle opens at its close
    assert feed.price_at(T0 + 180) == Decimal(110)
    assert feed.price_at(T0 + 240) == Decimal(100)  # ...and then forward again


def test_load_csv_refuses_inconsistent_rows(tmp_path: Path) -> None:
    """A candle whose high is below its close is refused with the file and line."""
    path = tmp_path / "BTCTRY.csv"
    path.write_text("ts,open,high,low,close,volume\n1,10,9,8,10,1\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"BTCTRY.csv:2: inconsistent candle"):
        load_csv(path)
    path.write_text("time,price\n1,2\n", encoding="utf-8")
    with pytest.raises(ValueError, match="header"):
        load_csv(path)


def test_bundled_data_is_small_and_realistic() -> None:
    """The shipped CSVs are under 400 KB and priced at 2026 TRY levels."""
    feeds = load_feeds()
    assert set(feeds) == {"BTCTRY", "ETHTRY"}
    assert all(p.stat().st_size < 400_000 for p in bundled_paths())
    assert Decimal(2_000_000) < feeds["BTCTRY"][0].open < Decimal(6_000_000)
    assert Decimal(50_000) < feeds["ETHTRY"][0].open < Decimal(300_000)
    assert len(feeds["BTCTRY"]) >= 3 * 1440


def test_resolutions_and_buckets() -> None:
    """Minute, daily and calendar resolutions parse; hourly buckets aggregate 60 minutes."""
    assert [parse_resolution(r) for r in ("1", "60", "1D", "1 d", "D", "1W")] == [
        60, 3600, 86400, 86400, 86400, 604800,
    ]  # fmt: skip
    assert parse_resolution("1M") == -1
    with pytest.raises(ValueError, match="unsupported"):
        parse_resolution("7")
    feed = ReplayFeed([flat(100)] * 180, anchor=T0, history_minutes=120)
    rows = aggregate(feed, 3600, int(T0) - 7200, int(T0), T0)
    assert [r.volume for r in rows] == [Decimal(60), Decimal(60), Decimal(0)]


def test_save_and_load_round_trip(make_sim: MakeSim, clock: ManualClock, tmp_path: Path) -> None:
    """A saved exchange reloads with the same orders, balances, trades and id sequence."""
    sim = make_sim()
    sim.advance()
    body = {"pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "limit"}
    resting = sim.submit(parse_order({**body, "price": "500000", "quantity": "0.1"}, sim.pairs))
    sim.submit(parse_order({**body, "orderMethod": "market", "quantity": "2000"}, sim.pairs))
    sim.cancel(resting.id)
    path = tmp_path / "state" / "sim.json"
    sim.save(path)
    assert [p.name for p in path.parent.iterdir()] == ["sim.json"]  # no temp file left behind
    feeds = {s: [f.bar(i) for i in range(10)] for s, f in sim.feeds.items()}
    back = SimExchange.load(path, feeds, now=clock.now, config=sim.config)
    assert back.account == sim.account
    assert [o.to_dict() for o in back.orders.values()] == [o.to_dict() for o in sim.orders.values()]
    assert [t.to_dict() for t in back.trades] == [t.to_dict() for t in sim.trades]
    assert back.price("BTCTRY") == sim.price("BTCTRY")
    back.advance()
    assert back.orders[resting.id].status == "Canceled"  # the pending cancel survived
    after = back.submit(parse_order({**body, "price": "500000", "quantity": "0.1"}, back.pairs))
    assert after.id > max(sim.orders)


def test_load_refuses_other_pairs_or_junk(
    make_sim: MakeSim, clock: ManualClock, tmp_path: Path
) -> None:
    """A state file saved for other pairs, or not a state file, is refused with a reason."""
    sim = make_sim()
    path = tmp_path / "sim.json"
    sim.save(path)
    with pytest.raises(ValueError, match="saved with pairs"):
        SimExchange.load(path, {"BTCTRY": [flat(1)]}, now=clock.now)
    path.write_text(json.dumps({"format": 99}), encoding="utf-8")
    with pytest.raises(ValueError, match="not an emulator state file"):
        SimExchange.load(path, {"BTCTRY": [flat(1)]}, now=clock.now)
