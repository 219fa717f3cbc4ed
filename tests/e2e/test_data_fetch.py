"""``btcbot data fetch`` against the real emulator (``btcbot sim serve``) on loopback.

Full range, a run that dies half-way and the run that resumes it, and the written files read
back by the backtest with exactly the values the graph API served.
"""

from __future__ import annotations

import os
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from h5_support import BTCBOT, process_env, sim_serve
from small_disk import fill, small_disk

from btcbot.adapters.clock import SystemClock
from btcbot.backtest.candles import read_series
from btcbot.exchange.client import BtcturkClient


def _fetch(url: str, out: Path, *, start: str, end: str) -> subprocess.CompletedProcess[str]:
    env = process_env({"BTCTURK_BASE_URL": url, "BTCTURK_GRAPH_URL": f"{url}/graph"})
    env = {k: v for k, v in env.items() if not k.startswith("APP_")}
    command = [str(BTCBOT), "data", "fetch", "--symbols", "BTCTRY,ETHTRY"]
    return subprocess.run(  # our own command
        [*command, "--from", start, "--to", end, "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _days() -> tuple[str, str]:
    today = datetime.now(UTC).date()
    return (today - timedelta(days=1)).isoformat(), today.isoformat()


def test_full_range_and_files_that_load_back_identically(tmp_path: Path) -> None:
    """Every served minute is written; the backtest reads the same values the API served."""
    start, end = _days()
    with sim_serve("--no-rate-limits") as url:
        done = _fetch(url, tmp_path, start=start, end=end)
        assert done.returncode == 0, done.stderr
        series = read_series(tmp_path / "BTCTRY.csv")
        client = BtcturkClient(
            base_url=url,
            graph_url=f"{url}/graph",
            api_key=None,
            api_secret=None,
            clock=SystemClock(),
            auto_sync_clock=False,
        )
        try:
            first = datetime.fromtimestamp(series.first, tz=UTC)
            served = client.klines("BTCTRY", 1, first, first + timedelta(minutes=299))
        finally:
            client.close()
    lines = done.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("BTCTRY: ")
    assert "gaps 0 (0 min), duplicates 0, out of order 0, invalid 0" in lines[0]
    assert len(series.bars) >= 1400  # the emulator serves the 24 h before its start, and on
    assert series.filled == 0
    assert len(served) == 300
    for n, candle in enumerate(served):
        bar = series.bars[n]
        assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (
            candle.open,
            candle.high,
            candle.low,
            candle.close,
            candle.volume,
        )


def _first_failing_page() -> int:
    """The page after the first one holding candles, so the broken run has some to write.

    The emulator serves the last 1,440 minutes; the range starts at yesterday 00:00, so the
    pages (500 minutes each) before the data begins are empty, and how many there are depends
    on the time of day. (A fixed page number failed every run after 16:40 UTC.)
    """
    now = datetime.now(UTC)
    minutes_today = now.hour * 60 + now.minute
    if minutes_today % 500 >= 498:
        time.sleep(150)  # a page boundary is about to pass: let it, then count
        return _first_failing_page()
    return minutes_today // 500 + 2


def test_an_interrupted_fetch_resumes_where_it_stopped(tmp_path: Path) -> None:
    """A page fails past its retries: exit 1, the pages before it written; a rerun gets the rest."""
    start, end = _days()
    page = _first_failing_page()
    faults = f"5xx:#{page}+{page + 1}+{page + 2}@/graph"  # the page and both of its retries
    with sim_serve("--no-rate-limits", "--faults", faults) as url:
        broken = _fetch(url, tmp_path / "resumed", start=start, end=end)
        assert broken.returncode == 1, broken.stderr
        assert len(broken.stderr.strip().splitlines()) == 1
        assert "Traceback" not in broken.stderr
        partial = read_series(tmp_path / "resumed" / "BTCTRY.csv")
        assert 0 < len(partial.bars) < 1400
        resumed = _fetch(url, tmp_path / "resumed", start=start, end=end)
        assert resumed.returncode == 0, resumed.stderr
        whole = _fetch(url, tmp_path / "whole", start=start, end=end)
        assert whole.returncode == 0, whole.stderr
    again = read_series(tmp_path / "resumed" / "BTCTRY.csv")
    reference = read_series(tmp_path / "whole" / "BTCTRY.csv")
    assert again.bars[: len(partial.bars)] == partial.bars  # nothing already written was lost
    assert again.first == reference.first
    # The two runs end a minute or so apart; the resumed file is the reference's prefix or more.
    shared = min(len(again.bars), len(reference.bars))
    assert again.bars[:shared] == reference.bars[:shared]
    assert abs(len(again.bars) - len(reference.bars)) <= 2
    assert (tmp_path / "resumed" / "ETHTRY.csv").stat().st_size > 0


def test_an_out_that_is_a_file_or_holds_a_foreign_file_is_refused_and_kept(
    tmp_path: Path,
) -> None:
    """Exit 2, one line naming it, the file as it was (exit 1 and a bare codec error before)."""
    start, end = _days()
    taken = tmp_path / "notes.txt"
    taken.write_text("the operator's notes", "utf-8")
    foreign = tmp_path / "out"
    foreign.mkdir()
    (foreign / "BTCTRY.csv").write_bytes(b"\xff\xfe\x00t\x00s")  # UTF-16, say
    with sim_serve("--no-rate-limits") as url:
        on_file = _fetch(url, taken, start=start, end=end)
        on_foreign = _fetch(url, foreign, start=start, end=end)
    assert (on_file.returncode, on_foreign.returncode) == (2, 2), (on_file, on_foreign)
    assert on_file.stderr.strip().endswith(f"--out {taken} is a file: pass a directory "
                                           "(an earlier one resumes)")  # fmt: skip
    assert f"{foreign / 'BTCTRY.csv'}: not UTF-8 text" in on_foreign.stderr
    assert len(on_foreign.stderr.strip().splitlines()) == 1
    assert taken.read_text("utf-8") == "the operator's notes"
    assert (foreign / "BTCTRY.csv").read_bytes() == b"\xff\xfe\x00t\x00s"


def test_a_full_disk_under_out_is_one_line_and_a_rerun_resumes(tmp_path: Path) -> None:
    """Exit 1 naming ``--out`` (not the bare 'No space left on device'); room, and it finishes."""
    start, end = _days()
    with small_disk(tmp_path / "disk", "1m") as disk, sim_serve("--no-rate-limits") as url:
        filler = fill(disk)
        os.truncate(filler, filler.stat().st_size - 8192)  # room for a page, not for a day
        out = disk / "candles"
        full = _fetch(url, out, start=start, end=end)
        assert full.returncode == 1, full.stderr
        expected = (
            f"btcbot: error: --out {out}: cannot be written (No space left on device); what "
            "was fetched is kept: free space there and run the same command to resume"
        )
        assert full.stderr.strip().splitlines() == [expected]
        filler.unlink()
        again = _fetch(url, out, start=start, end=end)
        assert again.returncode == 0, again.stderr
    assert "BTCTRY: " in again.stdout


def test_to_the_end_of_the_calendar_fetches_up_to_now(tmp_path: Path) -> None:
    """``--to 9999-12-31`` means "up to the last closed minute" (it was an OverflowError)."""
    today = datetime.now(UTC).date().isoformat()
    with sim_serve("--no-rate-limits") as url:
        done = _fetch(url, tmp_path / "out", start=today, end="9999-12-31")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "BTCTRY.csv").stat().st_size > 0


def test_a_day_before_1970_is_refused_before_any_request(tmp_path: Path) -> None:
    """Exit 2 naming it (it was the graph API's bare 'HTTP 400', exit 1); nothing is asked."""
    done = _fetch("http://127.0.0.1:9", tmp_path / "out", start="0001-01-01", end="0001-01-02")
    assert done.returncode == 2, done.stderr
    assert "--from 0001-01-01 is before 1970" in done.stderr
    assert not (tmp_path / "out").exists()
