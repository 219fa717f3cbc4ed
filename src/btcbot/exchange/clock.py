"""The exchange's clock as this host knows it: the host clock plus the measured offset.

A candle is closed, a snapshot fresh, a reconciliation window wide enough and a daily loss
counted by the *exchange's* time, not the host's: a host 10 s ahead would otherwise take a
forming candle for a closed one and trade on it. The offset is measured from
``GET /api/v2/server/time`` (midpoint of the round trip) when the LIVE cycle starts and every
``refresh`` after that; the same measurement corrects the X-Stamp of signed requests.

A constant offset is corrected exactly, whatever its size: a host 8 s behind trades normally.
What cannot be corrected is an offset we do not know well enough, so new orders are refused
(cancels never are) while the exchange clock is **untrusted**:

* never measured, or the last good measurement is older than ``3 x refresh`` (the host clock
  may have stepped since);
* its uncertainty is above ``limit`` (default 5 s, BtcTurk's stamp tolerance, API.md section 2).
  The uncertainty is half the round trip of the measurement plus how far the offset moved
  since the previous one: a host clock that steps between two measurements is not corrected
  by either of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from btcbot.adapters.clock import Clock
from btcbot.domain.errors import ExchangeError
from btcbot.observability.logging import get_logger

_log = get_logger(__name__)

DEFAULT_REFRESH = timedelta(minutes=5)
DEFAULT_LIMIT = timedelta(seconds=5)


@dataclass(frozen=True, slots=True)
class ClockReading:
    """One measurement of the exchange's clock against the host's."""

    offset: timedelta  # exchange minus host
    round_trip: timedelta
    measured_at: datetime  # host clock


class ExchangeClock:
    """A ``Clock`` on the exchange's time; ``untrusted()`` says why new orders must wait."""

    def __init__(
        self,
        host: Clock,
        measure: Callable[[], ClockReading],
        *,
        refresh: timedelta = DEFAULT_REFRESH,
        limit: timedelta = DEFAULT_LIMIT,
    ) -> None:
        self._host = host
        self._measure = measure
        self._refresh = refresh
        self._limit = limit
        self._reading: ClockReading | None = None
        self._drift = timedelta(0)
        self._failure: str | None = None

    def now(self) -> datetime:
        """The exchange's time now (the host's while the offset is unknown)."""
        offset = self._reading.offset if self._reading is not None else timedelta(0)
        return self._host.now() + offset

    def sleep(self, seconds: float) -> None:
        """Sleep on the host clock (durations do not depend on the offset)."""
        self._host.sleep(seconds)

    @property
    def reading(self) -> ClockReading | None:
        """The last good measurement, or ``None``."""
        return self._reading

    @property
    def uncertainty(self) -> timedelta | None:
        """How far ``now()`` may be from the exchange's clock; ``None`` when unknown."""
        if self._reading is None:
            return None
        return self._reading.round_trip / 2 + self._drift

    def refresh(self) -> None:
        """Measure again when due; a failed measurement keeps the last one until it is stale."""
        host_now = self._host.now()
        if self._reading is not None and host_now - self._reading.measured_at < self._refresh:
            return
        try:
            reading = self._measure()
        except ExchangeError as exc:
            self._failure = f"{type(exc).__name__}: {exc}"
            _log.warning("exchange_clock_unmeasured", error=self._failure)
            return
        self._failure = None
        previous = self._reading
        self._drift = abs(reading.offset - previous.offset) if previous is not None else timedelta()
        self._reading = reading
        if self._drift > self._limit:
            _log.warning(
                "exchange_clock_stepped",
                offset_seconds=round(reading.offset.total_seconds(), 3),
                moved_seconds=round(self._drift.total_seconds(), 3),
            )

    def check(self) -> str | None:
        """Refresh when due, then say why the clock is untrusted (``None``: trusted)."""
        self.refresh()
        return self.untrusted()

    def untrusted(self) -> str | None:
        """Why the exchange's time is not known well enough to place orders, or ``None``."""
        reading, limit = self._reading, self._limit.total_seconds()
        if reading is None:
            why = f" ({self._failure})" if self._failure else ""
            return f"the exchange's clock has not been measured yet{why}"
        age = self._host.now() - reading.measured_at
        if age > self._refresh * 3:
            return (
                f"the exchange's clock was last measured {age.total_seconds():.0f} s ago "
                f"({self._failure or 'no measurement since'})"
            )
        uncertainty = self.uncertainty
        if uncertainty is not None and uncertainty > self._limit:
            return (
                f"the exchange's clock is uncertain by {uncertainty.total_seconds():.1f} s "
                f"(offset {reading.offset.total_seconds():+.1f} s; limit "
                f"CLOCK_UNCERTAINTY_LIMIT_SECONDS={limit:g})"
            )
        return None
