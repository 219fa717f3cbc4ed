"""``btcbot run`` refuses bad input with one line, and fails closed when the exchange is away."""

from __future__ import annotations

import socket
from contextlib import closing
from pathlib import Path

from h5_support import closed_port_url, run
from live_support import dry_run_env, init_sandbox, query

from btcbot.observability.status_file import read_status, status_path


def test_bad_arguments_are_one_line_usage_errors(tmp_path: Path) -> None:
    """--cycles 0, --once with --cycles and a zero cycle period exit 2 without a traceback."""
    box = init_sandbox(tmp_path)
    env = dry_run_env(box, closed_port_url())
    for args in (["--cycles", "0"], ["--once", "--cycles", "3"], ["--cycle-seconds", "0"]):
        done = run(["run", *args], env)
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert "Traceback" not in done.stderr


def test_run_from_the_monitor_session_is_refused(tmp_path: Path) -> None:
    """The MONITOR can never start the trading loop: exit 4 naming APP_ROLE."""
    box = init_sandbox(tmp_path)
    done = run(["run", "--once"], box.monitor_env())
    assert done.returncode == 4, done.stderr
    assert "APP_ROLE=live" in done.stderr


def test_a_busy_metrics_port_is_a_configuration_error(tmp_path: Path) -> None:
    """METRICS_PORT already taken: exit 2 with the variable named, before any cycle runs."""
    box = init_sandbox(tmp_path)
    with closing(socket.socket()) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run(["run", "--once"], dry_run_env(box, closed_port_url(), METRICS_PORT=str(port)))
    assert done.returncode == 2, done.stderr
    assert "METRICS_PORT" in done.stderr
    assert not status_path(box.control).exists()


def test_unreachable_exchange_means_observe_only_with_the_reason_in_the_status(
    tmp_path: Path,
) -> None:
    """Startup reconciliation fails: the cycles still run, place nothing, and say why."""
    box = init_sandbox(tmp_path)
    done = run(
        ["run", "--cycles", "2", "--cycle-seconds", "0.1"], dry_run_env(box, closed_port_url())
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "startup_reconciliation_failed" in done.stderr
    assert query(box.live_db, "SELECT count(*) FROM orders") == [(0,)]
    outcomes = query(box.live_db, "SELECT outcome, error FROM cycles ORDER BY id")
    assert [o for o, _ in outcomes] == ["observe_only", "observe_only"]
    status = read_status(status_path(box.control))
    assert status.state == "stopped"
    assert status.last_error is not None
    assert "startup reconciliation" in status.last_error
