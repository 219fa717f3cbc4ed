"""The PowerShell launchers parse cleanly under a real PowerShell grammar and pass exit codes on.

PowerShell cannot run here, so CI parses every script with tree-sitter-pwsh and fails on any
ERROR or MISSING node; a deliberately broken snippet proves the check can fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser

SCRIPTS = Path(__file__).resolve().parents[2] / "scripts"
POWERSHELL_FILES = sorted(
    p for p in SCRIPTS.iterdir() if p.suffix in {".ps1", ".psm1", ".psd1"} and p.is_file()
)


def _problems(source: bytes) -> list[str]:
    """Every ERROR or MISSING node in ``source``, as 'line:col type'."""
    tree = Parser(Language(tree_sitter_pwsh.language())).parse(source)
    found: list[str] = []
    stack: list[Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            row, col = node.start_point
            kind = "MISSING" if node.is_missing else "ERROR"
            found.append(f"{row + 1}:{col + 1} {kind} {node.type}")
        stack.extend(node.children)
    return found


def test_the_expected_scripts_exist() -> None:
    """The launchers the runbook names are all present."""
    names = {p.name for p in POWERSHELL_FILES}
    assert {
        "run_live.ps1",
        "run_monitor.ps1",
        "bootstrap_windows.ps1",
        "register_health_task.ps1",
        "_session.ps1",
        "live.example.psd1",
        "monitor.example.psd1",
    } <= names


@pytest.mark.parametrize("script", POWERSHELL_FILES, ids=lambda p: p.name)
def test_script_parses_without_errors(script: Path) -> None:
    """Each script parses with no ERROR or MISSING node."""
    assert _problems(script.read_bytes()) == []


@pytest.mark.parametrize(
    "broken",
    [
        b'param([string]$x)\nif ($x) { Write-Host "a"\n',
        b"function f {\n  $a = @(1, 2\n}\n",
        b'$h = @{ a = 1\nWrite-Host "x"\n',
    ],
)
def test_a_broken_script_is_flagged(broken: bytes) -> None:
    """Negative control: an unclosed block, array or hashtable is reported as a problem."""
    assert _problems(broken) != []


@pytest.mark.parametrize("script", ["run_live.ps1", "run_monitor.ps1"])
def test_launchers_pass_btcbot_exit_code_through(script: Path | str) -> None:
    """The launchers end with btcbot's own exit code, so a scheduler sees 0/1/2/3 unchanged."""
    lines = [ln.strip() for ln in (SCRIPTS / str(script)).read_text().splitlines() if ln.strip()]
    assert lines[-1] == "exit $LASTEXITCODE"
    assert lines[-2].startswith("& $btcbot @BtcbotArgs")


def test_monitor_session_never_keeps_api_credentials() -> None:
    """The shared session helper restores API credentials only for the LIVE role."""
    text = (SCRIPTS / "_session.ps1").read_text()
    restore = text.index("if ($Role -eq 'live')")
    assert text.index("$keepSecrets[$name]", restore) > restore
