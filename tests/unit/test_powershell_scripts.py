"""The PowerShell launchers parse cleanly under a real PowerShell grammar and pass exit codes on.

PowerShell cannot run here, so CI parses every script with tree-sitter-pwsh and fails on any
ERROR or MISSING node; a deliberately broken snippet proves the check can fail.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tree_sitter_pwsh
from tree_sitter import Language, Node, Parser

from btcbot.settings import env_names
from btcbot.settings.loading import BTCBOT_PREFIXES

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


def _nodes(source: bytes, kind: str) -> list[Node]:
    tree = Parser(Language(tree_sitter_pwsh.language())).parse(source)
    found: list[Node] = []
    stack: list[Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.type == kind:
            found.append(node)
        stack.extend(node.children)
    return found


def test_the_launchers_allow_exactly_the_settings_variables() -> None:
    """_session.ps1's list is the settings model's, so a risk limit in a .psd1 is accepted."""
    text = (SCRIPTS / "_session.ps1").read_text("utf-8")
    block = text[text.index("$script:BtcbotVariables = @(") : text.index(")", text.index("@("))]
    listed = re.findall(r"'([A-Z0-9_]+)'", block)
    assert sorted(listed) == sorted(env_names())
    assert len(listed) == len(set(listed))


def test_the_launchers_clear_the_same_prefixes_btcbot_refuses() -> None:
    """Every prefix btcbot treats as its own is cleared from the parent shell's variables."""
    text = (SCRIPTS / "_session.ps1").read_text("utf-8")
    pattern = re.search(r"\$script:BtcbotPrefixes = '\^\(([A-Z|]+)\)_'", text)
    assert pattern is not None
    assert sorted(f"{p}_" for p in pattern.group(1).split("|")) == sorted(BTCBOT_PREFIXES)


@pytest.mark.parametrize("script", [p for p in POWERSHELL_FILES if p.suffix == ".ps1"], ids=str)
def test_every_catch_block_ends_in_its_exit_code(script: Path) -> None:
    """Under ErrorActionPreference=Stop, Write-Error in a catch throws before 'exit N' runs."""
    source = script.read_bytes()
    assert b"Write-Error" not in source
    catches = _nodes(source, "catch_clause")
    if script.name in {"run_live.ps1", "run_monitor.ps1", "register_health_task.ps1"}:
        assert catches, "the launcher's catch block was not found: the check would see nothing"
    for catch in catches:
        body = source[catch.start_byte : catch.end_byte].decode("utf-8").strip()
        last = body.rstrip("}").strip().splitlines()[-1].strip()
        assert re.fullmatch(r"exit \d+", last), f"{script.name}: catch ends with {last!r}"


def test_a_catch_block_with_write_error_is_flagged() -> None:
    """Negative control: the check above sees a catch that would never reach its exit."""
    bad = b"try { throw 'x' }\ncatch {\n    Write-Error 'x'\n    exit 3\n}\n"
    assert b"Write-Error" in bad
    assert _nodes(bad, "catch_clause")


def test_the_health_task_runs_whether_or_not_the_user_is_logged_on() -> None:
    """The scheduled task has a principal with logon type S4U (no password stored)."""
    text = (SCRIPTS / "register_health_task.ps1").read_text("utf-8")
    assert "New-ScheduledTaskPrincipal" in text
    assert "-LogonType S4U" in text
    assert "-Principal $principal" in text
