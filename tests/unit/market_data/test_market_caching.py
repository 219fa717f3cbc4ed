"""Per-cycle cost: exchange rules cached with a refresh interval, candles fetched incrementally."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

from market_fakes import MINUTE, START, FakeMarket, candle, rules

from btcbot.adapters.clock import ManualClock
from btcbot.market_data.candles import CandleRequest, CandleWindow
from btcbot.market_data.limits import MarketDataLimits
from btcbot.market_data.service import MarketDataService

LIMITS = MarketDataLimits(candle_count=30, rules_refresh=timedelta(hours=1))


def _service() -> tuple[MarketDataService, FakeMarket, ManualClock]:
    clock = ManualClock(START)
    fake = FakeMarket(clock)
    return MarketDataService(fake, clock, LIMITS), fake, clock


def test_building_the_service_fetches_nothing() -> None:
    """Constructing the service makes no request, so unrelated commands never hit the network."""
    _, fake, _ = _service()
    assert sum(fake.calls.values()) == 0


def test_exchange_rules_are_fetched_once_per_refresh_interval() -> None:
    """Many snapshots and rule lookups within an hour cost one exchangeinfo request."""
    service, fake, clock = _service()
    for _ in range(50):
        service.snapshot("BTCTRY")
        service.rules.rules_for("BTCTRY")
        clock.advance(60)
    assert fake.calls["exchange_info"] == 1
    clock.advance(600)
    service.snapshot("BTCTRY")
    assert fake.calls["exchange_info"] == 2


def test_a_failed_refresh_keeps_the_old_rules_and_retries_later() -> None:
    """When a refresh fails the cached rules keep serving and the next try waits rules_retry."""
    service, fake, clock = _service()
    service.snapshot("BTCTRY")
    fetched_at = service.rules.fetched_at
    clock.advance(3600)
    fake.failing.add("exchange_info")
    assert service.snapshot("BTCTRY").tradable
    assert "503" in (service.rules.last_error or "")
    clock.advance(30)
    service.snapshot("BTCTRY")
    assert fake.calls["exchange_info"] == 2
    fake.failing.clear()
    clock.advance(30)
    service.snapshot("BTCTRY")
    assert fake.calls["exchange_info"] == 3
    assert service.rules.last_error is None
    assert service.rules.fetched_at != fetched_at


def test_without_any_rules_every_symbol_is_a_gap() -> None:
    """If exchangeinfo never arrived, symbols get a gap naming it, and the next call tries again."""
    service, fake, _ = _service()
    fake.failing.add("exchange_info")
    result = service.snapshots(["BTCTRY"])
    assert result.gaps["BTCTRY"].startswith("exchange rules unavailable")
    fake.failing.clear()
    assert service.snapshots(["BTCTRY"]).tradable()


def test_invalidate_forces_the_next_lookup_to_refetch() -> None:
    """After ``invalidate()`` the next lookup fetches exchangeinfo again and sees new pairs."""
    service, fake, _ = _service()
    assert service.rules.rules_for("ETHTRY") is None
    fake.listed["ETHTRY"] = rules("ETHTRY")
    assert service.rules.rules_for("ETHTRY") is None
    service.rules.invalidate()
    assert service.rules.rules_for("ETHTRY") is not None
    assert fake.calls["exchange_info"] == 2


def test_first_fetch_gets_the_whole_window_of_closed_candles() -> None:
    """The first snapshot holds the last N closed minutes, without the forming candle."""
    service, fake, _ = _service()
    snapshot = service.snapshot("BTCTRY")
    newest_closed = START.replace(second=0) - MINUTE
    assert [c.open_time for c in snapshot.candles][-1] == newest_closed
    assert snapshot.candles[0].open_time == newest_closed - 29 * MINUTE
    assert fake.calls["klines"] == 1


def test_candles_are_not_refetched_until_a_minute_closes() -> None:
    """Within the same minute no klines request is made; the next minute asks only for new ones."""
    service, fake, clock = _service()
    service.snapshot("BTCTRY")
    clock.advance(20)
    service.snapshot("BTCTRY")
    assert fake.calls["klines"] == 1
    clock.advance(20)
    snapshot = service.snapshot("BTCTRY")
    assert fake.calls["klines"] == 2
    _, start, _ = fake.kline_ranges[-1]
    assert start == START.replace(second=0)
    assert len(snapshot.candles) == 30
    assert snapshot.candles[-1].open_time == START.replace(second=0)


def test_a_long_absence_restarts_the_window() -> None:
    """After a gap longer than the window, old candles are dropped instead of joined to new ones."""
    service, _, clock = _service()
    service.snapshot("BTCTRY")
    clock.advance(3 * 3600)
    snapshot = service.snapshot("BTCTRY")
    times = [c.open_time for c in snapshot.candles]
    assert len(times) == 30
    assert all(later - earlier == MINUTE for earlier, later in pairwise(times))


def test_a_failed_candle_fetch_keeps_old_candles_and_marks_the_symbol() -> None:
    """A klines failure leaves the cached candles and makes the snapshot observe-only."""
    service, fake, clock = _service()
    first = service.snapshot("BTCTRY")
    clock.advance(60)
    fake.failing.add("klines")
    snapshot = service.snapshot("BTCTRY")
    assert snapshot.candles == first.candles
    assert snapshot.unusable_reason is not None
    assert snapshot.unusable_reason.startswith("candles unavailable")


def test_merge_drops_open_duplicate_and_out_of_range_candles() -> None:
    """Only closed, in-range candles newer than the newest held are added, each once."""
    window = CandleWindow(5, timedelta(seconds=2))
    now = START.replace(second=30)
    request = window.request(now)
    assert request == CandleRequest(
        START.replace(second=0) - 5 * MINUTE, START.replace(second=0) - MINUTE
    )
    base = request.start
    fetched = [candle(base + i * MINUTE) for i in (-1, 0, 1, 1, 3, 4, 5)]
    assert window.merge(request, fetched) == 4
    assert [c.open_time for c in window.candles] == [base + i * MINUTE for i in (0, 1, 3, 4)]
    assert window.request(now) is None


def test_a_candle_counts_as_closed_only_after_the_settle_delay() -> None:
    """One second after a minute ends, its candle is not yet asked for (settle is two seconds)."""
    window = CandleWindow(3, timedelta(seconds=2))
    minute = START.replace(second=0)
    assert window.last_closed_open(minute + timedelta(seconds=1)) == minute - 2 * MINUTE
    assert window.last_closed_open(minute + timedelta(seconds=2)) == minute - MINUTE
