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


# What strategy code may raise that is its own fault: any Exception, and SystemExit - a
# ``sys.exit()`` in a strategy ended the LIVE loop without a word. KeyboardInterrupt is the
# operator's Ctrl-C and passes through.
USER_CODE_FAULTS = (Exception, SystemExit)


def is_import_path(entry: str) -> bool:
    """``package.module:Class``."""
    return IMPORT_PATH.match(entry) is not None


def load_strategy(entry: str, params: Mapping[str, Any]) -> Strategy:
    """Import ``entry``, build it with ``params`` and check it is a strategy."""
    module_name, _, class_name = entry.partition(":")
    try:
        module = importlib.import_module(module_name)
    except USER_CODE_FAULTS as exc:  # any failure of user code is the same refusal
        raise ConfigError(
            f"STRATEGIES: {entry} cannot be imported ({type(exc).__name__}: {exc}); "
            "check the module is on PYTHONPATH"
        ) from None
    cls = getattr(module, class_name, None)
    if cls is None or not callable(cls):
        raise ConfigError(f"STRATEGIES: {module_name} has no class {class_name}")
    try:
        strategy = cls(**dict(params))
    except USER_CODE_FAULTS as exc:  # a constructor's own validation, reported as such
        raise ConfigError(
            f"STRATEGIES: {entry} refused its parameters {dict(params)} "
            f"({type(exc).__name__}: {exc}); fix STRATEGY_PARAMS_FILE"
        ) from None
    problems = []
    name, required = _read(strategy, "name"), _read(strategy, "required_candles")
    if not isinstance(name, str) or not name:
        problems.append("a non-empty str 'name'")
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


def _read(strategy: object, attribute: str) -> object:
    """``strategy``'s attribute, or ``None`` where reading it fails (a property may raise)."""
    try:
        return getattr(strategy, attribute, None)
    except USER_CODE_FAULTS:
        return None
