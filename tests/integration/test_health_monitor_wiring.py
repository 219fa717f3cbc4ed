"""MONITOR wiring: it holds NoopExecution, cannot reach the network to trade, and its checks run."""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import httpx
import pytest

from btcbot.domain.enums import Role
from btcbot.domain.errors import TradeBlockedError
from btcbot.domain.records import HealthLevel
from btcbot.execution.noop import NoopExecution
from btcbot.services.health import run_checks
from btcbot.settings import load_settings
from btcbot.wiring import build_live, build_monitor, monitor_health_checks


class ForbiddenTransport(httpx.BaseTransport):
    """A transport that fails the test if anything sends a request through it."""

    def __init__(self) -> None:
        self.touched: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Record and refuse."""
        self.touched.append(f"{request.method} {request.url.path}")
        pytest.fail(f"network touched: {request.method} {request.url}")


def _monitor_env(tmp_path: Path) -> dict[str, str]:
    return {
        "APP_ROLE": "monitor",
        "STATE_DB_PATH": str(tmp_path / "mon" / "state.db"),
        "CONTROL_DIR": str(tmp_path / "ctl"),
        "LIVE_TRADING": "false",
        "SAFE_MODE": "true",
        "KILL_SWITCH": "true",
        "EXCHANGE": "btcturk",
    }


def test_monitor_wiring_holds_noop_execution(tmp_path: Path) -> None:
    """build_monitor's execution slot is NoopExecution."""
    app = build_monitor(load_settings(_monitor_env(tmp_path)))
    assert isinstance(app.execution, NoopExecution)


@pytest.mark.parametrize(
    "method", ["submit", "cancel", "cancel_all", "submit_order", "cancel_order"]
)
def test_monitor_submit_and_cancel_raise_before_any_network_io(tmp_path: Path, method: str) -> None:
    """Every trade call on the MONITOR raises TradeBlockedError and never reaches the transport."""
    transport = ForbiddenTransport()
    app = build_monitor(load_settings(_monitor_env(tmp_path)), transport=transport)
    with pytest.raises(TradeBlockedError):
        getattr(app.execution, method)(order_id=1)
    assert transport.touched == []


def test_monitor_probe_client_carries_no_credentials(tmp_path: Path) -> None:
    """Even with credentials in the environment, the MONITOR's client sends no API key header."""
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, json={"serverTime": int(time.time() * 1000)})

    env = {
        **_monitor_env(tmp_path),
        "BTCTURK_API_KEY": "monitor-should-not-use-this-key",
        "BTCTURK_API_SECRET": base64.b64encode(b"monitor-should-not-use-this").decode(),
    }
    settings = load_settings(env)
    assert settings.has_credentials
    app = build_monitor(settings, transport=httpx.MockTransport(handler))
    client = app.exchange_probe(timeout=2)
    try:
        client.server_time()
    finally:
        client.close()
    assert seen
    assert "X-PCK" not in seen[0]
    assert "X-Signature" not in seen[0]
    assert "monitor-should-not-use-this-key" not in str(seen[0])


def test_monitor_checks_run_in_process_against_a_mock_exchange(tmp_path: Path) -> None:
    """The wired check list runs end to end in process: a fresh DB-less run reports each check."""
    clock_ms = int(time.time() * 1000)
    transport = httpx.MockTransport(
        lambda _req: httpx.Response(200, content=json.dumps({"serverTime": clock_ms}).encode())
    )
    app = build_monitor(load_settings(_monitor_env(tmp_path)), transport=transport)
    (tmp_path / "ctl").mkdir()
    report = run_checks(monitor_health_checks(app, lambda: 10.0), app.clock)
    by_name = {c.name: c for c in report.checks}
    assert list(by_name) == ["config", "database", "live_status", "kill_file", "exchange", "disk"]
    assert by_name["config"].status is HealthLevel.OK
    assert by_name["database"].status is HealthLevel.CRITICAL  # never created
    assert by_name["live_status"].status is HealthLevel.CRITICAL  # no LIVE
    assert by_name["kill_file"].status is HealthLevel.OK
    assert by_name["exchange"].status is HealthLevel.OK
    assert report.exit_code == 2


def test_live_wiring_reads_the_kill_file_on_every_call(tmp_path: Path) -> None:
    """LIVE trading facts see a kill file written after wiring, with no caching."""
    env = {
        "APP_ROLE": "live",
        "STATE_DB_PATH": str(tmp_path / "live" / "state.db"),
        "CONTROL_DIR": str(tmp_path / "ctl"),
        "LIVE_TRADING": "false",
        "SAFE_MODE": "false",
        "KILL_SWITCH": "false",
        "EXCHANGE": "sim",
    }
    app = build_live(load_settings(env))
    assert app.settings.app_role is Role.LIVE
    app.policy.check_submit(app.trading_facts(armed=False))  # dry run on the emulator
    (tmp_path / "ctl").mkdir()
    (tmp_path / "ctl" / "KILL").write_text("{}", encoding="utf-8")
    with pytest.raises(TradeBlockedError, match="kill file"):
        app.policy.check_submit(app.trading_facts(armed=False))
