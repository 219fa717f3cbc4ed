"""``input_sha256`` hashes each candle's values as parsed, taking a file's text where it is that.

Each value is hashed as ``plain`` prints it, however the file prints it.

``plain_rows`` (``btcbot.backtest.candles``) reads a file's rows as text, trims zeros ending a
fraction, and fills missing minutes; anything else - quotes, spaces, signs, exponents, over 14
digits a side - makes it give way to the parsed candles. These tests hold it to the parsed
candles (``read_series``) row by row, and the plan's hash of streamed files to the hash of the
same candles held in memory.
"""

from __future__ import annotations

import gzip
import tempfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from candle_files import held_in_memory, write_candles
from hypothesis import example, given, settings
from hypothesis import strategies as st

from btcbot.backtest.candles import (
    MINUTE,
    NotPlainError,
    StreamedBars,
    at,
    candle_paths,
    load,
    plain_rows,
    read_series,
)
from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.plan import plan
from btcbot.domain.fingerprint import plain
from btcbot.wiring.demo import demo_strategy

HEADER = "ts,open,high,low,close,volume\n"


def _parsed_rows(path: Path, offset: int, count: int) -> list[tuple[int, str]]:
    """The reference: the checked, gap-filled candles, each value through ``plain``."""
    series = read_series(path)
    bars = series.bars[offset : offset + count]
    return [
        (series.first + (offset + n) * MINUTE, ",".join(map(plain, bar)))
        for n, bar in enumerate(bars)
    ]


def _spelled(value: Decimal, zeros: int, point: bool) -> str:
    """``value`` as a file may print it: its own digits, then zeros or a bare point."""
    text = format(value, "f")
    if zeros and "." not in text:
        text += "."
    return text + "0" * zeros if zeros else (text + "." if point and "." not in text else text)


# Up to 14 digits before the point and 11 after, then up to three zeros: the longest values the
# text is taken for (28 digits, Decimal's precision).
_VALUES = st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(10**13), places=11)
_LONGEST = "99999999999999.99999999999990"  # 28 digits with its zero: plain() must not round it


@st.composite
def _files(draw: st.DrawFn) -> tuple[str, int, int]:
    """A candle file's text with gaps, in the spellings ``plain_rows`` takes as text."""
    rows, ts = [], 1_700_000_040
    total = 0
    for _ in range(draw(st.integers(1, 12))):
        prices = sorted(draw(st.lists(_VALUES, min_size=3, max_size=3)))
        low, mid, high = prices
        opening, closing = (mid, high) if draw(st.booleans()) else (high, low)
        volume = draw(st.sampled_from([Decimal(0), Decimal("0.5"), Decimal("12.3400")]))
        spelled = [
            _spelled(v, draw(st.integers(0, 3)), draw(st.booleans()))
            for v in (opening, high, low, closing, volume)
        ]
        rows.append(f"{ts}," + ",".join(spelled) + draw(st.sampled_from(["\n", "\r\n"])))
        gap = draw(st.sampled_from([1, 1, 1, 2, 5]))
        total += gap
        ts += gap * MINUTE
    total -= gap - 1  # the last row's own gap is not in the file
    offset = draw(st.integers(0, total - 1))
    count = draw(st.integers(0, total - offset))
    return HEADER + "".join(rows), offset, count


@settings(max_examples=300, deadline=None)
@given(_files())
@example((f"{HEADER}1700000040,{_LONGEST},{_LONGEST},1,{_LONGEST},{_LONGEST}\n", 0, 1))
def test_the_rows_as_text_are_the_parsed_candles(case: tuple[str, int, int]) -> None:
    """Any window of a file in plain digits, trailing zeros and gaps: text equals parse."""
    text, offset, count = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "BTCTRY.csv"
        path.write_bytes(text.encode("utf-8"))
        assert list(plain_rows(path, offset, count)) == _parsed_rows(path, offset, count)


@pytest.mark.parametrize(
    "values",
    [
        '"101",102,100,101,1',
        " 101,102,100,101,1",
        "+101,102,100,101,1",
        "1.01E2,102,100,101,1",
        "0101,102,100,101,1",
        "101,102,100,101,0.000000000000000000001",
        # 34 digits: plain() rounds it to Decimal's 28 when it trims the zero, the text cannot
        # (session 12's 40-digit row, 12345678901234567890.12345678901234567890, is now past
        # MAX_CANDLE_VALUE; this one is under it and over the text's 14 digits a side)
        "101,102,100,101,12345678901234.12345678901234567890",
        "101,102,100,101,123456789012345.5",
    ],
)
def test_a_row_in_another_spelling_gives_way_to_the_parse(tmp_path: Path, values: str) -> None:
    """The text is not taken for the value; the plan hashes the candles parsed, the same."""
    rows = [f"{1_700_000_040 + n * MINUTE},100,101,99,100.50,2\n" for n in range(60)]
    rows[30] = f"{1_700_000_040 + 30 * MINUTE},{values}\n"
    (tmp_path / "BTCTRY.csv").write_text(HEADER + "".join(rows), encoding="utf-8")
    _same_hash(tmp_path, ("BTCTRY",), start=None)
    with pytest.raises(NotPlainError, match=r"BTCTRY\.csv:32: not a row of plain decimals"):
        list(plain_rows(tmp_path / "BTCTRY.csv", 0, 60))


def test_a_gzip_file_with_a_bom_blank_lines_and_crlf_is_read_as_text(tmp_path: Path) -> None:
    """What the csv reader tolerates beyond the rows themselves, the text reader does too."""
    (plain_file,) = write_candles(tmp_path / "src", minutes=400, seed=8, symbols=1, gap_every=17)
    lines = plain_file.read_text(encoding="utf-8").splitlines()
    body = "\ufeff" + "\r\n".join(lines[:200]) + "\r\n\r\n" + "\r\n".join(lines[200:]) + "\r\n"
    folder = tmp_path / "gz"
    folder.mkdir()
    with gzip.open(folder / "BTCTRY.csv.gz", "wt", encoding="utf-8", newline="") as fh:
        fh.write(body)
    count = len(read_series(folder / "BTCTRY.csv.gz").bars)
    assert count > len(lines) - 1  # the gaps are filled
    rows = list(plain_rows(folder / "BTCTRY.csv.gz", 0, count))
    assert rows == _parsed_rows(folder / "BTCTRY.csv.gz", 0, count)


@pytest.mark.parametrize("later_day", [False, True])
def test_the_plan_hashes_streamed_files_as_candles_in_memory(
    tmp_path: Path, later_day: bool
) -> None:
    """Two symbols with gaps, the whole files or a window from their second day."""
    paths = write_candles(tmp_path, minutes=3 * 1440, seed=4, gap_every=23)
    first_day = at(load(paths).first).date()
    offset = _same_hash(
        tmp_path, ("BTCTRY", "ETHTRY"), start=first_day + timedelta(days=1) if later_day else None
    )
    assert offset > 0 if later_day else offset == 0


def _same_hash(folder: Path, symbols: tuple[str, ...], *, start: date | None) -> int:
    """Assert the plan's hash of streamed files is that of the candles held; the window's place."""
    base = ReplaySetup(symbols=symbols, strategy=demo_strategy())
    paths = candle_paths(folder, symbols)
    held = held_in_memory(paths)
    streamed = plan(load(paths), base, start=start, end=None, settings={})
    assert (
        streamed.input_sha256 == plan(held, base, start=start, end=None, settings={}).input_sha256
    )
    bars = streamed.feeds[symbols[0]]
    assert isinstance(bars, StreamedBars)
    return bars.source[1]
