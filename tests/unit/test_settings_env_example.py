"""`.env.example` documents exactly the variables the settings model reads."""

from __future__ import annotations

import re
from pathlib import Path

from btcbot.settings import env_names, load_settings

_EXAMPLE = Path(__file__).resolve().parents[2] / ".env.example"
_ASSIGNMENT = re.compile(r"^([A-Z][A-Z0-9_]*)=(.*)$")


def _documented() -> dict[str, str]:
    pairs = (_ASSIGNMENT.match(line) for line in _EXAMPLE.read_text("utf-8").splitlines())
    return {m.group(1): m.group(2) for m in pairs if m}


def test_every_model_variable_is_documented_and_nothing_else() -> None:
    """Adding a field without documenting it (or documenting a dead one) fails here."""
    documented = _documented()
    assert sorted(documented) == sorted(env_names())


def test_each_variable_has_a_comment_above_it() -> None:
    """Every assignment in .env.example is preceded by a comment line explaining it."""
    lines = _EXAMPLE.read_text("utf-8").splitlines()
    for index, line in enumerate(lines):
        if _ASSIGNMENT.match(line):
            above = lines[index - 1]
            assert above.startswith("#") or _ASSIGNMENT.match(above), line


def test_example_values_form_a_valid_monitor_configuration(tmp_path: Path) -> None:
    """The example is a working MONITOR profile once the paths point somewhere absolute."""
    environ = dict(_documented())
    environ["STATE_DB_PATH"] = str(tmp_path / "monitor.db")
    environ["CONTROL_DIR"] = str(tmp_path / "control")
    settings = load_settings(environ)
    assert settings.app_role == "monitor"
    assert settings.symbols == ("BTCTRY", "ETHTRY")
