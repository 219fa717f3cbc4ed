"""Helpers for the LIVE-loop e2e tests: a real ``btcbot sim serve``, dry-run envs, DB and sim reads.

The LIVE process trades in dry run (``LIVE_TRADING=false``, ``EXCHANGE=sim``) against the
emulator over loopback, exactly as an operator's dry run would. The candles are generated so the
mean-reversion strategy has an entry every minute (a steadily falling close is always below its
mean) and tiny take-profit/stop-loss exits, so a loop of sub-second cycles really trades.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from h5_support import Sandbox
from h5_support import sim_serve as h5_sim_serve

from btcbot.adapters.clock import SystemClock
from btcbot.exchange.client import BtcturkClient
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET


def free_port() -> int:
    """A TCP port nobody listens on right now (bind 0 and release)."""
    with closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def falling_candles(path: Path, *, minutes: int = 1800, start: float = 1_000_000.0) -> Path:
    """``BTCTRY.csv`` whose closes fall 0.02 % a minute, each candle ranging +-0.3 %."""
    lines = ["ts,open,high,low,close,volume"]
    price = start
    for i in range(minutes):
        close = price * 0.9998
        high, low = max(price, close) * 1.003, min(price, close) * 0.997
        lines.append(f"{1_700_000_000 + 60 * i},{price:.0f},{high:.0f},{low:.0f},{close:.0f},5")
        price = close
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@dataclass(frozen=True)
class SimServer:
    """A running ``btcbot sim serve`` at ``url``."""

    url: str

    def client(self, timeout: float = 5.0) -> BtcturkClient:
        """A signed client on the emulator's account (the test's own view of the exchange)."""
        return BtcturkClient(
            base_url=self.url,
            graph_url=f"{self.url}/graph",
            api_key=DEFAULT_API_KEY,
            api_secret=DEFAULT_API_SECRET,
            clock=SystemClock(),
            timeout=timeout,
        )


@contextmanager
def sim_serve(data: Path, *extra: str) -> Iterator[SimServer]:
    """``btcbot sim serve`` over ``data`` (no quotas: the client keeps its own) until the end."""
    with h5_sim_serve("--data", str(data), "--no-rate-limits", *extra) as url:
        yield SimServer(url)


def dry_run_env(box: Sandbox, url: str, **over: str) -> dict[str, str]:
    """A LIVE dry run on the emulator, tuned to trade every few sub-second cycles."""
    env = box.live_env(
        LIVE_TRADING="false",
        LIVE_TRADING_ACK="",
        EXCHANGE="sim",
        BTCTURK_API_KEY=DEFAULT_API_KEY,
        BTCTURK_API_SECRET=DEFAULT_API_SECRET,
        BTCTURK_BASE_URL=url,
        BTCTURK_GRAPH_URL=f"{url}/graph",
        SYMBOLS="BTCTRY",
        CYCLE_SECONDS="0.1",
        METRICS_PORT="0",
        STRATEGIES="mean_reversion",
        STRATEGY_MEANREV_WINDOW="5",
        STRATEGY_MEANREV_ENTRY_Z="0.5",
        STRATEGY_MEANREV_TAKE_PROFIT_PCT="0.02",
        STRATEGY_MEANREV_STOP_LOSS_PCT="0.02",
        RISK_COOLDOWN_AFTER_FILL_SECONDS="0",
        RISK_MAX_SUBMITS_PER_WINDOW="1000",
    )
    env.update(over)
    return env


def monitor_env(box: Sandbox, url: str) -> dict[str, str]:
    """The MONITOR session next to that dry run (same CONTROL_DIR, its own DB)."""
    return box.monitor_env(url, EXCHANGE="sim", BTCTURK_GRAPH_URL=f"{url}/graph")


def init_sandbox(root: Path) -> Sandbox:
    """Both databases and the control dir, made by the real ``btcbot db init``."""
    return Sandbox(root).init()


def query(db: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Read the LIVE database (read-only URI; safe while LIVE runs in WAL mode)."""
    with closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)) as conn:
        return list(conn.execute(sql, params).fetchall())


def integrity_ok(db: Path) -> bool:
    """``PRAGMA integrity_check`` says ok."""
    return query(db, "PRAGMA integrity_check") == [("ok",)]


def cycle_number(status_cycle_id: str | None) -> int:
    """The cycle number of a cycle id ``<tag>c<n>`` (0 before the first cycle)."""
    if not status_cycle_id or "c" not in status_cycle_id:
        return 0
    return int(status_cycle_id.rsplit("c", 1)[1])


def wait_for(predicate: Callable[[], object], *, timeout: float, what: str) -> None:
    """Poll ``predicate()`` every 50 ms until true; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def utc(text: str) -> datetime:
    """A DB time text as an aware datetime."""
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def dec(text: object) -> Decimal:
    """A DB money text as Decimal."""
    return Decimal(str(text))
