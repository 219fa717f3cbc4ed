"""The exchange clock: host time corrected by the measured offset, and when it is untrusted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from btcbot.adapters.clock import ManualClock
from btcbot.domain.errors import ExchangeUnavailableError
from btcbot.exchange.clock import ClockReading, ExchangeClock

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeServer:
    """A server clock ``offset`` ahead of the host; answers after ``round_trip``."""

    def __init__(self, host: ManualClock, offset: float, round_trip: float = 0.05) -> None:
        self.host, self.offset, self.round_trip = host, offset, round_trip
        self.down = False
        self.calls = 0

    def __call__(self) -> ClockReading:
        """One reading, or the failure of an unreachable server."""
        self.calls += 1
        if self.down:
            raise ExchangeUnavailableError("server/time timed out", endpoint="GET server/time")
        return ClockReading(
            offset=timedelta(seconds=self.offset),
            round_trip=timedelta(seconds=self.round_trip),
            measured_at=self.host.now(),
        )


def test_a_host_eight_seconds_behind_is_corrected_and_trusted() -> None:
    """A steady offset is corrected exactly and does not stop trading."""
    host = ManualClock(T0)
    clock = ExchangeClock(host, FakeServer(host, offset=8.0))
    assert clock.check() is None
    assert clock.now() == T0 + timedelta(seconds=8)


def test_unmeasured_is_untrusted_and_runs_on_the_host_clock() -> None:
    """No reading yet: untrusted, with the failure named."""
    host = ManualClock(T0)
    server = FakeServer(host, offset=3.0)
    server.down = True
    clock = ExchangeClock(host, server)
    reason = clock.check()
    assert "not been measured" in (reason or "")
    assert "timed out" in (reason or "")
    assert clock.now() == T0


def test_a_slow_measurement_is_untrusted_beyond_the_limit() -> None:
    """A 12 s round trip leaves the offset unknown within 6 s."""
    host = ManualClock(T0)
    clock = ExchangeClock(host, FakeServer(host, offset=1.0, round_trip=12.0))
    reason = clock.check()
    assert "uncertain by 6.0 s" in (reason or "")
    assert "CLOCK_UNCERTAINTY_LIMIT_SECONDS=5" in (reason or "")


def test_a_stepped_host_clock_is_untrusted_until_two_readings_agree() -> None:
    """The offset jumped 30 s between readings: untrusted until the next one."""
    host = ManualClock(T0)
    server = FakeServer(host, offset=0.0)
    clock = ExchangeClock(host, server, refresh=timedelta(minutes=5))
    assert clock.check() is None
    server.offset = 30.0  # the host clock stepped 30 s back
    host.advance(300)
    assert "uncertain by 30.0 s" in (clock.check() or "")
    host.advance(60)
    assert clock.check() is not None  # not due yet: still the stepped reading
    host.advance(240)
    assert clock.check() is None


def test_readings_are_reused_until_due_and_a_failure_keeps_the_last_until_stale() -> None:
    """One request per refresh; an outage is tolerated for three refresh periods."""
    host = ManualClock(T0)
    server = FakeServer(host, offset=2.0)
    clock = ExchangeClock(host, server, refresh=timedelta(minutes=5))
    clock.check()
    host.advance(100)
    clock.check()
    assert server.calls == 1
    server.down = True
    host.advance(300)
    assert clock.check() is None  # 400 s old: still within 3 x refresh
    assert clock.now() == host.now() + timedelta(seconds=2)
    host.advance(600)
    reason = clock.check()
    assert "last measured 1000 s ago" in (reason or "")


def test_the_limits_are_the_last_trusted_values() -> None:
    """Uncertain by exactly the limit, or last measured exactly 3 x refresh ago: still trusted.

    A hair beyond either, untrusted (the documented rule says "above" and "older than").
    """
    host = ManualClock(T0)
    server = FakeServer(host, offset=2.0, round_trip=10.0)  # uncertain by 5 s, the limit
    clock = ExchangeClock(host, server, refresh=timedelta(minutes=1))
    assert clock.check() is None
    server.down = True
    host.advance(180)
    assert clock.check() is None
    host.advance(0.000001)
    assert "last measured 180 s ago" in (clock.check() or "")

    host = ManualClock(T0)
    clock = ExchangeClock(host, FakeServer(host, offset=2.0, round_trip=10.000002))
    assert "uncertain by 5.0 s" in (clock.check() or "")
