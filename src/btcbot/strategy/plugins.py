"""Strategies of your own, loaded by import path: ``STRATEGIES=trend,my_pkg.my_module:MyStrategy``.

The class is imported once per process, built with its parameters from STRATEGY_PARAMS_FILE
(keyword arguments; none when the file has no entry for it) and checked against the
``Strategy`` protocol (``btcbot.strategy.protocols``): a ``name``, a ``required_candles``
count and an ``evaluate(StrategyInput) -> Signal | None`` method. Anything else - a module that
does not import, a missing class, parameters it refuses, a missing attribute - is a
``ConfigError`` naming the entry, raised before any cycle runs.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from typing import Any

from btcbot.domain.errors import ConfigError
from btcbot.strategy.protocols import Strategy

IMPORT_PATH = re.compile(
    r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*:[A-Za-z_][A-Za-z0-9_]*$"
)


def is_import_path(entry: str) -> bool:
    """``package.module:Class``."""
    return IMPORT_PATH.match(entry) is not None


def load_strategy(entry: str, params: Mapping[str, Any]) -> Strategy:
    """Import ``entry``, build it with ``params`` and check it is a strategy."""
    module_name, _, class_name = entry.partition(":")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # noqa: BLE001 - any failure of user code is the same refusal
        raise ConfigError(
            f"STRATEGIES: {entry} cannot be imported ({type(exc).__name__}: {exc}); "
            "check the module is on PYTHONPATH"
        ) from None
    cls = getattr(module, class_name, None)
    if cls is None or not callable(cls):
        raise ConfigError(f"STRATEGIES: {module_name} has no class {class_name}")
    try:
        strategy = cls(**dict(params))
    except Exception as exc:  # noqa: BLE001 - a constructor's own validation, reported as such
        raise ConfigError(
            f"STRATEGIES: {entry} refused its parameters {dict(params)} "
            f"({type(exc).__name__}: {exc}); fix STRATEGY_PARAMS_FILE"
        ) from None
    problems = []
    if not isinstance(getattr(strategy, "name", None), str) or not strategy.name:
        problems.append("a non-empty str 'name'")
    required = getattr(strategy, "required_candles", None)
    if not isinstance(required, int) or isinstance(required, bool) or required < 0:
        problems.append("an int 'required_candles' >= 0")
    if not callable(getattr(strategy, "evaluate", None)):
        problems.append("an 'evaluate(inp)' method")
    if problems:
        raise ConfigError(
            f"STRATEGIES: {entry} is not a strategy: it needs {', '.join(problems)} "
            "(see docs/STRATEGY_AND_RISK.md, 'Your own strategy')"
        )
    return strategy  # type: ignore[no-any-return]
