"""Report metrics, each with the convention it is computed under (shown beside it in the page).

Conventions (chosen once, for both backtests and LIVE databases):

- **Daily returns**: equity at the last valuation of each day, the day boundary being the
  ledger's (Europe/Istanbul midnight, the daily-loss limit's day); the first day's return is
  measured from the starting equity. A day without a valuation has no return (not a zero).
- **Annualization**: 365 periods a year (crypto trades every day); risk-free rate 0.
- **Sharpe**: mean / standard deviation (ddof 1) of daily returns x sqrt(365).
- **Sortino**: mean of daily returns x 365 / (root mean square of the negative daily returns,
  the positive ones counted as 0, x sqrt(365)) - the downside deviation, target 0.
- **CAGR**: (final / start equity of the daily series) ** (365 / days) - 1, days = number of
  daily returns. **Calmar**: CAGR / |max drawdown of the daily series|.
- **Max drawdown**: two figures - on the per-cycle equity (the ledger's own drawdown, what the
  risk limits act on) and on the daily closes (what Calmar uses); duration from the peak to
  the recovery (or the end).
- **Trades** are round trips per symbol, flat to flat, PnL net of every fee and tax on their
  fills; profit factor = gross wins / gross losses; expectancy = mean trade PnL; SQN =
  sqrt(n) x mean / standard deviation (ddof 1) of trade PnL.
- **Exposure time**: share of cycles with something held (equity above cash).
- **Market change**: mean over symbols of last / first price - 1 (the buy-and-hold line).

Figures are floats for display; money totals stay Decimal.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from btcbot.report.data import FillRow, Point, ReportData

DAY_ZONE = ZoneInfo("Europe/Istanbul")
PERIODS = 365
_DUST = Decimal("1e-12")


@dataclass(frozen=True, slots=True)
class Trade:
    """One round trip in one symbol."""

    symbol: str
    opened: datetime
    closed: datetime
    pnl: Decimal
    strategy: str
    exit_reason: str


@dataclass(frozen=True, slots=True)
class Drawdown:
    """The deepest fall below a running peak."""

    pct: float
    peak_at: datetime | None
    trough_at: datetime | None
    recovered_at: datetime | None
    duration: timedelta


def daily_equity(points: Sequence[Point]) -> list[tuple[date, float]]:
    """The last equity of each (Istanbul) day, in order."""
    out: dict[date, float] = {}
    for p in points:
        out[p.at.astimezone(DAY_ZONE).date()] = float(p.equity)
    return list(out.items())


def daily_returns(points: Sequence[Point], start_equity: Decimal) -> list[float]:
    """Each day's return, the first measured from ``start_equity``."""
    previous = float(start_equity)
    out = []
    for _, equity in daily_equity(points):
        out.append(equity / previous - 1 if previous else 0.0)
        previous = equity
    return out


def _mean(xs: Sequence[float]) -> float:
    return math.fsum(xs) / len(xs) if xs else float("nan")


def _std(xs: Sequence[float]) -> float:
    if len(xs) < 2:  # noqa: PLR2004 - a sample deviation needs two values
        return float("nan")
    m = _mean(xs)
    return math.sqrt(math.fsum((x - m) ** 2 for x in xs) / (len(xs) - 1))


def sharpe(returns: Sequence[float]) -> float:
    """Annualized Sharpe ratio of daily returns (see the module docstring)."""
    sd = _std(returns)
    return _mean(returns) / sd * math.sqrt(PERIODS) if sd and not math.isnan(sd) else float("nan")


def sortino(returns: Sequence[float]) -> float:
    """Annualized Sortino ratio of daily returns, target 0."""
    if not returns:
        return float("nan")
    downside = math.sqrt(math.fsum(min(r, 0.0) ** 2 for r in returns) / len(returns))
    if downside == 0:
        return float("inf") if _mean(returns) > 0 else float("nan")
    return _mean(returns) * PERIODS / (downside * math.sqrt(PERIODS))


def cagr(returns: Sequence[float]) -> float:
    """Compound annual growth over the daily returns."""
    if not returns:
        return float("nan")
    growth = math.prod(1 + r for r in returns)
    return growth ** (PERIODS / len(returns)) - 1


def max_drawdown_of_returns(returns: Sequence[float]) -> float:
    """Max drawdown (a negative fraction) of the compounded daily returns."""
    level, peak, worst = 1.0, 1.0, 0.0
    for r in returns:
        level *= 1 + r
        peak = max(peak, level)
        worst = min(worst, level / peak - 1)
    return worst


def calmar(returns: Sequence[float]) -> float:
    """CAGR over the absolute max drawdown of the daily series."""
    dd = max_drawdown_of_returns(returns)
    return cagr(returns) / abs(dd) if dd < 0 else float("nan")


def drawdown(points: Sequence[Point], start_equity: Decimal) -> Drawdown:
    """The deepest per-cycle drawdown below the running peak (the start counts as a peak)."""
    peak, peak_at = float(start_equity), points[0].at if points else None
    worst = Drawdown(0.0, None, None, None, timedelta(0))
    current_peak_at = peak_at
    for p in points:
        equity = float(p.equity)
        if equity >= peak:
            if worst.trough_at is not None and worst.recovered_at is None and worst.pct > 0:
                worst = Drawdown(
                    worst.pct, worst.peak_at, worst.trough_at, p.at, p.at - (worst.peak_at or p.at)
                )
            peak, current_peak_at = equity, p.at
            continue
        pct = (peak - equity) / peak * 100 if peak else 0.0
        if pct > worst.pct:
            end = points[-1].at
            worst = Drawdown(pct, current_peak_at, p.at, None, end - (current_peak_at or end))
    return worst


