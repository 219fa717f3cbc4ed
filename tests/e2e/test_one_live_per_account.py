"""One LIVE per account: two databases, one API key, one exchange: the second LIVE is refused."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

from h5_support import BTCBOT, CANARY_KEY, CANARY_SECRET, Sandbox, process_env, run, sim_serve
from live_support import wait_for

from btcbot.observability.status_file import status_path


def _armed(box: Sandbox, url: str, **over: str) -> dict[str, str]:
    env = box.live_env(BTCTURK_BASE_URL=url, BTCTURK_GRAPH_URL=f"{url}/graph", **over)
    env |= {"METRICS_PORT": "0", "STRATEGIES": "none"}
    done = run(["arm", "--yes", "--reason", "account test"], env)
    assert done.returncode == 0, done.stderr
    return env


def _running(control: Path) -> bool:
    try:
        doc = json.loads(status_path(control).read_text("utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and doc.get("state") == "running"


def test_a_second_live_on_another_database_with_the_same_key_is_refused(tmp_path: Path) -> None:
    """Exit 4 naming the first LIVE's pid; the first keeps running; the other key is refused."""
    first_box = Sandbox(tmp_path / "a").init()
    second_box = Sandbox(tmp_path / "b").init()
    user_state = str(tmp_path / "operator")  # one operator: one per-user lock directory
    with sim_serve("--api-key", CANARY_KEY, "--api-secret", CANARY_SECRET) as url:
        first = _armed(first_box, url, XDG_STATE_HOME=user_state, LOCALAPPDATA=user_state)
        second = _armed(second_box, url, XDG_STATE_HOME=user_state, LOCALAPPDATA=user_state)
        proc = subprocess.Popen(
            [str(BTCBOT), "run", "--loop", "--cycle-seconds", "0.3"],
            env=process_env(first),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for(lambda: _running(first_box.control), timeout=60, what="the first LIVE")
            refused = run(["run", "--once"], second)
            assert refused.returncode == 4, refused.stdout + refused.stderr
            line = refused.stderr.strip()
            assert len(line.splitlines()) == 1, line
            assert f"pid {proc.pid}" in line
            assert "one LIVE process per account" in line
            assert CANARY_KEY not in line
            assert proc.poll() is None, "the first LIVE must keep trading"
        finally:
            proc.send_signal(signal.SIGINT)
            proc.wait(timeout=60)
        # The first database is bound to the canary's account: another key is refused there.
        other_key = first | {"BTCTURK_API_KEY": "another-account-key"}
        mismatch = run(["run", "--once"], other_key)
        assert mismatch.returncode == 4, mismatch.stdout + mismatch.stderr
        assert "this LIVE database trades account" in mismatch.stderr
        # With the first stopped, the second database may trade the account.
        alone = run(["run", "--once"], second)
        assert alone.returncode == 0, alone.stderr[-2000:]
