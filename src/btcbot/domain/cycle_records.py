"""What the LIVE database keeps about cycles and the trading state, as plain records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from btcbot.domain.trading import StateCause, TradingState


@dataclass(frozen=True, slots=True)
class CycleRecord:
    """One LIVE cycle: when it ran and how it ended (``outcome`` None while it runs)."""

    cycle_id: str
    number: int
    started_at: datetime
    finished_at: datetime | None = None
    outcome: str | None = None
    error: str | None = None
    orders_submitted: int = 0
    fills: int = 0


@dataclass(frozen=True, slots=True)
class TradingStateChange:
    """The trading state was set to ``state`` at ``changed_at`` for ``reason``."""

    state: TradingState
    reason: str
    changed_at: datetime
    cause: StateCause = StateCause.RISK

    def __post_init__(self) -> None:
        if self.changed_at.tzinfo is None:
            raise ValueError("TradingStateChange.changed_at must be timezone-aware UTC")