@dataclass
class _OpenTrip:
    """A round trip still open in one symbol."""

    opened: datetime
    strategy: str
    quantity: Decimal = Decimal(0)
    cash: Decimal = Decimal(0)  # quote received minus paid, fees and tax included


def round_trips(fills: Sequence[FillRow]) -> list[Trade]:
    """Flat-to-flat round trips per symbol, PnL net of fees and tax."""
    open_: dict[str, _OpenTrip] = {}
    trades = []
    for f in sorted(fills, key=lambda x: x.at):
        trip = open_.setdefault(f.symbol, _OpenTrip(opened=f.at, strategy=f.strategy))
        sign = 1 if f.side == "buy" else -1
        trip.quantity += sign * f.quantity
        trip.cash += -sign * f.price * f.quantity - f.fee - f.tax
        if f.side == "sell" and abs(trip.quantity) <= _DUST:
            trades.append(
                Trade(f.symbol, trip.opened, f.at, trip.cash, trip.strategy, exit_reason=f.reason)
            )
            del open_[f.symbol]
    return trades


@dataclass(frozen=True, slots=True)
class Metric:
    """One row of the metrics table."""

    key: str
    label: str
    value: float | str
    unit: str
    convention: str


def metrics(data: ReportData) -> list[Metric]:
    """Every metric of the page, in display order, with its convention."""
    pts, start = data.points, data.start_equity
    returns = daily_returns(pts, start)
    trades = round_trips(data.fills)
    wins = [float(t.pnl) for t in trades if t.pnl > 0]
    losses = [float(t.pnl) for t in trades if t.pnl < 0]
    pnls = [float(t.pnl) for t in trades]
    dd = drawdown(pts, start)
    final = pts[-1]
    held = sum(1 for p in pts if p.equity != p.cash)
    daily = "daily returns, Istanbul midnight, 365/yr, risk-free 0"
    return [
        Metric("return_pct", "Return", (float(final.equity / start) - 1) * 100, "%",
               "final / starting equity - 1"),
        Metric("cagr_pct", "CAGR", cagr(returns) * 100, "%",
               f"(1+r) compounded over {len(returns)} days, ** (365/days) - 1"),
        Metric("sharpe", "Sharpe", sharpe(returns), "",
               f"mean / std (ddof 1) x sqrt(365); {daily}"),
        Metric("sortino", "Sortino", sortino(returns), "",
               f"mean x 365 / (downside deviation, target 0, x sqrt(365)); {daily}"),
        Metric("calmar", "Calmar", calmar(returns), "", "CAGR / |max drawdown of daily closes|"),
        Metric("max_drawdown_pct", "Max drawdown", dd.pct, "%",
               "deepest fall of per-cycle equity below its running peak (the start counts)"),
        Metric("max_drawdown_daily_pct", "Max drawdown (daily)",
               -max_drawdown_of_returns(returns) * 100, "%", "the same on daily closes"),
        Metric("max_drawdown_days", "Drawdown duration", dd.duration.total_seconds() / 86400,
               "days", "from the peak before the deepest drawdown to recovery (or the end)"),
        Metric("trades", "Trades", float(len(trades)), "trades",
               "round trips, flat to flat, per symbol"),
        Metric("win_rate_pct", "Win rate",
               len(wins) / len(trades) * 100 if trades else float("nan"),
               "%", "round trips with PnL > 0 (net of fees and tax)"),
        Metric("profit_factor", "Profit factor",
               math.fsum(wins) / -math.fsum(losses) if losses else float("nan"), "",
               "gross profit / gross loss of round trips"),
        Metric("expectancy_try", "Expectancy", _mean(pnls) if pnls else float("nan"), "TRY",
               "mean round-trip PnL, net"),
        Metric("sqn", "SQN", math.sqrt(len(pnls)) * _mean(pnls) / _std(pnls)
               if len(pnls) > 1 and _std(pnls) else float("nan"), "",
               "sqrt(trades) x mean / std (ddof 1) of round-trip PnL"),
        Metric("exposure_pct", "Exposure time", held / len(pts) * 100, "%",
               "share of cycles holding something (equity above cash)"),
        Metric("fees_and_tax_try", "Fees + tax", float(final.fees + final.tax), "TRY",
               "commission and its tax paid, as the ledger books them"),
        Metric("market_change_pct", "Market change", market_change(data) * 100, "%",
               "mean over symbols of last / first price - 1"),
    ]  # fmt: skip


def market_change(data: ReportData) -> float:
    """Mean over symbols of the price's relative change (nan without prices)."""
    changes = [
        float(series[-1][1] / series[0][1]) - 1
        for series in data.prices.values()
        if len(series) >= 2 and series[0][1]  # noqa: PLR2004 - a change needs two prices
    ]
    return _mean(changes) if changes else float("nan")


def buy_and_hold(data: ReportData) -> list[tuple[datetime, float]]:
    """Starting equity split evenly over the symbols at their first price, held throughout."""
    series = {s: v for s, v in data.prices.items() if v}
    if not series or data.kind != "backtest":
        return []
    first = {s: float(v[0][1]) for s, v in series.items()}
    last: dict[str, float] = dict(first)
    by_time: dict[datetime, dict[str, float]] = {}
    for symbol, values in series.items():
        for at, price in values:
            by_time.setdefault(at, {})[symbol] = float(price)
    out = []
    share = float(data.start_equity) / len(first)
    for at in sorted(by_time):
        last.update(by_time[at])
        out.append((at, math.fsum(share * last[s] / first[s] for s in first)))
    return out
