"""Prometheus metrics over an injectable registry, an HTTP exporter for LIVE, a textfile for health.

Tests pass a fresh ``CollectorRegistry`` so nothing leaks between them; production code passes
nothing and gets its own registry too (never the global default, which would also export
process/platform collectors twice when a test builds two apps).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from threading import Thread
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import start_http_server

from btcbot.observability.atomic import SHARED_READABLE, atomic_write_text

_CYCLE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """What the LIVE loop reports; every metric is named ``btcbot_*``."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.cycles = Counter(
            "btcbot_cycles", "Completed LIVE cycles by outcome.", ["outcome"], registry=r
        )
        self.cycle_duration = Histogram(
            "btcbot_cycle_duration_seconds",
            "Wall time of one LIVE cycle.",
            buckets=_CYCLE_BUCKETS,
            registry=r,
        )
        self.last_cycle = Gauge(
            "btcbot_last_cycle_timestamp_seconds",
            "Unix time the last cycle completed.",
            registry=r,
        )
        self.orders_submitted = Counter(
            "btcbot_orders_submitted",
            "Orders sent to the exchange.",
            ["symbol", "side"],
            registry=r,
        )
        self.risk_rejections = Counter(
            "btcbot_risk_rejections", "Order intents refused by risk.", ["reason"], registry=r
        )
        self.exchange_errors = Counter(
            "btcbot_exchange_errors", "Failed exchange calls by error type.", ["kind"], registry=r
        )
        self.orders_rejected = Counter(
            "btcbot_orders_rejected",
            "Orders refused by the exchange or execution (reject name, ambiguous, blocked).",
            ["reason"],
            registry=r,
        )
        self.orders_filled = Counter(
            "btcbot_orders_filled", "Fills applied to the ledger.", ["symbol", "side"], registry=r
        )
        self.orders_canceled = Counter(
            "btcbot_orders_canceled", "Orders canceled, by why.", ["reason"], registry=r
        )
        self.realized_pnl = Gauge("btcbot_realized_pnl_try", "Realized PnL in TRY.", registry=r)
        self.unrealized_pnl = Gauge(
            "btcbot_unrealized_pnl_try", "Unrealized PnL in TRY at the last mark.", registry=r
        )
        self.equity = Gauge("btcbot_equity_try", "Equity in TRY at the last mark.", registry=r)
        self.drawdown = Gauge(
            "btcbot_drawdown_percent", "Drawdown from the equity peak, percent.", registry=r
        )
        self.daily_pnl = Gauge(
            "btcbot_daily_pnl_try", "PnL of the current Europe/Istanbul day in TRY.", registry=r
        )
        self.exposure = Gauge(
            "btcbot_exposure_try", "Position value in TRY by symbol.", ["symbol"], registry=r
        )
        self.open_orders = Gauge("btcbot_open_orders", "Orders open on the exchange.", registry=r)
        self.armed = Gauge("btcbot_armed", "1 when live trading is armed.", registry=r)
        self.kill_switch = Gauge(
            "btcbot_kill_switch", "1 when a kill switch or kill file blocks trading.", registry=r
        )


class HealthMetrics:
    """What one ``btcbot health`` run reports, for a node-exporter textfile collector."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry()
        r = self.registry
        self.status = Gauge(
            "btcbot_health_status",
            "Overall health: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            registry=r,
        )
        self.check_status = Gauge(
            "btcbot_health_check_status",
            "Per check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            ["check"],
            registry=r,
        )
        self.duration = Gauge(
            "btcbot_health_duration_seconds", "Wall time of the health run.", registry=r
        )
        self.last_run = Gauge(
            "btcbot_health_last_run_timestamp_seconds", "Unix time of the health run.", registry=r
        )
        self.clock_offset = Gauge(
            "btcbot_health_clock_offset_seconds",
            "Exchange clock minus local clock, as measured by the probe.",
            registry=r,
        )


@dataclass
class Exporter:
    """A running HTTP exporter; ``close()`` stops it."""

    server: WSGIServer
    thread: Thread

    @property
    def port(self) -> int:
        """The bound port (useful when started on port 0)."""
        return int(self.server.server_port)

    def close(self) -> None:
        """Stop serving and release the socket."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def start_exporter(registry: CollectorRegistry, *, bind: str, port: int) -> Exporter:
    """Serve ``registry`` at ``http://bind:port/metrics`` from a daemon thread."""
    server, thread = start_http_server(port, addr=bind, registry=registry)
    return Exporter(server=server, thread=thread)


def render(registry: CollectorRegistry) -> str:
    """The registry in Prometheus text exposition format."""
    return generate_latest(registry).decode("utf-8")


def write_textfile(path: Path, registry: CollectorRegistry) -> None:
    """Write ``registry`` to ``path`` atomically, so a collector never reads half a file."""
    atomic_write_text(path, render(registry), mode=SHARED_READABLE)
