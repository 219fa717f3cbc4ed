"""One self-contained HTML page: summary, charts (inline SVG), metrics with conventions, tables.

No script, no stylesheet, font or image from anywhere but the file itself; printable (charts
avoid page breaks). Every number is formatted here: money with 2 decimals, prices and
quantities as plain decimals (never ``0E-16``), ratios with 2 to 4 digits.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from btcbot.report import charts
from btcbot.report.data import ReportData, symbols_of
from btcbot.report.metrics import (
    DAY_ZONE,
    Metric,
    Trade,
    daily_equity,
    drawdown,
    metrics,
    round_trips,
)

NO_TRADES = "<p>No round trip.</p>"
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#222;margin:24px auto;
max-width:1100px;padding:0 16px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #ddd}
.summary{background:#f4f6f8;padding:10px 14px;border-radius:6px}
table{border-collapse:collapse;margin:6px 0 12px;font-variant-numeric:tabular-nums}
td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:right}
th:first-child,td:first-child{text-align:left}th{background:#fafafa}
.chart{break-inside:avoid;margin:8px 0}.chart svg{width:100%;height:auto}
.conv{color:#666;font-size:12px;text-align:left}.ids{font:12px monospace;color:#555}
.pos{background:#d5f0dc}.neg{background:#f6d5d1}
@media print{body{margin:0;max-width:none}}
"""


def _money(value: Decimal | float) -> str:
    return f"{float(value):,.2f}"


def _num(value: float | str, unit: str) -> str:
    if isinstance(value, str):
        return html.escape(value)
    if math.isnan(value):
        return "n/a"
    if math.isinf(value):
        return "inf"
    if unit == "TRY":
        return _money(value)
    if unit == "trades":
        return f"{value:,.0f}"
    return f"{value:,.2f}" if unit in ("%", "days") else f"{value:.4f}"


