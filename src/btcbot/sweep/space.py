"""The points of a sweep (grids and seeded random draws) and its walk-forward windows.

A point is a tuple of ``(NAME, VALUE)`` settings, NAME being any variable ``btcbot backtest``
takes (``--set NAME=VALUE``); its ``key`` is a short hash of them, stable across runs, so a
resumed sweep recognises what it already computed.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import re
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from btcbot.domain.errors import ConfigError
from btcbot.domain.fingerprint import plain

_NAME = re.compile(r"^[A-Z][A-Z0-9_]*$")
_WINDOW = re.compile(r"^(\d+)d/(\d+)d$")
_DECIMAL_RANGE = Decimal(10) ** 20


@dataclass(frozen=True, slots=True)
class Point:
    """One combination of settings."""

    params: tuple[tuple[str, str], ...]

    @property
    def key(self) -> str:
        """12 hex digits of sha256 over the sorted ``NAME=VALUE`` pairs."""
        text = "\n".join(f"{k}={v}" for k, v in sorted(self.params))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]

    def sets(self) -> list[str]:
        """The ``--set`` arguments that reproduce it."""
        return [f"{k}={v}" for k, v in self.params]


def _name(raw: str, flag: str) -> str:
    name = raw.strip()
    if not _NAME.match(name):
        example = "STRATEGY_TREND_FAST_WINDOW"
        raise ConfigError(f"{flag} {raw!r}: NAME must be a setting like {example}")
    return name


def grid(items: list[str]) -> list[Point]:
    """``NAME=V1,V2,...`` per item: every combination, in the order given."""
    axes: list[tuple[str, list[str]]] = []
    for item in items:
        raw_name, sep, raw_values = item.partition("=")
        name = _name(raw_name, "--grid")
        values = [v.strip() for v in raw_values.split(",") if v.strip()]
        if not sep or not values:
            raise ConfigError(f"--grid {item!r}: expected NAME=V1,V2,... with at least one value")
        if len(set(values)) != len(values):
            raise ConfigError(f"--grid {item!r}: a value is listed twice")
        if name in {n for n, _ in axes}:
            raise ConfigError(f"--grid {name} is given twice: list all its values in one --grid")
        axes.append((name, values))
    names = [n for n, _ in axes]
    return [
        Point(tuple(zip(names, combo, strict=True)))
        for combo in itertools.product(*(v for _, v in axes))
    ]


def _bounds(item: str) -> tuple[str, Decimal, Decimal, bool]:
    raw_name, sep, span = item.partition("=")
    name = _name(raw_name, "--range")
    lo_text, dots, hi_text = span.partition("..")
    try:
        lo, hi = Decimal(lo_text.strip()), Decimal(hi_text.strip())
    except InvalidOperation:
        lo = hi = Decimal("NaN")
    if not sep or not dots or not lo.is_finite() or not hi.is_finite() or lo > hi:
        raise ConfigError(f"--range {item!r}: expected NAME=LO..HI with LO <= HI, e.g. X=5..30")
    integral = "." not in lo_text and "." not in hi_text
    if not integral and max(abs(lo), abs(hi)) >= _DECIMAL_RANGE:
        # A draw is kept to four decimals, in Decimal's 28 digits: 10^30 would not fit.
        raise ConfigError(f"--range {item!r}: a range with decimals must lie within +-10^20")
    return name, lo, hi, integral


def random_points(count: int, seed: int, ranges: list[str]) -> list[Point]:
    """``count`` distinct draws (seeded): integers where both bounds are, else 4 decimals."""
    if count < 1 or not ranges:
        raise ConfigError("--random N needs N >= 1 and at least one --range NAME=LO..HI")
    bounds = [_bounds(r) for r in ranges]
    if len({b[0] for b in bounds}) != len(bounds):
        raise ConfigError("--range: a NAME is given twice")
    rng = random.Random(seed)
    seen: dict[str, Point] = {}
    for _ in range(count * 50):
        params = []
        for name, lo, hi, integral in bounds:
            if integral:
                value = str(rng.randint(int(lo), int(hi)))
            else:
                draw = lo + (hi - lo) * Decimal(rng.random())
                value = plain(draw.quantize(Decimal("0.0001")))
            params.append((name, value))
        point = Point(tuple(params))
        seen.setdefault(point.key, point)
        if len(seen) == count:
            break
    if len(seen) < count:
        raise ConfigError(f"--random {count}: the ranges hold only {len(seen)} distinct points")
    return list(seen.values())


@dataclass(frozen=True, slots=True)
class Window:
    """One walk-forward step: tune on ``train``, check on ``test`` (whole UTC days, inclusive)."""

    index: int
    train: tuple[date, date]
    test: tuple[date, date] | None  # None: a plain sweep over the whole span


def windows(spec: str | None, first: date, last: date) -> list[Window]:
    """``TRAIN/TEST`` in days (``90d/30d``): rolling by TEST; without a spec, the whole span."""
    if spec is None:
        return [Window(0, (first, last), None)]
    match = _WINDOW.match(spec.strip())
    if match is None:
        raise ConfigError(f"--walk-forward {spec!r}: expected TRAIN/TEST in days, e.g. 90d/30d")
    train, test = int(match.group(1)), int(match.group(2))
    if train < 1 or test < 1:
        raise ConfigError(f"--walk-forward {spec!r}: both windows need at least one day")
    out: list[Window] = []
    start = first
    while start + timedelta(days=train + test - 1) <= last:
        train_end = start + timedelta(days=train - 1)
        test_span = (train_end + timedelta(days=1), train_end + timedelta(days=test))
        out.append(Window(len(out), (start, train_end), test_span))
        start += timedelta(days=test)
    if not out:
        days = (last - first).days + 1
        raise ConfigError(
            f"--walk-forward {spec}: the data covers {days} days ({first} to {last}), "
            f"fewer than one train + test window ({train + test} days)"
        )
    return out
