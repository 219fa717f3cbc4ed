"""Strategy parameters with documented defaults; ratios in percent, money in TRY.

Proposed env names (wired by settings): ``STRATEGIES`` (comma list), ``STRATEGY_TREND_*`` and
``STRATEGY_MEANREV_*`` + the upper-cased field name (docs/STRATEGY_AND_RISK.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import HUNDRED

TREND = "trend"
MEAN_REVERSION = "mean_reversion"
KNOWN_STRATEGIES = (TREND, MEAN_REVERSION)
# A standard deviation needs at least two values.
_MIN_Z_WINDOW = 2


@dataclass(frozen=True, slots=True)
class TrendParams:
    """Moving-average crossover over candle closes: buy on the fast SMA crossing above the slow."""

    fast_window: int = 5
    slow_window: int = 20
    order_notional_try: Decimal = Decimal(1000)

    def __post_init__(self) -> None:
        """Refuse windows that cannot cross and non-positive sizes."""
        if not 1 <= self.fast_window < self.slow_window:
            raise ConfigError(
                "trend windows need 1 <= fast_window < slow_window, "
                f"got {self.fast_window} and {self.slow_window}"
            )
        if self.order_notional_try <= 0:
            raise ConfigError("trend order_notional_try must be positive")


@dataclass(frozen=True, slots=True)
class MeanReversionParams:
    """Buy when the close is ``entry_z`` deviations under its mean; exit on take-profit/stop-loss.

    Take-profit and stop-loss are percent of the position's average cost.
    """

    window: int = 20
    entry_z: Decimal = Decimal(2)
    take_profit_pct: Decimal = Decimal("1.5")
    stop_loss_pct: Decimal = Decimal(1)
    order_notional_try: Decimal = Decimal(1000)

    def __post_init__(self) -> None:
        """Refuse parameters that would never trade or never exit."""
        if self.window < _MIN_Z_WINDOW:
            raise ConfigError(f"mean_reversion window must be at least 2, got {self.window}")
        for name in ("entry_z", "take_profit_pct", "stop_loss_pct", "order_notional_try"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"mean_reversion {name} must be positive")
        if self.stop_loss_pct >= HUNDRED:
            raise ConfigError("mean_reversion stop_loss_pct is a percent below 100")


@dataclass(frozen=True, slots=True)
class StrategyParams:
    """Which strategies run (in this order) and their parameters.

    ``enabled`` holds built-in names and import paths (``pkg.module:Class``, see
    ``btcbot.strategy.plugins``); ``custom`` maps an import path to its keyword parameters.
    """

    enabled: tuple[str, ...] = (TREND, MEAN_REVERSION)
    trend: TrendParams = field(default_factory=TrendParams)
    mean_reversion: MeanReversionParams = field(default_factory=MeanReversionParams)
    custom: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse unknown or repeated strategy names, naming the known ones."""
        unknown = [n for n in self.enabled if n not in KNOWN_STRATEGIES and ":" not in n]
        if unknown or len(set(self.enabled)) != len(self.enabled):
            raise ConfigError(
                f"strategies {list(self.enabled)} invalid: use each of "
                f"{', '.join(KNOWN_STRATEGIES)} (or a pkg.module:Class) at most once"
            )
