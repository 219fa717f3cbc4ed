"""One sweep task: ``btcbot backtest`` for one point over one span, run in a worker process.

A task is plain data (picklable for local processes and for Dask). The worker prepares it with
``btcbot.wiring.research.prepare`` - the very function ``btcbot backtest`` uses - so every row
is reproduced by ``btcbot backtest --data ... --from ... --to ... --set NAME=VALUE ...``. The
candle files are read once per worker process (a shared path, cached), not once per task, and
hashed into ``input_sha256`` once per window (``btcbot.backtest.plan``).
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from btcbot.backtest import outputs
from btcbot.backtest.candles import CandleFileError, CandleSet, candle_paths
from btcbot.backtest.candles import load as load_candles
from btcbot.backtest.engine import EquityRow, ReplayResult, StrategyFailedError
from btcbot.backtest.watchdog import Watchdog
from btcbot.domain.models import Fill
from btcbot.report.data import FillRow, Point, ReportData
from btcbot.report.metrics import daily_equity, metrics
from btcbot.strategy.engine import StrategyLoader
from btcbot.wiring.research import prepare

METRICS = (
    "return_pct", "cagr_pct", "sharpe", "sortino", "calmar", "max_drawdown_pct", "trades",
    "win_rate_pct", "profit_factor", "expectancy_try", "fees_and_tax_try",
)  # fmt: skip

STOPPED = "stopped"
"""The one field of the row of a backtest that stopped (``run_task``); never journaled."""

# Every field of a task's row (``run_task``): a journaled row lacking one is not reused.
ROW_FIELDS = frozenset(
    ("key", "window", "phase", "point", "from", "to", "fingerprint", "input_sha256", "fills",
     *METRICS, "daily_equity")
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Task:
    """One backtest of a sweep."""

    data: str
    symbols: str | None
    settings: str | None
    sets: tuple[str, ...]
    start: str
    end: str
    point: str  # Point.key
    window: int
    phase: str  # "full", "train" or "test"

    @property
    def key(self) -> str:
        """Unique within a sweep: what a resumed sweep skips."""
        return f"{self.window}:{self.phase}:{self.point}"

    @property
    def named(self) -> str:
        """How one line names it: "the backtest of NAME=V ... from DAY to DAY"."""
        settings = " ".join(self.sets) or "the base settings"
        return f"the backtest of {settings} from {self.start} to {self.end}"


@lru_cache(maxsize=4)
def _candles(data: str, symbols: str | None) -> CandleSet:
    names = tuple(s.strip().upper() for s in symbols.split(",")) if symbols else ()
    return load_candles(candle_paths(Path(data), names))


class _Series:
    """What a point's metrics need of its equity series, gathered as the replay makes each row.

    Every row's books (a ``Point``), and each symbol's first and last mark (all the market
    change needs). The replay used to keep every row for this: a symbol-year's rows, with
    their valuations and marks, were about 450 MB of each worker.
    """

    def __init__(self) -> None:
        self.points: list[Point] = []
        self._first: dict[str, tuple[datetime, Decimal]] = {}
        self._last: dict[str, tuple[datetime, Decimal]] = {}

    def __call__(self, row: EquityRow) -> None:
        """Take one cycle's row (``Replay.run(on_row=)``)."""
        v = row.valuation
        self.points.append(
            Point(row.at, v.equity, v.cash, v.realized_pnl, v.unrealized_pnl, v.fees, v.tax)
        )
        for symbol, mark in row.marks:
            self._last[symbol] = seen = (row.at, mark)
            self._first.setdefault(symbol, seen)

    def report_data(self, result: ReplayResult) -> ReportData:
        """The report's data of ``result``: these rows, its fills, the marks' ends."""
        prices: dict[str, list[tuple[datetime, Any]]] = {
            symbol: [first] if first is self._last[symbol] else [first, self._last[symbol]]
            for symbol, first in self._first.items()
        }
        return ReportData(
            kind="backtest",
            source="sweep",
            start_equity=result.setup.sim.start_balance,
            points=self.points,
            fills=[_fill_row(f, result) for f in result.fills],
            prices=prices,
        )


def _fill_row(f: Fill, result: ReplayResult) -> FillRow:
    strategy, reason = result.intents.get(f.order_id, ("", ""))
    return FillRow(
        f.timestamp,
        f.symbol,
        f.side.value,
        f.price,
        f.quantity,
        f.fee,
        f.tax,
        str(f.order_id),
        strategy,
        reason,
    )


def run_task(task: Task) -> dict[str, Any]:
    """Run one task; its row (metrics, fingerprint, input hash) and its daily equity.

    A strategy that fails, or a candle file changed since the sweep checked it, stops the
    backtest: the row is then only ``STOPPED``, the line that says so, and the sweep stops on
    it with that one line (exit 2), as ``btcbot backtest`` does. A row, not an exception: Dask
    would retry the task and log the failure three times over. Strategies of your own run
    under the backtest's watchdog, on a local process's main thread and on a Dask worker's
    thread alike.
    """
    with Watchdog() as dog:
        try:
            return _run(task, dog.load)
        except (StrategyFailedError, CandleFileError) as exc:
            return {STOPPED: f"{task.named}: {exc}"}


def _run(task: Task, load: StrategyLoader) -> dict[str, Any]:
    args = argparse.Namespace(
        data=Path(task.data),
        symbols=task.symbols,
        settings=Path(task.settings) if task.settings else None,
        set=list(task.sets),
        start=task.start,
        end=task.end,
    )
    the_plan, record = prepare(args, _candles(task.data, task.symbols), load=load)
    # A point reports no signal counts, so minutes in which nothing can trade need no decision:
    # the same fills and equity series as ``btcbot backtest`` without ``--fast``.
    series = _Series()
    result = the_plan.replay(fast=True).run(on_row=series)
    summary = outputs.summary(the_plan, result, record)
    data = series.report_data(result)
    values = {m.key: m.value for m in metrics(data)}
    row: dict[str, Any] = {
        "key": task.key,
        "window": task.window,
        "phase": task.phase,
        "point": task.point,
        "from": task.start,
        "to": task.end,
        "fingerprint": summary["fingerprint"],
        "input_sha256": summary["input_sha256"],
        "fills": summary["counts"]["fills"],
    }
    for name in METRICS:
        value = values.get(name)
        row[name] = None if isinstance(value, float) and not math.isfinite(value) else value
    row["daily_equity"] = [(d.isoformat(), e) for d, e in daily_equity(data.points)]
    return row
