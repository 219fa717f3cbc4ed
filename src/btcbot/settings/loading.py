"""``load_settings``: exactly the model's variables from the environment, or a one-line refusal."""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from btcbot.domain.errors import ConfigError
from btcbot.settings.model import Settings
from btcbot.settings.parsing import NEEDS, SettingValueError


def env_names() -> tuple[str, ...]:
    """Every environment variable the model reads."""
    return tuple(str(f.alias) for f in Settings.model_fields.values())


# A variable with one of these prefixes is meant for btcbot: an unknown one is a typo, refused
# rather than ignored (scripts/_session.ps1 clears the same prefixes).
BTCBOT_PREFIXES = (
    "APP_", "BTCTURK_", "RISK_", "STRATEGY_", "SIM_", "PAPER_", "LIVE_", "METRICS_", "LOG_",
    "STATE_", "CONTROL_", "CYCLE_", "SAFE_", "KILL_", "CLOCK_", "HANDOVER_",
)  # fmt: skip


def unknown_variables(environ: Mapping[str, str]) -> list[str]:
    """Set, non-empty variables with a btcbot prefix that the model does not read, sorted."""
    known = set(env_names())
    return sorted(
        name
        for name, value in environ.items()
        if name.upper().startswith(BTCBOT_PREFIXES) and name not in known and value.strip()
    )


def unknown_refusal(names: list[str], *, given: str | None = None) -> ConfigError:
    """The refusal of ``names`` (sorted), which the model does not read.

    ``given`` says where they were given on purpose (``--set``, a settings file's line); without
    it they are environment variables.
    """
    first = names[0]
    close = difflib.get_close_matches(first.upper(), env_names(), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else "see docs/CONFIGURATION.md for the names."
    more = f" (and {len(names) - 1} more: {', '.join(names[1:4])})" if len(names) > 1 else ""
    where, fix = (f"{given}: ", "remove") if given else ("", "unset")
    return ConfigError(
        f"{where}{first} is not a btcbot variable: {hint} A misspelt setting would be silently "
        f"ignored, so {fix} or rename it{more}"
    )


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """``Settings`` from ``environ`` (default ``os.environ``), or a one-line ``ConfigError``."""
    source = os.environ if environ is None else environ
    unknown = unknown_variables(source)
    if unknown:
        raise unknown_refusal(unknown)
    values: dict[str, Any] = {
        name: source[name].strip()
        for name in env_names()
        if name in source and source[name].strip()
    }
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, values)) from None


def _variable_of(error: ErrorDetails) -> str:
    name = str(error["loc"][0]) if error["loc"] else "configuration"
    fields = Settings.model_fields.items()
    return next((str(f.alias) for key, f in fields if name in {key, f.alias}), name)


def _one_line(exc: ValidationError, values: Mapping[str, str]) -> str:
    """The first problem as one line; pydantic's multi-line dump never reaches an operator.

    Core variables (role, paths, flags) are reported before knobs: they matter most.
    """
    errors = sorted(
        exc.errors(include_url=False, include_input=False),
        key=lambda e: _variable_of(e) not in NEEDS,
    )
    first = errors[0]
    extra = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    problem = first.get("ctx", {}).get("error")
    if isinstance(problem, SettingValueError):
        return problem.message + extra
    variable = _variable_of(first)
    shown = "" if variable.startswith("BTCTURK_API") else f" (got {values.get(variable, '')!r})"
    if variable not in NEEDS:  # knobs: pydantic's own phrase says which bound or type
        return f"{variable} {first['msg'].replace('Input should be', 'must be')}{shown}{extra}"
    if first["type"] == "missing":
        return f"{variable} is required: set it to {NEEDS[variable]}{extra}"
    return f"{variable} must be {NEEDS[variable]}{shown}{extra}"