def _table(head: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{cells}</tr>{body}</table>"


def metrics_table(rows: Sequence[Metric]) -> str:
    """Metric, value, and its convention (also the row's tooltip)."""
    body = "".join(
        f'<tr title="{html.escape(m.convention)}"><td>{html.escape(m.label)}</td>'
        f"<td>{_num(m.value, m.unit)} {html.escape(m.unit if m.unit != 'trades' else '')}</td>"
        f'<td class="conv">{html.escape(m.convention)}</td></tr>'
        for m in rows
    )
    return f"<table><tr><th>metric</th><th>value</th><th>convention</th></tr>{body}</table>"


def _by(trades: Sequence[Trade], key: str) -> str:
    groups: dict[str, list[Trade]] = defaultdict(list)
    for t in trades:
        groups[str(getattr(t, key)) or "(not recorded)"].append(t)
    rows = []
    for name in sorted(groups):
        ts = groups[name]
        pnl = sum((t.pnl for t in ts), Decimal(0))
        wins = sum(1 for t in ts if t.pnl > 0)
        rows.append([html.escape(name), str(len(ts)), f"{wins / len(ts) * 100:.1f} %", _money(pnl)])
    return _table([key.replace("_", " "), "trades", "win rate", "PnL TRY"], rows)


def symbol_table(data: ReportData, trades: Sequence[Trade]) -> str:
    """Per symbol: fills, bought and sold value, fees and tax, round-trip PnL."""
    rows = []
    for symbol in symbols_of(data):
        fills = [f for f in data.fills if f.symbol == symbol]
        bought = sum((f.price * f.quantity for f in fills if f.side == "buy"), Decimal(0))
        sold = sum((f.price * f.quantity for f in fills if f.side == "sell"), Decimal(0))
        costs = sum((f.fee + f.tax for f in fills), Decimal(0))
        pnl = sum((t.pnl for t in trades if t.symbol == symbol), Decimal(0))
        rows.append(
            [symbol, str(len(fills)), _money(bought), _money(sold), _money(costs), _money(pnl)]
        )
    head = ["symbol", "fills", "bought TRY", "sold TRY", "fees + tax TRY", "round trips PnL TRY"]
    return _table(head, rows)


def period_tables(data: ReportData) -> str:
    """Returns per month (a heat table), and per week and day (the last 31 days)."""
    daily = daily_equity(data.points)
    previous = float(data.start_equity)
    per: dict[str, dict[str, float]] = {"month": {}, "week": {}, "day": {}}
    opened: dict[str, dict[str, float]] = {"month": {}, "week": {}, "day": {}}
    for day, equity in daily:
        iso = day.isocalendar()
        keys = {"month": f"{day:%Y-%m}", "week": f"{iso.year}-W{iso.week:02d}", "day": f"{day}"}
        for kind, key in keys.items():
            opened[kind].setdefault(key, previous)
            per[kind][key] = equity
        previous = equity

    def rows(kind: str, last: int | None = None) -> list[list[str]]:
        items = list(per[kind].items())[-last:] if last else list(per[kind].items())
        out = []
        for key, end in items:
            change = (end / opened[kind][key] - 1) * 100 if opened[kind][key] else 0.0
            css = "pos" if change > 0 else "neg" if change < 0 else ""
            out.append([key, f'<span class="{css}">{change:+.2f} %</span>', _money(end)])
        return out

    head = ["period", "return", "equity at close TRY"]
    return (
        f"<h3>Per month</h3>{_table(head, rows('month'))}"
        f"<h3>Per week</h3>{_table(head, rows('week'))}"
        f"<h3>Per day (last 31)</h3>{_table(head, rows('day', 31))}"
    )


def render(data: ReportData) -> str:
    """The whole page."""
    trades = round_trips(data.fills)
    worst = drawdown(data.points, data.start_equity)
    table = metrics(data)
    first, last = data.points[0], data.points[-1]
    ret = (float(last.equity / data.start_equity) - 1) * 100
    summary = (
        f"<b>{html.escape(data.kind)}</b> · {first.at:%Y-%m-%d %H:%M} to "
        f"{last.at:%Y-%m-%d %H:%M} UTC"
        f" · equity {_money(data.start_equity)} → {_money(last.equity)} TRY ({ret:+.2f} %)"
        f" · max drawdown {worst.pct:.2f} % · {len(trades)} trades, {len(data.fills)} fills"
        f" · fees + tax {_money(last.fees + last.tax)} TRY"
        f" · realized {_money(last.realized)}, unrealized {_money(last.unrealized)} TRY"
    )
    ids = "".join(f"<div>{html.escape(k)}: {html.escape(v)}</div>" for k, v in data.ids.items())
    prices = "".join(
        f'<div class="chart">{charts.price_chart(data, s)}</div>' for s in symbols_of(data)
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>btcbot report: {html.escape(data.kind)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>btcbot report · {html.escape(data.kind)}</h1>",
        f'<p class="summary">{summary}</p>',
        f'<div class="ids">source: {html.escape(data.source)}{ids}</div>',
        f'<div class="chart">{charts.equity_chart(data)}</div>',
        f'<div class="chart">{charts.drawdown_chart(data, worst)}</div>',
        "<h2>Metrics</h2>",
        metrics_table(table),
        (
            f"<p class='conv'>Days end at midnight {DAY_ZONE.key} (the ledger's daily-loss day). "
            "Ratios are n/a where they are undefined (no loss, one day, no trade).</p>"
        ),
        "<h2>Prices and fills</h2>",
        prices or "<p>No prices or fills in this period.</p>",
        "<h2>Trades</h2>",
        f'<div class="chart">{charts.trades_chart(trades)}</div>'
        if trades
        else "<p>No round trip.</p>",
        "<h3>Per symbol</h3>",
        symbol_table(data, trades),
        "<h3>Per strategy</h3>",
        _by(trades, "strategy"),
        "<h3>Per exit reason</h3>",
        _by(trades, "exit_reason"),
        "<h2>Returns by period</h2>",
        period_tables(data),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
