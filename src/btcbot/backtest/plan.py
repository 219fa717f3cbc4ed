"""From candle files and settings to one replay: which minutes are history, which are traded.

- The span traded is ``[--from, --to]`` (whole UTC days; ``--to`` is inclusive), cut to the
  minutes every symbol's file covers.
- Before its first cycle the strategy needs a full window of closed candles, as the LIVE
  process fetches at start-up: that many minutes before the first cycle are history, taken from
  before ``--from`` when the files have them, else from the start of the span.
- Cycles run every ``CYCLE_SECONDS`` from the first traded minute to the last candle's open
  time, so every price a fill can see lies inside the files.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from btcbot.backtest.candles import (
    MINUTE,
    CandleFileError,
    CandleSet,
    NotPlainError,
    Series,
    StreamedBars,
    at,
    changed,
    plain_rows,
    reopened,
)
from btcbot.backtest.engine import Replay, ReplaySetup
from btcbot.decision import DecisionCore
from btcbot.domain.fingerprint import plain
from btcbot.sim.feed import Bar
from btcbot.strategy.engine import StrategyLoader
from btcbot.strategy.plugins import load_strategy


@dataclass(frozen=True, slots=True)
class Plan:
    """One replay ready to run, and the sha256 of everything it depends on."""

    setup: ReplaySetup
    feeds: dict[str, Sequence[Bar]]  # streamed from the files (``btcbot.backtest.candles``)
    input_sha256: str
    first_traded: datetime
    last_traded: datetime
    candles: int
    filled: dict[str, int]
    core: DecisionCore  # built once: the history length comes from it, and the replay uses it

    def replay(self, *, fast: bool = False) -> Replay:
        """The replay this plan describes, on the plan's decision core (its candles read anew).

        ``fast``: minutes in which nothing can trade are valued, not decided (``Replay``).
        """
        feeds = {s: reopened(b) for s, b in self.feeds.items()}
        return Replay(feeds, self.setup, core=self.core, fast=fast)


def warmup_minutes(setup_core: DecisionCore) -> int:
    """Closed candles the LIVE market data keeps: the strategies' need plus five."""
    return max(setup_core.required_candles, 1) + 5


def plan(
    candles: CandleSet,
    base: ReplaySetup,
    *,
    start: date | None,
    end: date | None,
    settings: dict[str, Any],
    load: StrategyLoader = load_strategy,
) -> Plan:
    """The replay of ``candles`` for ``base``'s strategy, limits and symbols over the span.

    ``load`` builds the strategies of your own (``btcbot backtest`` watches them).
    """
    core = DecisionCore.from_params(base.strategy, base.limits, replay=True, load=load)
    history = warmup_minutes(core)
    lo = candles.first if start is None else _day(start)
    # The day's last minute, in seconds: end + 1 day overflows a date on 9999-12-31.
    hi = candles.last if end is None else _day(end) + 1440 * MINUTE - MINUTE
    lo, hi = max(lo, candles.first), min(hi, candles.last)
    first_cycle = max(lo, candles.first + history * MINUTE)
    if first_cycle > hi:
        span = f"{at(lo):%Y-%m-%d %H:%M} to {at(hi):%Y-%m-%d %H:%M}" if lo <= hi else "empty"
        raise CandleFileError(
            f"no candles to trade in the range asked for ({span}): the files cover "
            f"{at(candles.first):%Y-%m-%d %H:%M} to {at(candles.last):%Y-%m-%d %H:%M} UTC and "
            f"the strategies need {history} minutes of history first"
        )
    step = int(base.cycle_seconds)
    cycles = (hi - first_cycle) // step + 1
    windows = {
        s: series.window(first_cycle - history * MINUTE, hi)
        for s, series in sorted(candles.series.items())
    }
    setup = ReplaySetup(
        symbols=base.symbols,
        start=at(first_cycle),
        cycles=cycles,
        strategy=base.strategy,
        limits=base.limits,
        cycle_seconds=base.cycle_seconds,
        order_ttl=base.order_ttl,
        sim=replace(base.sim, history_minutes=history),
    )
    return Plan(
        setup=setup,
        feeds={s: w.bars for s, w in windows.items()},
        input_sha256=input_sha256(windows, settings),
        first_traded=at(first_cycle),
        last_traded=at(hi),
        candles=sum(len(w.bars) for w in windows.values()),
        filled={s: candles.series[s].filled for s in windows},
        core=core,
    )


def _day(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def input_sha256(windows: dict[str, Series], settings: dict[str, Any]) -> str:
    """sha256 over every candle used (symbol, time, values) and the resolved settings."""
    key = _files_key(windows)
    digest = (_files_digest(key) if key is not None else _candles_digest(windows)).copy()
    digest.update(json.dumps(settings, sort_keys=True).encode("utf-8"))
    return digest.hexdigest()


def _candles_digest(windows: Mapping[str, Series]) -> hashlib._Hash:
    digest = hashlib.sha256()
    for symbol, series in sorted(windows.items()):
        for n, bar in enumerate(series.bars):
            values = (bar.open, bar.high, bar.low, bar.close, bar.volume)
            line = f"{symbol},{series.first + n * MINUTE}," + ",".join(map(plain, values))
            digest.update(line.encode("ascii") + b"\n")
    return digest


# Per symbol: its name, file, the file's (identity, size, modification time), the first
# candle's time, and the window's place in the file - everything the candle lines depend on.
_FilesKey = tuple[tuple[str, str, tuple[int, int, int], int, int, int], ...]


def _files_key(windows: Mapping[str, Series]) -> _FilesKey | None:
    """What the windows' candle lines depend on, when they are streamed from files."""
    parts = []
    for symbol, series in sorted(windows.items()):
        if not isinstance(series.bars, StreamedBars):
            return None
        path, offset, count = series.bars.source
        try:
            stat = path.stat()
        except OSError:
            return None  # reading it says what is wrong
        file = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        parts.append((symbol, str(path), file, series.first, offset, count))
    return tuple(parts)


@lru_cache(maxsize=16)
def _files_digest(key: _FilesKey) -> hashlib._Hash:
    """The candle lines' digest of the windows ``key`` names (copy it before adding to it).

    A sweep plans every point of a window over the same candles: hashing a symbol-year again
    took 3 to 4 s a point. A file replaced or rewritten since changes its identity, size or
    modification time, and so the key (short of one rewritten in place to the same size with
    its time set back).
    """
    digest = hashlib.sha256()
    try:
        for symbol, path, _file, first, offset, count in key:  # sorted by symbol
            expected = first
            for ts, values in plain_rows(Path(path), offset, count):
                if ts != expected:
                    raise changed(Path(path))
                digest.update(f"{symbol},{ts},{values}\n".encode("ascii"))
                expected += MINUTE
    except NotPlainError:  # a row in another form: hash the candles as parsed
        windows = {
            symbol: Series(symbol, Path(path), first, StreamedBars(Path(path), offset, count))
            for symbol, path, _file, first, offset, count in key
        }
        return _candles_digest(windows)
    return digest
