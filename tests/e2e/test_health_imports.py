"""``btcbot health`` loads only what it runs and talks to nothing but its one exchange probe."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from clock_standin import recording_exchange
from h5_support import Sandbox, run

# Health never decides, trades or simulates: none of these may be imported on its path.
FORBIDDEN_PREFIXES = (
    "btcbot.strategy",
    "btcbot.execution",
    "btcbot.sim",
    "btcbot.market_data",
    "btcbot.services.run_loop",
    "btcbot.services.cycle",
    "ccxt",
)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Sandbox:
    """Both databases, created once."""
    return Sandbox(tmp_path_factory.mktemp("imports")).init()


def _imported_modules(stderr: str) -> list[str]:
    names = []
    for line in stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            name = line.rsplit("|", 1)[1].strip()
            if name != "package":
                names.append(name)
    return names


def test_health_imports_no_strategy_execution_or_sim(sandbox: Sandbox) -> None:
    """Under -X importtime, no strategy, execution, simulator or ccxt module is on the path."""
    with recording_exchange() as (url, _hits):
        env = {"PATH": os.environ.get("PATH", ""), **sandbox.monitor_env(url)}
        done = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "btcbot", "health"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    modules = _imported_modules(done.stderr)
    assert "btcbot.services.health" in modules, done.stderr[-2000:]
    bad = [m for m in modules if m.startswith(FORBIDDEN_PREFIXES)]
    assert bad == []


def test_health_makes_exactly_one_request_the_clock_probe(sandbox: Sandbox) -> None:
    """The only network traffic of a health run is one GET /api/v2/server/time."""
    with recording_exchange() as (url, hits):
        done = run(["health"], sandbox.monitor_env(url))
    assert done.returncode in {0, 1, 2}
    assert hits == ["GET /api/v2/server/time"]


def test_the_module_list_parser_sees_imports() -> None:
    """Negative control: the -X importtime parser finds a module that is imported."""
    sample = "import time:       100 |        200 |   btcbot.sim.app\n"
    assert _imported_modules(sample) == ["btcbot.sim.app"]
