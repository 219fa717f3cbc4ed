"""A sweep point's metrics are those of ``btcbot report`` on the backtest that reproduces it.

The sweep task gathers what its metrics need row by row as the replay makes them (it keeps no
rows); ``btcbot backtest --out`` writes the same run's files, which the report reads back. Every
metric of the row and its daily equity must equal the report's, to the last bit of the float;
a series that loses one row in a thousand must not.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from candle_files import write_candles

from btcbot.backtest.candles import at, candle_paths, load
from btcbot.backtest.engine import EquityRow, ReplayResult, ReplaySetup
from btcbot.cli import main
from btcbot.report.data import from_backtest
from btcbot.report.metrics import daily_equity, metrics
from btcbot.sweep import tasks
from btcbot.sweep.tasks import METRICS, Task, run_task

SETS = (
    "CYCLE_SECONDS=120",
    "STRATEGY_TREND_FAST_WINDOW=3",
    "STRATEGY_TREND_SLOW_WINDOW=12",
    # Tight enough that the books go flat and REDUCING about half way: 1,462 of the 2,868
    # cycles are then valued without a decision, as a sweep runs them (fast).
    "RISK_MAX_DRAWDOWN_PCT=0.8",
    "RISK_REDUCE_AT_DRAWDOWN_PCT=0.5",
)


@pytest.fixture(autouse=True)
def _no_operator_settings(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The point's settings are its own ``--set``s, not this machine's environment."""
    for name in list(os.environ):
        if name.startswith(("APP_", "RISK_", "STRATEGY", "CYCLE_")):
            monkeypatch.delenv(name)
    tasks._candles.cache_clear()
    yield
    tasks._candles.cache_clear()


def _task(data: Path) -> Task:
    candles = load(candle_paths(data))
    first, last = at(candles.first).date(), at(candles.last).date()
    return Task(
        data=str(data),
        symbols="BTCTRY,ETHTRY",
        settings=None,
        sets=SETS,
        start=first.isoformat(),
        end=last.isoformat(),
        point="p",
        window=0,
        phase="full",
    )


def _reported(task: Task, out: Path) -> dict[str, Any]:
    """The metrics and daily equity ``btcbot report`` computes from the reproducing backtest."""
    argv = ["backtest", "--data", task.data, "--symbols", str(task.symbols)]
    argv += ["--from", task.start, "--to", task.end, "--out", str(out)]
    for item in task.sets:
        argv += ["--set", item]
    assert main(argv) == 0
    data = from_backtest(out)
    values: dict[str, Any] = {m.key: m.value for m in metrics(data)}
    values["daily_equity"] = [(d.isoformat(), e) for d, e in daily_equity(data.points)]
    return values


def _same(row: dict[str, Any], reported: dict[str, Any]) -> bool:
    for name in METRICS:
        want = reported[name]
        if isinstance(want, float) and not math.isfinite(want):
            want = None  # how a row stores nan and infinity
        if row[name] != want:
            return False
    return bool(row["daily_equity"] == reported["daily_equity"])


def _written(tmp_path: Path) -> tuple[Task, Path]:
    data = tmp_path / "data"
    write_candles(data, minutes=4 * 1440, seed=23, symbols=2, gap_every=37)
    return _task(data), tmp_path / "out"


def test_a_points_metrics_are_the_reports_of_its_backtest(tmp_path: Path) -> None:
    """Two symbols with gaps, limits that stop the trading half way: every metric, every day."""
    task, out = _written(tmp_path)
    row = run_task(task)
    reported = _reported(task, out)
    assert row["fills"] > 10, "the point must trade, or its metrics prove little"
    assert len(row["daily_equity"]) >= 4
    assert _same(row, reported)
    assert set(row) == tasks.ROW_FIELDS  # what a resume requires of a journaled row


class _Kept(tasks._Series):
    """The task's series, kept for the test to read."""

    made: ClassVar[list[tasks._Series]] = []

    def __init__(self) -> None:
        super().__init__()
        _Kept.made.append(self)


def _series_of(task: Task, monkeypatch: pytest.MonkeyPatch) -> tasks._Series:
    _Kept.made.clear()
    monkeypatch.setattr(tasks, "_Series", _Kept)
    run_task(task)
    (series,) = _Kept.made
    return series


def test_the_series_holds_every_row_the_backtest_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every row's books, and each symbol's first and last mark, as equity.csv holds them."""
    task, out = _written(tmp_path)
    _reported(task, out)
    report = from_backtest(out)
    series = _series_of(task, monkeypatch)
    assert series.points == report.points
    ends = {s: [p[0], p[-1]] for s, p in report.prices.items()}
    assert series.report_data(ReplayResult(ReplaySetup(symbols=()))).prices == ends


def test_a_series_that_loses_rows_or_misreads_one_is_caught(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The negative controls: one row in 1,000 lost; the equity read from the cash."""
    task, out = _written(tmp_path)
    reported = _reported(task, out)
    report = from_backtest(out)
    sound = tasks._Series.__call__
    seen = [0]

    def lossy(self: tasks._Series, row: EquityRow) -> None:
        seen[0] += 1
        if seen[0] % 1000:
            sound(self, row)

    with monkeypatch.context() as patch:
        patch.setattr(tasks._Series, "__call__", lossy)
        assert _series_of(task, patch).points != report.points

    def cash_as_equity(self: tasks._Series, row: EquityRow) -> None:
        sound(self, EquityRow(row.at, row.valuation._replace(equity=row.valuation.cash),
                              row.holdings, row.marks))  # fmt: skip

    monkeypatch.setattr(tasks._Series, "__call__", cash_as_equity)
    assert not _same(run_task(task), reported)
