"""Client-side rate limits per endpoint (API.md §6), so we wait instead of earning a 429.

Each limit is a token bucket of ``limit`` tokens in which a spent token comes back exactly
``period`` seconds after it was spent. A classic bucket (continuous refill at limit/period) would
allow up to 2x``limit`` inside one of BtcTurk's fixed windows ("the window starts at the first
request"); this one never has more than ``limit`` requests in *any* window of ``period`` seconds,
so it satisfies BtcTurk however its windows are aligned. Every limit of an endpoint applies at
once (the order endpoints' 10/s and 300/min).

Time and sleeping are injected so tests drive the limiter with a fake clock and never sleep.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Limit:
    """At most ``limit`` requests in any ``period`` seconds."""

    limit: int
    period: float


# Keys are the client's endpoint groups; the numbers are API.md §6 verbatim.
BTCTURK_LIMITS: Mapping[str, tuple[Limit, ...]] = {
    "balances": (Limit(120, 60),),
    "order_post": (Limit(300, 60), Limit(10, 1)),
    "order_delete": (Limit(300, 60), Limit(10, 1)),
    "order_get": (Limit(900, 60), Limit(30, 1)),
    # openOrders and allOrders share one row in §6; sharing one bucket is the safe reading.
    "orders_list": (Limit(300, 60),),
    "user_trades": (Limit(120, 60),),
    "transfers": (Limit(90, 60),),  # users/transactions/crypto and /fiat, API.md section 6
    "ticker": (Limit(600, 60),),
    "orderbook": (Limit(180, 60),),
    # /api/v2/trades is not listed; /api/v1/trades' 90/min is the closest documented figure.
    "trades": (Limit(90, 60),),
    "graph": (Limit(600, 600),),
}


class TokenBucket:
    """``limit`` tokens; each spent token returns ``period`` seconds after it was spent."""

    def __init__(self, limit: Limit) -> None:
        if limit.limit < 1 or limit.period <= 0:
            raise ValueError("a limit needs at least one request per positive period")
        self._limit = limit
        self._spent: deque[float] = deque()

    def wait_time(self, now: float) -> float:
        """Seconds until a token is free at ``now`` (0 when one is free)."""
        while self._spent and self._spent[0] + self._limit.period <= now:
            self._spent.popleft()
        if len(self._spent) < self._limit.limit:
            return 0.0
        return self._spent[0] + self._limit.period - now

    def spend(self, now: float) -> None:
        """Take one token at ``now``; call only after ``wait_time(now) == 0``."""
        self._spent.append(now)


class RateLimiter:
    """Blocks (through the injected ``sleep``) until every limit of an endpoint group allows."""

    def __init__(
        self,
        limits: Mapping[str, tuple[Limit, ...]] = BTCTURK_LIMITS,
        *,
        now: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self._buckets = {key: [TokenBucket(lim) for lim in lims] for key, lims in limits.items()}
        self._now = now
        self._sleep = sleep
        self._lock = threading.Lock()

    def acquire(self, key: str) -> float:
        """Wait for a token of every limit of ``key``; returns the seconds waited in total.

        A key without limits (server time, exchangeinfo) passes straight through.
        """
        buckets = self._buckets.get(key, [])
        waited = 0.0
        with self._lock:
            while True:
                now = self._now()
                delay = max((b.wait_time(now) for b in buckets), default=0.0)
                if delay <= 0:
                    for bucket in buckets:
                        bucket.spend(now)
                    return waited
                self._sleep(delay)
                waited += delay
