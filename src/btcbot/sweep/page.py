"""The sweep's page, in the style of ``btcbot report``: top points, a heatmap, out-of-sample."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from datetime import date
from typing import Any

from btcbot.report import charts
from btcbot.report.page import STYLE
from btcbot.sweep.runner import Row
from btcbot.sweep.study import Study, score
from btcbot.sweep.tasks import METRICS

TOP = 20


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return "n/a" if not math.isfinite(value) else f"{value:,.4f}"
    return html.escape("" if value is None else str(value))


def _heatmap(study: Study, rows: Sequence[Row]) -> str:
    names = list(dict.fromkeys(n for p in study.points for n, _ in p.params))
    if len(names) != 2:  # noqa: PLR2004 - a heatmap shows exactly two parameters
        return ""
    plt = charts.pyplot()
    params = {p.key: dict(p.params) for p in study.points}
    xs = list(dict.fromkeys(params[p.key][names[0]] for p in study.points))
    ys = list(dict.fromkeys(params[p.key][names[1]] for p in study.points))
    grid = [[math.nan] * len(xs) for _ in ys]
    for r in rows:
        if r["window"] == 0 and r["phase"] in ("full", "train"):
            v = r.get(study.objective)
            px = params[r["point"]]
            grid[ys.index(px[names[1]])][xs.index(px[names[0]])] = (
                float(v) if isinstance(v, int | float) else math.nan
            )
    fig, ax = plt.subplots(figsize=(6, 4))
    image = ax.imshow(grid, origin="lower", aspect="auto", cmap="RdYlGn")
    ax.set_xticks(range(len(xs)), xs)
    ax.set_yticks(range(len(ys)), ys)
    ax.set_xlabel(names[0])
    ax.set_ylabel(names[1])
    ax.grid(visible=False)
    fig.colorbar(image, ax=ax, label=study.objective)
    ax.set_title(f"{study.objective} (window 0, in-sample)")
    return f'<div class="chart">{charts.finish(fig, dates=False)}</div>'


def _oos_chart(rows: Sequence[Row]) -> str:
    tests = sorted((r for r in rows if r["phase"] == "test"), key=lambda r: r["window"])
    if not tests:
        return ""
    plt = charts.pyplot()
    level, xs, ys = 1.0, [], []
    for row in tests:
        daily = row.get("daily_equity") or []
        if not daily:
            continue
        base = float(daily[0][1])
        for day, equity in daily:
            xs.append(date.fromisoformat(day))
            ys.append(level * float(equity) / base)
        level = ys[-1]
    fig, ax = plt.subplots(figsize=(charts.WIDTH, charts.HEIGHT))
    ax.plot(xs, ys, color="#1f5fa8", lw=1.2)
    ax.set_title("Out-of-sample equity, test windows stitched (1 = start)")
    return f'<div class="chart">{charts.finish(fig)}</div>'


def render(study: Study, rows: Sequence[Row], best: dict[str, Any]) -> str:
    """The page."""
    params = {p.key: dict(p.params) for p in study.points}
    names = list(dict.fromkeys(n for p in study.points for n, _ in p.params))
    first_phase = "train" if study.windows[0].test is not None else "full"
    ranked = sorted(
        (r for r in rows if r["window"] == 0 and r["phase"] == first_phase),
        key=lambda r: -score(r, study.objective),
    )[:TOP]
    head = "".join(f"<th>{html.escape(h)}</th>" for h in ["point", *names, *METRICS])
    body = "".join(
        "<tr>"
        f"<td>{r['point']}</td>"
        + "".join(f"<td>{html.escape(params[r['point']][n])}</td>" for n in names)
        + "".join(f"<td>{_fmt(r.get(m))}</td>" for m in METRICS)
        + "</tr>"
        for r in ranked
    )
    windows = "".join(
        f"<tr><td>{w['window']}</td><td>{w['train'][0]} .. {w['train'][1]}</td>"
        f"<td>{html.escape(', '.join(f'{k}={v}' for k, v in w['params'].items()))}</td>"
        f"<td>{_fmt(w['in_sample'].get(study.objective))}</td>"
        f"<td>{_fmt((w.get('out_of_sample') or {}).get(study.objective))}</td>"
        f"<td>{_fmt((w.get('out_of_sample') or {}).get('return_pct'))}</td></tr>"
        for w in best["windows"]
    )
    oos = best.get("out_of_sample_return_pct")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8"><title>btcbot sweep</title>',
        f"<style>{STYLE}</style></head><body>",
        "<h1>btcbot sweep</h1>",
        f'<p class="summary">{len(study.points)} points x {len(study.windows)} window(s), '
        f"objective <b>{html.escape(study.objective)}</b>"
        + (f" · stitched out-of-sample return {oos:+.2f} %" if oos is not None else "")
        + "</p>",
        _heatmap(study, rows),
        "<h2>Walk-forward: in-sample best against out-of-sample</h2>",
        (
            "<table><tr><th>window</th><th>train</th><th>chosen</th>"
            f"<th>in-sample {html.escape(study.objective)}</th>"
            f"<th>out-of-sample {html.escape(study.objective)}</th>"
            f"<th>out-of-sample return %</th></tr>{windows}</table>"
        ),
        _oos_chart(rows),
        f"<h2>Top {TOP} points (window 0, in-sample)</h2>",
        f"<table><tr>{head}</tr>{body}</table>",
        (
            "<p class='conv'>Metrics and their conventions: docs/REPORT.md. Every row of "
            "results.csv is reproduced by its 'reproduce' command, to the same fingerprint.</p>"
        ),
        "</body></html>",
    ]
    return "\n".join(parts) + "\n"
