"""Candle values: below ``MAX_CANDLE_VALUE`` a backtest runs to its end; at it, one line.

Prices of 10^30 or a volume of 10^18 a minute overflowed the emulator's 28-digit Decimal
arithmetic (the day's volume at 8 decimals, a price over its tick): "internal error
InvalidOperation", exit 1. The checker now refuses any value of 10^15 or more, naming the
row; this holds the other side: candles just under the bound, and far below 1, replay whole.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from candle_files import write_candles

from btcbot.backtest.candles import CandleFileError, candle_paths, load
from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.plan import plan
from btcbot.domain.models import MAX_CANDLE_VALUE
from btcbot.sim.feed import load_csv

Scale = Callable[[list[Decimal]], tuple[Decimal, Decimal]]  # rows' values -> price, volume factor


def _scaled(tmp: Path, name: str, factors: Scale) -> Path:
    """Two days of generated candles with prices and volumes multiplied by ``factors``."""
    source = write_candles(tmp / f"{name}-source", minutes=2880, seed=11, symbols=1)[0]
    lines = source.read_text("utf-8").splitlines()
    rows = [[Decimal(v) for v in line.split(",")[1:]] for line in lines[1:]]
    price, volume = factors([v for row in rows for v in row])
    out = tmp / name
    out.mkdir()
    text = [lines[0]] + [
        ",".join(
            [line.split(",")[0]]
            + [format(v * price, "f") for v in row[:4]]
            + [format(row[4] * volume, "f")]
        )
        for line, row in zip(lines[1:], rows, strict=True)
    ]
    (out / "BTCTRY.csv").write_text("\n".join(text) + "\n", "utf-8")
    return out


def _just_under(values: list[Decimal]) -> tuple[Decimal, Decimal]:
    """Factors that bring the highest price and the highest volume just under the bound."""
    highest = max(values)
    return (MAX_CANDLE_VALUE - 1) / highest, (MAX_CANDLE_VALUE - 1) / highest


@pytest.mark.parametrize(
    ("name", "factors"),
    [
        ("just under the bound", _just_under),
        (
            "prices near 10^-14 and volumes near 10^13",
            lambda _: (Decimal("1e-20"), Decimal("1e13")),
        ),
    ],
)
@pytest.mark.parametrize("fast", [False, True])
def test_candles_within_the_bound_replay_to_the_end(
    tmp_path: Path, name: str, factors: Scale, fast: bool
) -> None:
    """Every cycle runs and is valued; the books stay whole (cash and equity at the start)."""
    data = _scaled(tmp_path, name.replace(" ", "-"), factors)
    the_plan = plan(
        load(candle_paths(data)),
        ReplaySetup(symbols=("BTCTRY",)),
        start=None,
        end=None,
        settings={},
    )
    result = the_plan.replay(fast=fast).run()
    assert result.cycles == the_plan.setup.cycles > 2800
    assert result.final is not None
    assert result.final.equity == the_plan.setup.sim.start_balance


def test_a_value_at_the_bound_is_refused_naming_its_row(tmp_path: Path) -> None:
    """The backtest's checker and the emulator's loader (``sim serve --data``) alike."""
    data = _scaled(tmp_path, "at", lambda v: ((MAX_CANDLE_VALUE - 1) / max(v), Decimal(1)))
    path = data / "BTCTRY.csv"
    lines = path.read_text("utf-8").splitlines()
    cells = lines[3].split(",")
    lines[3] = ",".join([*cells[:5], format(MAX_CANDLE_VALUE, "f")])
    path.write_text("\n".join(lines) + "\n", "utf-8")
    with pytest.raises(CandleFileError, match=r"BTCTRY\.csv:4: a value of 10\^15 or more"):
        load(candle_paths(data))
    with pytest.raises(ValueError, match=r"BTCTRY\.csv:4: a value of 10\^15 or more"):
        load_csv(path)
