"""The report's charts: matplotlib rendered to inline SVG - static, offline, deterministic.

matplotlib (the ``report`` extra) draws to SVG text with no script and no external resource;
with a fixed hash salt and no date in the metadata the same data gives the same bytes. Long
series are downsampled to at most ``MAX_POINTS`` by keeping each bucket's minimum and maximum
(in time order), so a year of minutes stays a small file and no spike disappears.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from btcbot.report.data import ReportData
from btcbot.report.metrics import Drawdown, Trade, buy_and_hold

MAX_POINTS = 2000
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.DOTALL)
WIDTH, HEIGHT = 9.0, 2.8


class MissingExtraError(RuntimeError):
    """matplotlib is not installed (the ``report`` extra)."""


def pyplot() -> Any:
    """Matplotlib's pyplot, set up once for every page (Agg, fixed SVG salt, text as text)."""
    try:
        import matplotlib as mpl  # noqa: PLC0415 - the report extra, imported only to draw

        mpl.use("Agg")
        import matplotlib.pyplot as plt  # noqa: PLC0415 - same
    except ImportError:
        raise MissingExtraError(
            "btcbot report needs matplotlib: pip install 'btcbot[report]'"
        ) from None
    mpl.rcParams.update(
        {
            "svg.hashsalt": "btcbot-report",
            "svg.fonttype": "none",
            "font.size": 8,
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
        }
    )
    return plt


def downsample(series: Sequence[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """At most ``MAX_POINTS`` points: each bucket's min and max, in time order."""
    if len(series) <= MAX_POINTS:
        return list(series)
    buckets = MAX_POINTS // 2
    size = len(series) / buckets
    out: list[tuple[datetime, float]] = []
    for b in range(buckets):
        chunk = series[int(b * size) : int((b + 1) * size)]
        if not chunk:
            continue
        low = min(chunk, key=lambda p: p[1])
        high = max(chunk, key=lambda p: p[1])
        out.extend(sorted({low, high}, key=lambda p: p[0]))
    return out


def finish(fig: Any, *, dates: bool = True) -> str:
    """``fig`` as inline SVG text (date labels slanted when the x axis is time), then closed."""
    if dates:
        fig.autofmt_xdate()
    svg = _svg(fig)
    pyplot().close(fig)
    return svg


def _svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None}, bbox_inches="tight")
    text = buf.getvalue()
    start = text.find("<svg")
    text = text[start:] if start >= 0 else text
    # The RDF block only names the producing library; the page is smaller without it.
    return _METADATA.sub("", text)


def equity_chart(data: ReportData) -> str:
    """Equity against buy-and-hold of the same symbols."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    eq = downsample([(p.at, float(p.equity)) for p in data.points])
    ax.plot([t for t, _ in eq], [v for _, v in eq], color="#1f5fa8", lw=1.2, label="equity")
    hold = downsample(buy_and_hold(data))
    if hold:
        ax.plot([t for t, _ in hold], [v for _, v in hold], color="#999", lw=1, ls="--",
                label="buy and hold")  # fmt: skip
    ax.set_ylabel("TRY")
    ax.legend(loc="upper left", frameon=False)
    ax.set_title("Equity")
    return finish(fig)


def drawdown_chart(data: ReportData, worst: Drawdown) -> str:
    """Underwater curve (percent below the running peak), the deepest point marked."""
    plt = pyplot()
    peak = float(data.start_equity)
    under = []
    for p in data.points:
        equity = float(p.equity)
        peak = max(peak, equity)
        under.append((p.at, -(peak - equity) / peak * 100 if peak else 0.0))
    series = downsample(under)
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT * 0.8))
    ax.fill_between([t for t, _ in series], [v for _, v in series], 0, color="#c0392b", alpha=0.4)
    if worst.trough_at is not None:
        ax.annotate(f"-{worst.pct:.2f} %", (worst.trough_at, -worst.pct), color="#c0392b",
                    xytext=(5, -10), textcoords="offset points")  # fmt: skip
        ax.plot([worst.trough_at], [-worst.pct], "v", color="#c0392b")
    ax.set_ylabel("% below peak")
    ax.set_title("Drawdown")
    return finish(fig)


def price_chart(data: ReportData, symbol: str) -> str:
    """The symbol's price with our buys and sells."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT))
    series = downsample([(t, float(v)) for t, v in data.prices.get(symbol, [])])
    if series:
        ax.plot([t for t, _ in series], [v for _, v in series], color="#444", lw=0.8, label="price")
    for side, marker, colour in (("buy", "^", "#1e8449"), ("sell", "v", "#c0392b")):
        pts = [(f.at, float(f.price)) for f in data.fills if f.symbol == symbol and f.side == side]
        if pts:
            ax.scatter([t for t, _ in pts], [v for _, v in pts], marker=marker, s=14,
                       color=colour, label=side, zorder=3)  # fmt: skip
    ax.set_title(f"{symbol}: price and fills")
    ax.legend(loc="upper left", frameon=False)
    return finish(fig)


def trades_chart(trades: Sequence[Trade]) -> str:
    """PnL of each round trip, in order."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(WIDTH, HEIGHT * 0.8))
    values = [float(t.pnl) for t in trades]
    colours = ["#1e8449" if v > 0 else "#c0392b" for v in values]
    ax.bar(range(1, len(values) + 1), values, color=colours, width=0.9)
    ax.axhline(0, color="#444", lw=0.6)
    ax.set_xlabel("round trip")
    ax.set_ylabel("TRY")
    ax.set_title("PnL per trade (net of fees and tax)")
    return finish(fig, dates=False)
