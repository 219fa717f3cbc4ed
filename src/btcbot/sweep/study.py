"""A sweep from start to end: points x windows, the best per window, the out-of-sample check.

1. Every point runs over every train window (or over the whole span without walk-forward).
2. With walk-forward, each window's best point by the objective (ties: the first point) runs
   over the window's test span: the out-of-sample result. The test returns are compounded into
   one stitched out-of-sample figure, next to the in-sample best of each window, and the chosen
   values per parameter show how stable the choice was.
3. ``results.csv`` (one row per point and window, sorted, so a resumed or a distributed sweep
   writes the same bytes), ``best.json`` and ``report.html``, each written atomically.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from btcbot.observability.atomic import SHARED_READABLE, atomic_write_text
from btcbot.sweep.runner import Journal, Row, engine, execute, read_journal
from btcbot.sweep.space import Point, Window
from btcbot.sweep.tasks import METRICS, Task

OBJECTIVES = ("sharpe", "sortino", "calmar", "return_pct", "cagr_pct", "profit_factor")


@dataclass(frozen=True, slots=True)
class Study:
    """What to sweep, over what, on which engine."""

    data: str
    symbols: str | None
    settings: str | None
    base_sets: tuple[str, ...]
    points: tuple[Point, ...]
    windows: tuple[Window, ...]
    objective: str
    out: Path
    workers: int
    scheduler: str | None


@dataclass
class Outcome:
    """What a run of the study did."""

    rows: list[Row]
    computed: int
    reused: int
    best: dict[str, Any]


def task_for(study: Study, point: Point, window: Window, phase: str) -> Task:
    """The backtest of ``point`` over ``window``'s train span, or its test span."""
    span = window.train if phase != "test" else window.test
    assert span is not None  # noqa: S101 - test tasks exist only for walk-forward windows
    return Task(
        data=study.data,
        symbols=study.symbols,
        settings=study.settings,
        sets=(*study.base_sets, *point.sets()),
        start=span[0].isoformat(),
        end=span[1].isoformat(),
        point=point.key,
        window=window.index,
        phase=phase,
    )


def score(row: Row, objective: str) -> float:
    """The row's objective; -inf when undefined (never the best)."""
    value = row.get(objective)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else -math.inf


def run_study(study: Study, on_row: Callable[[Row], None] = lambda _r: None) -> Outcome:
    """Run (or resume) the study; write results.csv, best.json (the page is the caller's)."""
    done = read_journal(study.out)
    before = set(done)
    walk = study.windows[0].test is not None
    phase = "train" if walk else "full"
    first = [task_for(study, p, w, phase) for w in study.windows for p in study.points]
    tests: list[Task] = []
    # The engine first: an unreachable scheduler is refused before anything is written.
    with engine(workers=study.workers, scheduler=study.scheduler) as run:
        journal = Journal(study.out)
        try:
            computed = execute(first, run, journal, done, on_row)
            if walk:
                for window in study.windows:
                    best = _best(study, window, done, phase)
                    tests.append(task_for(study, best, window, "test"))
                computed += execute(tests, run, journal, done, on_row)
        finally:
            journal.close()
    wanted = {t.key for t in first} | {t.key for t in tests}
    rows = sorted((done[k] for k in wanted), key=lambda r: (r["window"], r["phase"], r["point"]))
    chosen = summary(study, rows)
    write_results(study, rows)
    _atomic(study.out / "best.json", json.dumps(chosen, indent=2, sort_keys=True) + "\n")
    return Outcome(rows, computed, len(wanted & before), chosen)


def _best(study: Study, window: Window, done: dict[str, Row], phase: str) -> Point:
    scored = [
        (score(done[f"{window.index}:{phase}:{p.key}"], study.objective), -n, p)
        for n, p in enumerate(study.points)
    ]
    return max(scored, key=lambda s: (s[0], s[1]))[2]


def summary(study: Study, rows: Sequence[Row]) -> dict[str, Any]:
    """``best.json``: the best point in-sample, and per window the out-of-sample check."""
    params = {p.key: dict(p.params) for p in study.points}
    first_phase = "train" if study.windows[0].test is not None else "full"
    out: dict[str, Any] = {"objective": study.objective, "windows": []}
    oos_growth = 1.0
    chosen: dict[str, list[str]] = {}
    for window in study.windows:
        in_sample = [r for r in rows if r["window"] == window.index and r["phase"] == first_phase]
        top = max(in_sample, key=lambda r: (score(r, study.objective), -_order(study, r["point"])))
        entry: dict[str, Any] = {
            "window": window.index,
            "train": [window.train[0].isoformat(), window.train[1].isoformat()],
            "best_point": top["point"],
            "params": params[top["point"]],
            "in_sample": {m: top.get(m) for m in METRICS},
            "fingerprint": top["fingerprint"],
        }
        for name, value in params[top["point"]].items():
            chosen.setdefault(name, []).append(value)
        test = [r for r in rows if r["window"] == window.index and r["phase"] == "test"]
        if window.test is not None and test:
            entry["test"] = [window.test[0].isoformat(), window.test[1].isoformat()]
            entry["out_of_sample"] = {m: test[0].get(m) for m in METRICS}
            ret = test[0].get("return_pct")
            oos_growth *= 1 + (float(ret) / 100 if isinstance(ret, int | float) else 0.0)
        out["windows"].append(entry)
    if study.windows[0].test is not None:
        out["out_of_sample_return_pct"] = (oos_growth - 1) * 100
        out["parameter_stability"] = {
            name: {"chosen": values, "distinct": len(set(values))}
            for name, values in chosen.items()
        }
    out["best"] = out["windows"][0] if len(study.windows) == 1 else None
    return out


def _order(study: Study, key: str) -> int:
    return next(n for n, p in enumerate(study.points) if p.key == key)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_results(study: Study, rows: Sequence[Row]) -> None:
    """``results.csv``: every parameter, the metrics, the fingerprint, how to reproduce it."""
    params = {p.key: dict(p.params) for p in study.points}
    names = list(dict.fromkeys(n for p in study.points for n, _ in p.params))
    head = ["window", "phase", "from", "to", "point", *names, *METRICS, "fills"]
    head += ["fingerprint", "input_sha256", "reproduce"]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(head)
    for r in rows:
        values = params[r["point"]]
        command = ["btcbot backtest", f"--data {study.data}"]
        if study.symbols:
            command.append(f"--symbols {study.symbols}")
        command += [f"--from {r['from']}", f"--to {r['to']}"]
        command += [
            f"--set {s}" for s in (*study.base_sets, *(f"{k}={v}" for k, v in values.items()))
        ]
        w.writerow(
            [r["window"], r["phase"], r["from"], r["to"], r["point"]]
            + [values.get(n, "") for n in names]
            + [_cell(r.get(m)) for m in METRICS]
            + [r.get("fills", ""), r["fingerprint"], r["input_sha256"], " ".join(command)]
        )
    _atomic(study.out / "results.csv", out.getvalue())


def _atomic(path: Path, text: str) -> None:
    atomic_write_text(path, text, mode=SHARED_READABLE)
