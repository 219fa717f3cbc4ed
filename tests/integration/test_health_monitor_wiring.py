"""MONITOR wiring: it holds NoopExecution, cannot reach the network to trade, and its checks run."""

from __future__ import annotations

import base64
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from clock_standin import recording_exchange
from live_environ import dry_run_environ, monitor_environ

from btcbot.domain.enums import Role
from btcbot.domain.errors import TradeBlockedError
from btcbot.domain.records import HealthLevel
from btcbot.execution.noop import NoopExecution
from btcbot.services.health import run_checks
from btcbot.settings import load_settings
from btcbot.wiring import build_live, build_monitor, monitor_health_checks


@pytest.fixture
def exchange() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A loopback stand-in for the exchange clock: its URL and the headers it was sent."""
    headers: list[dict[str, str]] = []
    with recording_exchange(headers=headers) as (url, _hits):
        yield url, headers


def _monitor_env(tmp_path: Path) -> dict[str, str]:
    return monitor_environ(tmp_path, EXCHANGE="btcturk")


def test_monitor_wiring_holds_noop_execution(tmp_path: Path) -> None:
    """build_monitor's execution slot is NoopExecution."""
    app = build_monitor(load_settings(_monitor_env(tmp_path)))
    assert isinstance(app.execution, NoopExecution)


@pytest.mark.parametrize(
    "method", ["submit", "cancel", "cancel_all", "submit_order", "cancel_order"]
)
def test_monitor_submit_and_cancel_raise_before_any_network_io(
    tmp_path: Path, method: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every trade call on the MONITOR raises TradeBlockedError and opens no socket."""
    opened: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        opened.append(args)
        raise AssertionError("the MONITOR opened a connection")

    monkeypatch.setattr(socket, "create_connection", refuse)
    app = build_monitor(load_settings(_monitor_env(tmp_path)))
    with pytest.raises(TradeBlockedError):
        getattr(app.execution, method)(order_id=1)
    assert opened == []


def test_monitor_probe_carries_no_credentials(
    tmp_path: Path, exchange: tuple[str, list[dict[str, str]]]
) -> None:
    """Even with credentials in the environment, the MONITOR's probe sends no API key header."""
    env = {
        **_monitor_env(tmp_path),
        "BTCTURK_BASE_URL": exchange[0],
        "BTCTURK_API_KEY": "monitor-should-not-use-this-key",
        "BTCTURK_API_SECRET": base64.b64encode(b"monitor-should-not-use-this").decode(),
    }
    settings = load_settings(env)
    assert settings.has_credentials
    app = build_monitor(settings)
    app.exchange_probe(timeout=2)()
    assert len(exchange[1]) == 1
    headers = {k.lower(): v for k, v in exchange[1][0].items()}
    assert "x-pck" not in headers
    assert "x-signature" not in headers
    assert "monitor-should-not-use-this-key" not in str(headers)


def test_monitor_checks_run_in_process_against_a_stand_in_exchange(
    tmp_path: Path, exchange: tuple[str, list[dict[str, str]]]
) -> None:
    """The wired check list runs end to end in process: a fresh DB-less run reports each check."""
    env = {**_monitor_env(tmp_path), "BTCTURK_BASE_URL": exchange[0]}
    app = build_monitor(load_settings(env))
    (tmp_path / "control").mkdir()
    report = run_checks(monitor_health_checks(app, lambda: 10.0), app.clock)
    by_name = {c.name: c for c in report.checks}
    assert list(by_name) == ["config", "database", "live_status", "kill_file", "exchange", "disk"]
    assert by_name["config"].status is HealthLevel.OK
    assert by_name["database"].status is HealthLevel.CRITICAL  # never created
    assert by_name["live_status"].status is HealthLevel.CRITICAL  # no LIVE
    assert by_name["kill_file"].status is HealthLevel.OK
    assert by_name["exchange"].status is HealthLevel.OK
    assert len(exchange[1]) == 1
    assert report.exit_code == 2


def test_live_wiring_reads_the_kill_file_on_every_call(tmp_path: Path) -> None:
    """LIVE trading facts see a kill file written after wiring, with no caching."""
    app = build_live(load_settings(dry_run_environ(tmp_path, EXCHANGE="sim")))
    assert app.settings.app_role is Role.LIVE
    app.policy.check_submit(app.trading_facts(armed=False))  # dry run on the emulator
    (tmp_path / "control").mkdir()
    (tmp_path / "control" / "KILL").write_text("{}", encoding="utf-8")
    with pytest.raises(TradeBlockedError, match="kill file"):
        app.policy.check_submit(app.trading_facts(armed=False))
