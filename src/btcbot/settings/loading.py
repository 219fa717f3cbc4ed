"""``load_settings``: exactly the model's variables from the environment, or a one-line refusal."""

from __future__ import annotations

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


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """``Settings`` from ``environ`` (default ``os.environ``), or a one-line ``ConfigError``."""
    source = os.environ if environ is None else environ
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
