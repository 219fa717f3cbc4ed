"""Metrics over an injected registry, the textfile writer and the HTTP exporter."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from prometheus_client import CollectorRegistry

from btcbot.observability.metrics import (
    HealthMetrics,
    Metrics,
    render,
    start_exporter,
    write_textfile,
)


def test_each_metrics_object_uses_its_own_registry() -> None:
    """Two Metrics objects on fresh registries do not share samples (tests stay independent)."""
    a, b = Metrics(CollectorRegistry()), Metrics(CollectorRegistry())
    a.cycles.labels(outcome="ok").inc()
    assert a.registry.get_sample_value("btcbot_cycles_total", {"outcome": "ok"}) == 1
    assert b.registry.get_sample_value("btcbot_cycles_total", {"outcome": "ok"}) is None


def test_textfile_is_written_whole_with_no_temp_left(tmp_path: Path) -> None:
    """write_textfile produces the exposition text and leaves no temp file behind."""
    health = HealthMetrics(CollectorRegistry())
    health.status.set(2)
    health.check_status.labels(check="exchange").set(2)
    target = tmp_path / "prom" / "btcbot.prom"
    write_textfile(target, health.registry)
    text = target.read_text(encoding="utf-8")
    assert "btcbot_health_status 2.0" in text
    assert 'btcbot_health_check_status{check="exchange"} 2.0' in text
    assert [p.name for p in target.parent.iterdir()] == ["btcbot.prom"]


def test_exporter_serves_the_registry_on_loopback() -> None:
    """The LIVE exporter serves the registry's text at /metrics on the bound address."""
    metrics = Metrics(CollectorRegistry())
    metrics.armed.set(1)
    exporter = start_exporter(metrics.registry, bind="127.0.0.1", port=0)
    try:
        url = f"http://127.0.0.1:{exporter.port}/metrics"
        with urllib.request.urlopen(url, timeout=5) as resp:
            body = resp.read().decode()
    finally:
        exporter.close()
    assert "btcbot_armed 1.0" in body
    assert body == render(metrics.registry)
