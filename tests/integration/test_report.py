"""The report's figures: metrics against empyrical, the demo's own numbers, byte-identical pages.

empyrical-reloaded is an independent implementation (test-only dependency). Its conventions
differ from ours in two stated places, and the expected values are computed under ours:
annualization 365 (empyrical defaults to 252 for daily returns), and the starting equity counts
as a peak for the max drawdown (empyrical's series starts at the first return), so its max
drawdown and Calmar are fed the returns with a leading 0 (the start).
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from pathlib import Path

import empyrical
import numpy as np
import pytest
from candle_files import write_candles

from btcbot.backtest import outputs
from btcbot.backtest.candles import candle_paths, load
from btcbot.backtest.engine import ReplaySetup
from btcbot.backtest.plan import plan
from btcbot.report import page
from btcbot.report.data import from_backtest, from_database
from btcbot.report.metrics import (
    cagr,
    calmar,
    daily_returns,
    drawdown,
    max_drawdown_of_returns,
    sharpe,
    sortino,
)
from btcbot.wiring import build_live
from btcbot.wiring.demo import DemoOptions, run_demo

REL = 1e-9


def _backtest(tmp: Path, seed: int) -> Path:
    """Six days of two pairs at five-minute cycles, written as `btcbot backtest --out` does."""
    data = write_candles(tmp / f"data{seed}", minutes=6 * 1440, seed=seed)
    base = ReplaySetup(symbols=("BTCTRY", "ETHTRY"), cycle_seconds=300)
    the_plan = plan(load(candle_paths(data[0].parent)), base, start=None, end=None, settings={})
    result = the_plan.replay().run()
    out = tmp / f"bt{seed}"
    outputs.write_all(
        out,
        {
            "summary.json": outputs.render(
                outputs.summary(the_plan, result, {"symbols": ["BTCTRY", "ETHTRY"]})
            ),
            "trades.csv": outputs.trades_csv(result),
            "equity.csv": outputs.equity_csv(result),
        },
    )
    return out


def _close(ours: float, theirs: float) -> bool:
    return math.isclose(ours, theirs, rel_tol=REL, abs_tol=1e-12)


@pytest.mark.parametrize("seed", [101, 202, 303])
def test_metrics_agree_with_empyrical_under_the_stated_convention(
    tmp_path: Path, seed: int
) -> None:
    """Sharpe, Sortino, max drawdown, CAGR and Calmar of the exported equity series."""
    data = from_backtest(_backtest(tmp_path, seed))
    returns = daily_returns(data.points, data.start_equity)
    series = np.asarray(returns)
    with_start = np.asarray([0.0, *returns])
    assert len(returns) >= 6
    assert any(r != 0 for r in returns)
    assert _close(sharpe(returns), empyrical.sharpe_ratio(series, annualization=365))
    assert _close(sortino(returns), empyrical.sortino_ratio(series, annualization=365))
    assert _close(cagr(returns), empyrical.annual_return(series, annualization=365))
    assert _close(max_drawdown_of_returns(returns), empyrical.max_drawdown(with_start))
    expected_calmar = empyrical.annual_return(series, annualization=365) / abs(
        empyrical.max_drawdown(with_start)
    )
    assert _close(calmar(returns), expected_calmar)


def test_the_report_of_the_demo_database_agrees_with_the_demo(tmp_path: Path) -> None:
    """Equity, realized and unrealized PnL, fees + tax and max drawdown, as the demo printed."""
    opts = DemoOptions(workspace=tmp_path / "demo", cycles=120)
    report = run_demo(
        opts,
        lambda settings, clock, transport: build_live(settings, clock=clock, transport=transport),
    )
    figures = report.figures
    data = from_database(opts.workspace / "live" / "state.db", mode="sim")
    last = data.points[-1]
    assert last.equity == figures.equity
    assert last.realized == figures.realized_pnl
    assert last.unrealized == figures.unrealized_pnl
    assert last.fees + last.tax == figures.fees_and_tax
    worst = drawdown(data.points, data.start_equity)
    assert abs(Decimal(str(worst.pct)) - figures.max_drawdown_pct) < Decimal("1e-9")
    assert len(data.fills) == figures.fills
    html = page.render(data)
    assert f"{float(figures.equity):,.2f}" in html


def test_the_same_backtest_gives_byte_identical_pages(tmp_path: Path) -> None:
    """No generation time, no random ids: the page depends only on its input."""
    out = _backtest(tmp_path, 101)
    first = page.render(from_backtest(out))
    second = page.render(from_backtest(out))
    assert first == second
    assert "<script" not in first
    assert "<link" not in first
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", first) is None
    assert re.search(r"url\(\s*['\"]?(https?:|//)", first) is None
