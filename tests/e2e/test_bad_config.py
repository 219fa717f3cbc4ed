"""Bad configurations are refused: exit 2 (health: 3), one line naming the variable, no files.

Every case runs twice: in process through ``btcbot.cli.main`` (fast, precise failures) and as the
real ``btcbot`` console script in a subprocess (the operator's view). The subprocesses of the
whole table start concurrently once per module, so the file stays fast.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from btcbot.cli import main
from btcbot.settings import env_names

CANARY_SECRET = base64.b64encode(b"CANARY-bad-config-secret-7f3a").decode()
BTCBOT = Path(sys.executable).with_name("btcbot.exe" if os.name == "nt" else "btcbot")
DELETE = None


@dataclass(frozen=True)
class Case:
    """One bad environment: which base profile, what is changed, which variable must be named."""

    name: str
    base: str
    change: dict[str, str | None]
    variable: str
    command: tuple[str, ...] = ("db", "init")


_COMMANDS = {
    "init": ("db", "init"),
    "check": ("db", "check"),
    "health": ("health",),
    "arm": ("arm", "--yes"),
}


def _c(name: str, base: str, variable: str, cmd: str = "init", **change: str | None) -> Case:
    return Case(name, base, change, variable, _COMMANDS[cmd])


CASES = [
    # --- APP_ROLE
    _c("role-missing", "monitor", "APP_ROLE", APP_ROLE=DELETE),
    _c("role-empty", "monitor", "APP_ROLE", "check", APP_ROLE=""),
    _c("role-unknown", "monitor", "APP_ROLE", APP_ROLE="trader"),
    _c("role-typo", "live", "APP_ROLE", "check", APP_ROLE="livee"),
    # --- MONITOR must be exactly LIVE_TRADING=false, SAFE_MODE=true, KILL_SWITCH=true
    _c("monitor-live-trading", "monitor", "LIVE_TRADING", LIVE_TRADING="true"),
    _c("monitor-safe-mode-off", "monitor", "SAFE_MODE", "check", SAFE_MODE="false"),
    _c("monitor-kill-switch-off", "monitor", "KILL_SWITCH", KILL_SWITCH="false"),
    _c("monitor-with-ack", "monitor", "LIVE_TRADING_ACK", "check", LIVE_TRADING_ACK="I_UNDERSTAND"),
    _c("monitor-safe-mode-missing", "monitor", "SAFE_MODE", SAFE_MODE=DELETE),
    _c("monitor-kill-switch-missing", "monitor", "KILL_SWITCH", "check", KILL_SWITCH=DELETE),
    _c("monitor-live-trading-missing", "monitor", "LIVE_TRADING", LIVE_TRADING=DELETE),
    _c(
        "monitor-with-live-flags",
        "monitor",
        "LIVE_TRADING",
        "check",
        LIVE_TRADING="true",
        SAFE_MODE="false",
        KILL_SWITCH="false",
    ),
    # --- flag spelling: only true/false
    _c("flag-yes", "monitor", "LIVE_TRADING", LIVE_TRADING="yes"),
    _c("flag-one", "monitor", "SAFE_MODE", "check", SAFE_MODE="1"),
    _c("flag-on", "monitor", "KILL_SWITCH", KILL_SWITCH="on"),
    # --- LIVE_TRADING=true needs every flag
    _c("live-ack-missing", "live", "LIVE_TRADING_ACK", LIVE_TRADING_ACK=DELETE),
    _c("live-ack-wrong", "live", "LIVE_TRADING_ACK", "check", LIVE_TRADING_ACK="yes"),
    _c("live-ack-lower-case", "live", "LIVE_TRADING_ACK", LIVE_TRADING_ACK="i_understand"),
    _c("live-safe-mode-on", "live", "SAFE_MODE", "check", SAFE_MODE="true"),
    _c("live-kill-switch-on", "live", "KILL_SWITCH", KILL_SWITCH="true"),
    _c("live-on-sim", "live", "EXCHANGE", "check", EXCHANGE="sim"),
    _c("live-exchange-default-sim", "live", "EXCHANGE", EXCHANGE=DELETE),
    _c("exchange-unknown", "live", "EXCHANGE", "check", EXCHANGE="binance"),
    # --- credentials
    _c("live-key-missing", "live", "BTCTURK_API_KEY", BTCTURK_API_KEY=DELETE),
    _c("live-secret-missing", "live", "BTCTURK_API_SECRET", "check", BTCTURK_API_SECRET=DELETE),
    _c(
        "live-no-credentials",
        "live",
        "BTCTURK_API_KEY",
        BTCTURK_API_KEY=DELETE,
        BTCTURK_API_SECRET=DELETE,
    ),
    _c("secret-not-base64", "live", "BTCTURK_API_SECRET", "check", BTCTURK_API_SECRET="not b64!"),  # noqa: S106 - invalid on purpose
    _c("secret-bad-padding", "live", "BTCTURK_API_SECRET", BTCTURK_API_SECRET="abc"),  # noqa: S106 - invalid on purpose
    _c("key-with-space", "live", "BTCTURK_API_KEY", "check", BTCTURK_API_KEY="my key"),
    _c("dry-run-half-credentials", "dry", "BTCTURK_API_SECRET", BTCTURK_API_KEY="k"),
    # --- paths: required and absolute
    _c("db-path-missing", "monitor", "STATE_DB_PATH", "check", STATE_DB_PATH=DELETE),
    _c("db-path-relative", "monitor", "STATE_DB_PATH", STATE_DB_PATH="monitor.db"),
    _c("db-path-dot", "live", "STATE_DB_PATH", "check", STATE_DB_PATH="./state/live.db"),
    _c("db-path-dotdot", "dry", "STATE_DB_PATH", STATE_DB_PATH="../live.db"),
    _c("db-path-tilde", "monitor", "STATE_DB_PATH", "check", STATE_DB_PATH="~/monitor.db"),
    _c(
        "db-path-drive-relative",
        "monitor",
        "STATE_DB_PATH",
        STATE_DB_PATH="C:state.db" if os.name == "nt" else "C:\\btcbot\\state.db",
    ),
    _c("control-dir-missing", "monitor", "CONTROL_DIR", "check", CONTROL_DIR=DELETE),
    _c("control-dir-relative", "dry", "CONTROL_DIR", CONTROL_DIR="control"),
    # --- symbols
    _c("symbols-dash", "dry", "SYMBOLS", "check", SYMBOLS="BTC-TRY"),
    _c("symbols-empty-entry", "dry", "SYMBOLS", SYMBOLS="BTCTRY,,ETHTRY"),
    _c("symbols-duplicate", "monitor", "SYMBOLS", "check", SYMBOLS="BTCTRY,btctry"),
    _c("symbols-only-comma", "monitor", "SYMBOLS", SYMBOLS=","),
    # --- metrics
    _c("port-not-a-number", "dry", "METRICS_PORT", "check", METRICS_PORT="http"),
    _c("port-too-big", "dry", "METRICS_PORT", METRICS_PORT="70000"),
    _c("port-negative", "monitor", "METRICS_PORT", "check", METRICS_PORT="-1"),
    _c("bind-hostname", "dry", "METRICS_BIND", METRICS_BIND="localhost"),
    _c("bind-bad-ip", "monitor", "METRICS_BIND", "check", METRICS_BIND="999.1.1.1"),
    # --- cycle
    _c("cycle-zero", "dry", "CYCLE_SECONDS", CYCLE_SECONDS="0"),
    _c("cycle-negative", "dry", "CYCLE_SECONDS", "check", CYCLE_SECONDS="-5"),
    _c("cycle-word", "monitor", "CYCLE_SECONDS", CYCLE_SECONDS="fast"),
    # --- logs
    _c("log-level-unknown", "dry", "LOG_LEVEL", "check", LOG_LEVEL="VERBOSE"),
    _c("log-format-unknown", "monitor", "LOG_FORMAT", LOG_FORMAT="xml"),
    # --- exchange URLs
    _c(
        "base-url-plain-http", "live", "BTCTURK_BASE_URL", BTCTURK_BASE_URL="http://api.btcturk.com"
    ),
    _c(
        "base-url-no-scheme", "dry", "BTCTURK_BASE_URL", "check", BTCTURK_BASE_URL="api.btcturk.com"
    ),
    _c("graph-url-ftp", "monitor", "BTCTURK_GRAPH_URL", BTCTURK_GRAPH_URL="ftp://graph.example"),
    # --- the commands each role really runs: health (MONITOR, exit 3) and arm (LIVE, exit 2)
    _c("health-role-missing", "monitor", "APP_ROLE", "health", APP_ROLE=DELETE),
    _c("health-live-trading", "monitor", "LIVE_TRADING", "health", LIVE_TRADING="true"),
    _c("health-safe-mode-off", "monitor", "SAFE_MODE", "health", SAFE_MODE="false"),
    _c("health-kill-switch-off", "monitor", "KILL_SWITCH", "health", KILL_SWITCH="false"),
    _c("health-db-relative", "monitor", "STATE_DB_PATH", "health", STATE_DB_PATH="m.db"),
    _c("health-bad-base-url", "monitor", "BTCTURK_BASE_URL", "health", BTCTURK_BASE_URL="x"),
    _c("arm-on-sim", "live", "EXCHANGE", "arm", EXCHANGE="sim"),
    _c("arm-without-ack", "live", "LIVE_TRADING_ACK", "arm", LIVE_TRADING_ACK=DELETE),
    _c("arm-secret-not-base64", "live", "BTCTURK_API_SECRET", "arm", BTCTURK_API_SECRET="%%%"),  # noqa: S106 - invalid on purpose
    _c("arm-kill-switch-on", "live", "KILL_SWITCH", "arm", KILL_SWITCH="true"),
]


def _base(profile: str, root: Path) -> dict[str, str]:
    common = {"STATE_DB_PATH": str(root / "state.db"), "CONTROL_DIR": str(root / "control")}
    if profile == "monitor":
        flags = {"APP_ROLE": "monitor", "LIVE_TRADING": "false"}
        return common | flags | {"SAFE_MODE": "true", "KILL_SWITCH": "true"}
    live = {"APP_ROLE": "live", "EXCHANGE": "btcturk", "BTCTURK_API_KEY": "public-key"}
    live |= {"BTCTURK_API_SECRET": CANARY_SECRET, "SAFE_MODE": "false", "KILL_SWITCH": "false"}
    if profile == "dry":
        return (
            common
            | live
            | {"LIVE_TRADING": "false", "EXCHANGE": "sim"}
            | {
                "BTCTURK_API_KEY": "",
                "BTCTURK_API_SECRET": "",
            }
        )
    return common | live | {"LIVE_TRADING": "true", "LIVE_TRADING_ACK": "I_UNDERSTAND"}


def _environment(case: Case, root: Path) -> dict[str, str]:
    env = _base(case.base, root)
    for name, value in case.change.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return {name: value for name, value in env.items() if value}


def _tree(root: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))


def test_the_table_is_big_and_covers_every_variable_kind() -> None:
    """At least 40 distinct bad configurations, naming at least 15 different variables."""
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)
    assert len({c.variable for c in CASES}) >= 15
    assert {c.variable for c in CASES} <= set(env_names())


def _assert_refused(case: Case, code: int, stdout: str, stderr: str) -> None:
    both = stdout + stderr
    lines = both.strip().splitlines()
    assert "Traceback" not in both
    assert "validation error" not in both.lower()  # pydantic's own multi-line dump
    assert CANARY_SECRET not in both
    assert len(lines) == 1, f"{case.name}: not one line: {both!r}"
    assert case.variable in lines[0], f"{case.name}: {lines[0]!r} does not name {case.variable}"
    if case.command[0] == "health":
        # Nagios convention: bad configuration is UNKNOWN (3), reported on the summary line.
        assert code == 3, f"{case.name}: exit {code}, output={both!r}"
        assert lines[0].startswith("BTCBOT UNKNOWN"), lines[0]
    else:
        assert code == 2, f"{case.name}: exit {code}, output={both!r}"
        assert lines[0].startswith("btcbot: error: "), lines[0]
        assert stdout == ""


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_refused_in_process(
    case: Case,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``btcbot.cli.main`` refuses the configuration with exit 2 and leaves the disk untouched."""
    for name in env_names():
        monkeypatch.delenv(name, raising=False)
    for name, value in _environment(case, tmp_path).items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    before = _tree(tmp_path)
    code = main(list(case.command))
    out, err = capsys.readouterr()
    _assert_refused(case, code, out, err)
    assert _tree(tmp_path) == before


