"""A damaged backtest directory is a ``ReportInputError`` naming the file, never a crash.

``btcbot report`` turns that error into one line and exit 2. A ``summary.json`` that is JSON but
not a summary, an ``equity.csv`` that is not UTF-8 or lacks a column, and a row cut short used
to escape as an AttributeError, a TypeError, a UnicodeDecodeError or "None is not a number":
"internal error ... a btcbot bug", exit 1, for what is the input's fault.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from candle_files import write_candles

from btcbot.backtest import outputs
from btcbot.backtest.candles import candle_paths, load
from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.plan import plan
from btcbot.report.data import ReportInputError, from_backtest


@pytest.fixture(scope="module")
def backtest(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A day of one pair at five-minute cycles, written as ``btcbot backtest --out`` does."""
    tmp = tmp_path_factory.mktemp("report-inputs")
    data = write_candles(tmp / "data", minutes=1440, seed=7, symbols=1)
    base = ReplaySetup(symbols=("BTCTRY",), cycle_seconds=300)
    the_plan = plan(load(candle_paths(data[0].parent)), base, start=None, end=None, settings={})
    result = the_plan.replay().run()
    out = tmp / "bt"
    outputs.write_all(
        out,
        {
            "summary.json": outputs.render(
                outputs.summary(the_plan, result, {"symbols": ["BTCTRY"]})
            ),
            "trades.csv": outputs.trades_csv(result),
            "equity.csv": outputs.equity_csv(result),
        },
    )
    return out


def _summary(change: Callable[[dict[str, object]], object]) -> Callable[[Path], None]:
    def damage(out: Path) -> None:
        path = out / "summary.json"
        path.write_text(json.dumps(change(json.loads(path.read_text("utf-8")))), "utf-8")

    return damage


def _edit(name: str, change: Callable[[str], str]) -> Callable[[Path], None]:
    def damage(out: Path) -> None:
        path = out / name
        path.write_text(change(path.read_text("utf-8")), "utf-8")

    return damage


def _not_utf8(out: Path) -> None:
    (out / "equity.csv").write_bytes(b"\xff\xfetime,equity\n")


DAMAGE: dict[str, tuple[Callable[[Path], None], str]] = {
    "summary is a list": (_summary(lambda _: [1]), "summary.json: no settings.symbols list"),
    "settings is a string": (
        _summary(lambda s: s | {"settings": "x"}),
        "summary.json: no settings.symbols list",
    ),
    "symbols is a number": (
        _summary(lambda s: s | {"settings": {"symbols": 5}}),
        "summary.json: no settings.symbols list",
    ),
    "a symbol is null": (
        _summary(lambda s: s | {"settings": {"symbols": [None]}}),
        "summary.json: no settings.symbols list",
    ),
    "equity not UTF-8": (_not_utf8, "equity.csv: not UTF-8 text"),
    "equity lacks a column": (
        _edit("equity.csv", lambda t: t.replace("equity,", "equty,", 1)),
        "equity.csv:1: the header lacks equity",
    ),
    "equity row cut short": (
        _edit("equity.csv", lambda t: t[: t.index("\n", len(t) // 2) + 20]),
        "the row has fewer cells than the header (cut short?)",
    ),
    "trades lack a column": (
        _edit("trades.csv", lambda t: t.replace("price,", "prize,", 1)),
        "trades.csv:1: the header lacks price",
    ),
}


@pytest.mark.parametrize("case", sorted(DAMAGE))
def test_a_damaged_backtest_directory_is_refused_by_name(
    backtest: Path, tmp_path: Path, case: str
) -> None:
    """One line naming the file (and its line where there is one)."""
    damage, expected = DAMAGE[case]
    copy = tmp_path / "bt"
    shutil.copytree(backtest, copy)
    damage(copy)
    with pytest.raises(ReportInputError) as refused:
        from_backtest(copy)
    assert expected in str(refused.value)
    assert str(copy) in str(refused.value)
    assert "\n" not in str(refused.value)


def test_the_undamaged_directory_reads(backtest: Path) -> None:
    """The control: the same directory untouched is read whole."""
    data = from_backtest(backtest)
    rows = (backtest / "equity.csv").read_text("utf-8").count("\n") - 1  # less the header
    assert len(data.points) == rows > 250
    assert list(data.prices) == ["BTCTRY"]
