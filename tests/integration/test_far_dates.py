"""``--from``/``--to`` at the ends of the calendar mean "from the start" and "to the end".

``--to 9999-12-31`` was an OverflowError in the backtest (and in ``report`` and ``data
fetch``): the day after it is not a date. An operator who means "to the end" may well write it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from candle_files import write_candles

from btcbot.backtest.candles import candle_paths, load
from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.plan import plan


def test_the_ends_of_the_calendar_are_the_whole_files(tmp_path: Path) -> None:
    """The same cycles, span and input hash as no ``--from``/``--to`` at all."""
    paths = write_candles(tmp_path, minutes=3 * 1440, seed=5, symbols=1)
    base = ReplaySetup(symbols=("BTCTRY",))

    def planned(start: date | None, end: date | None) -> tuple[object, ...]:
        p = plan(load(candle_paths(paths[0].parent)), base, start=start, end=end, settings={})
        return p.setup.cycles, p.first_traded, p.last_traded, p.input_sha256

    assert planned(date(1, 1, 1), date(9999, 12, 31)) == planned(None, None)
    assert planned(date.min, date.max) == planned(None, None)
