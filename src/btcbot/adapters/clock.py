"""The injected clock: every "now" in btcbot comes from a ``Clock``."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Source of the current time (aware UTC) and of sleeping."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``; fake clocks just advance."""
        ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> datetime:
        """Current time, timezone-aware UTC."""
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        """Block the thread for ``seconds``."""
        if seconds > 0:
            time.sleep(seconds)


class ManualClock:
    """A clock that moves only when told to: for tests, replays and the accelerated demo."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        """The current simulated time."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Advance instead of waiting."""
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds`` (never backwards)."""
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += timedelta(seconds=seconds)


class PacedClock:
    """Simulated time that runs ``speed`` times as fast as the wall clock, from ``origin``.

    The sim-mode LIVE process and its in-process emulator share it: at speed 1 a one-minute
    candle replays in one wall minute; a restarted process resumes from the time its emulator
    state was saved at, so its market and its database never see time jump back.
    """

    def __init__(self, origin: datetime, speed: float, *, wall: Clock | None = None) -> None:
        if origin.tzinfo is None:
            raise ValueError("PacedClock needs an aware datetime")
        if speed <= 0:
            raise ValueError("speed must be > 0")
        self._wall = wall or SystemClock()
        self._origin = origin.astimezone(UTC)
        self._wall_origin = self._wall.now()
        self.speed = speed

    def now(self) -> datetime:
        """The simulated time now."""
        return self._origin + (self._wall.now() - self._wall_origin) * self.speed

    def sleep(self, seconds: float) -> None:
        """Wait until ``seconds`` of simulated time have passed."""
        self._wall.sleep(seconds / self.speed)
