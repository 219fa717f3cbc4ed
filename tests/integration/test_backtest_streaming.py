"""A backtest streams its candles: the same candles, the same fills, a bounded number held.

``load`` checks each file in a first pass and the replay reads it again as it goes, keeping
only the last few days (``btcbot.backtest.candles.StreamedBars``). Nothing of the result may
depend on that: a replay over candles held in memory and over streamed ones gives the same
fills, equity rows and input sha256.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from candle_files import held_in_memory, write_candles

from btcbot.backtest.candles import (
    CandleFileError,
    StreamedBars,
    candle_paths,
    load,
    read_series,
)
from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.plan import plan
from btcbot.domain.fingerprint import fill_fingerprint
from btcbot.wiring.demo import demo_strategy

KEEP = 1500  # the ticker's 24 hours (1,440 candles) and a margin; a year holds 4,320


@pytest.mark.parametrize(("seed", "gap_every"), [(3, 0), (42, 29)])
def test_a_streamed_replay_equals_one_over_candles_in_memory(
    tmp_path: Path, seed: int, gap_every: int
) -> None:
    """Same fills, same rows, same input sha256, whether the candles are held or streamed."""
    paths = write_candles(tmp_path, minutes=KEEP + 700, seed=seed, gap_every=gap_every)
    base = ReplaySetup(symbols=("BTCTRY", "ETHTRY"), strategy=demo_strategy())
    held = plan(held_in_memory(paths), base, start=None, end=None, settings={})
    # Holding fewer candles than the files have, the replay lets the oldest go as it moves.
    streamed = plan(
        load(candle_paths(tmp_path), keep=KEEP), base, start=None, end=None, settings={}
    )
    assert all(isinstance(b, StreamedBars) for b in streamed.feeds.values())
    assert streamed.input_sha256 == held.input_sha256
    assert streamed.filled == held.filled
    one, other = held.replay().run(), streamed.replay().run()
    assert one.fills, "the data sets must trade for the comparison to mean anything"
    assert fill_fingerprint(other.fills) == fill_fingerprint(one.fills)
    assert other.rows == one.rows
    again = streamed.replay().run()  # a plan's replay reads its candles afresh each time
    assert fill_fingerprint(again.fills) == fill_fingerprint(one.fills)


def test_a_streamed_series_holds_only_its_last_candles(tmp_path: Path) -> None:
    """Read forward, it keeps ``keep`` candles; an older one is refused, not read again."""
    (path,) = write_candles(tmp_path, minutes=300, seed=5, symbols=1, gap_every=13)
    eager = read_series(path)
    streamed = StreamedBars(path, 0, len(eager.bars), keep=50)
    assert [streamed[n] for n in range(0, 300, 7)] == list(eager.bars[0:300:7])
    assert streamed[-1] == eager.bars[-1]
    assert streamed[250] == eager.bars[250]
    with pytest.raises(LookupError, match="read forward only"):
        _ = streamed[240]
    assert list(streamed) == list(eager.bars)  # iterating reads the window afresh
    window = streamed.window(100, 120)
    assert (len(window), list(window)) == (20, list(eager.bars[100:120]))


def test_a_file_that_shrinks_under_a_streamed_replay_is_named(tmp_path: Path) -> None:
    """Checked at load, cut short before the replay reads it: one error naming the file."""
    (path,) = write_candles(tmp_path, minutes=200, seed=9, symbols=1)
    series = load([path]).series["BTCTRY"]
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:100]), encoding="utf-8")
    with pytest.raises(CandleFileError, match="changed while the backtest read it"):
        _ = series.bars[150]


def test_the_lookahead_check_holds_its_candles(tmp_path: Path) -> None:
    """The re-runs cut the candles at any cycle, so the check reads them into memory first."""
    from btcbot.backtest.lookahead import check_lookahead  # noqa: PLC0415 - this test only
    from btcbot.decision import DecisionCore  # noqa: PLC0415 - same

    write_candles(tmp_path, minutes=KEEP + 300, seed=21)
    base = ReplaySetup(symbols=("BTCTRY", "ETHTRY"), strategy=demo_strategy())
    the_plan = plan(
        load(candle_paths(tmp_path), keep=KEEP), base, start=None, end=None, settings={}
    )
    setup = the_plan.setup
    report = check_lookahead(
        the_plan.feeds,
        setup,
        lambda _feeds: DecisionCore.from_params(setup.strategy, setup.limits, replay=True),
        sample=5,
    )
    assert report.biased == []
    assert report.checked_cycles > 0


def test_the_input_hash_follows_a_rewritten_file(tmp_path: Path) -> None:
    """Planned again over the same files, the hash is reused; over rewritten ones, it is new.

    A sweep plans every point over the same candles, so their digest is kept per file; each
    hash must still be the one of the candles held in memory at that moment.
    """
    base = ReplaySetup(symbols=("BTCTRY", "ETHTRY"), strategy=demo_strategy())
    hashes = []
    for seed in (5, 5, 6):  # the same candles twice, then others of the same length
        paths = write_candles(tmp_path, minutes=KEEP, seed=seed)
        for settings in ({}, {"CYCLE_SECONDS": 30}):
            streamed = plan(load(candle_paths(tmp_path)), base, start=None, end=None,
                            settings=settings)  # fmt: skip
            held = plan(held_in_memory(paths), base, start=None, end=None, settings=settings)
            assert streamed.input_sha256 == held.input_sha256
            hashes.append(streamed.input_sha256)
    first, other_settings, again, again_other, rewritten, rewritten_other = hashes
    assert (again, again_other) == (first, other_settings)
    assert len({first, other_settings, rewritten, rewritten_other}) == 4
