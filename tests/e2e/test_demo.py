"""``btcbot demo``: the whole LIVE + MONITOR run, deterministic, as the README's second command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from h5_support import run

CYCLES = "150"


def _demo(workspace: Path, *extra: str, cycles: str = CYCLES) -> tuple[int, str]:
    # No credentials and no exchange URL in the environment: the demo needs neither.
    args = ["demo", "--cycles", cycles, "--workspace", str(workspace), *extra]
    done = run(args, {}, timeout=240)
    return done.returncode, done.stdout + done.stderr


def _field(report: str, name: str) -> str:
    match = re.search(rf"^\s*{name}\s+(.+)$", report, re.MULTILINE)
    assert match, f"{name!r} missing from the report:\n{report}"
    return match.group(1).strip()


@pytest.mark.slow
def test_two_demo_runs_print_the_same_history_sha256_and_a_healthy_monitor(tmp_path: Path) -> None:
    """Same cycles and seed: byte-identical order/fill histories; health 0; real trading."""
    code_a, report_a = _demo(tmp_path / "a")
    code_b, report_b = _demo(tmp_path / "b")
    assert code_a == 0, report_a
    assert code_b == 0, report_b
    sha = _field(report_a, "history sha256")
    assert re.fullmatch(r"[0-9a-f]{64}", sha)
    assert _field(report_b, "history sha256") == sha
    assert _field(report_a, "cycles") == CYCLES
    assert _field(report_a, r"health \(MONITOR\)").startswith("exit 0")
    assert int(_field(report_a, "fills")) > 0, "the demo should trade"
    for name in ("realized PnL", "unrealized PnL", "max drawdown", "orders"):
        assert _field(report_a, name) == _field(report_b, name)
    assert (tmp_path / "a" / "live" / "state.db").exists()
    assert (tmp_path / "a" / "monitor" / "state.db").exists()


def test_another_seed_changes_the_history(tmp_path: Path) -> None:
    """The sha256 really fingerprints the run: a different emulator seed gives another one."""
    _, report_a = _demo(tmp_path / "a", cycles="40")
    code, report_b = _demo(tmp_path / "b", "--seed", "3", cycles="40")
    assert code == 0, report_b
    assert _field(report_a, "history sha256") != _field(report_b, "history sha256")


def test_demo_refuses_a_workspace_that_already_holds_a_demo(tmp_path: Path) -> None:
    """A second demo into the same workspace, or one into a file: a one-line usage error."""
    _demo(tmp_path / "ws", cycles="2")
    code, output = _demo(tmp_path / "ws", cycles="2")
    assert code == 2
    assert "already holds a demo" in output
    assert "Traceback" not in output
    (tmp_path / "notes.txt").write_text("the operator's notes", "utf-8")
    code, output = _demo(tmp_path / "notes.txt", cycles="2")  # was exit 1, 'Not a directory'
    assert code == 2, output
    assert f"--workspace {tmp_path / 'notes.txt'} is a file" in output
    assert (tmp_path / "notes.txt").read_text("utf-8") == "the operator's notes"