@dataclass(frozen=True)
class Outcome:
    """What one real ``btcbot`` subprocess did."""

    code: int
    stdout: str
    stderr: str
    tree_before: list[tuple[str, int]]
    tree_after: list[tuple[str, int]]


def _run_subprocess(case: Case, root: Path) -> Outcome:
    root.mkdir()
    (root / "marker.txt").write_text("the directory must look exactly like this afterwards\n")
    before = _tree(root)
    inherited = {k: v for k, v in os.environ.items() if k not in set(env_names())}
    done = subprocess.run(
        [str(BTCBOT), *case.command],
        env=inherited | _environment(case, root),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Outcome(done.returncode, done.stdout, done.stderr, before, _tree(root))


@pytest.fixture(scope="module")
def subprocess_outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    """Run the whole table as real subprocesses, a few at a time, once for the module."""
    base = tmp_path_factory.mktemp("bad-config")
    with ThreadPoolExecutor(max_workers=4) as pool:
        futures = {c.name: pool.submit(_run_subprocess, c, base / c.name) for c in CASES}
        yield {name: future.result() for name, future in futures.items()}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_refused_by_the_real_command(case: Case, subprocess_outcomes: dict[str, Outcome]) -> None:
    """The console script refuses with exit 2, one line, no traceback, and creates nothing."""
    outcome = subprocess_outcomes[case.name]
    _assert_refused(case, outcome.code, outcome.stdout, outcome.stderr)
    assert outcome.tree_after == outcome.tree_before
