"""BtcTurk's per-endpoint request quotas (API.md section 6), answered with 429 + Retry-After.

Fixed windows that start at the first request to an endpoint, measured on the sim clock. The
endpoint key is the route template (``GET /api/v1/order/{id}``), so every id shares one quota.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Quota:
    """``limit`` requests per ``period`` seconds for one endpoint."""

    limit: int
    period: int
    policy: str

    @property
    def period_text(self) -> str:
        """``1s`` / ``1m`` / ``10m`` as BtcTurk's 429 body spells it."""
        if self.period % 60 == 0:
            return f"{self.period // 60}m"
        return f"{self.period}s"


# (method, route template) -> quotas; every quota of an endpoint applies at once.
QUOTAS: dict[tuple[str, str], tuple[Quota, ...]] = {
    ("GET", "/api/v1/users/balances"): (Quota(120, 60, "ip"),),
    ("POST", "/api/v1/order"): (Quota(300, 60, "account"), Quota(10, 1, "account")),
    ("DELETE", "/api/v1/order"): (Quota(300, 60, "account"), Quota(10, 1, "account")),
    ("GET", "/api/v1/order/{id}"): (Quota(900, 60, "account"), Quota(30, 1, "account")),
    ("GET", "/api/v1/openOrders"): (Quota(300, 60, "ip"),),
    ("GET", "/api/v1/allOrders"): (Quota(300, 60, "ip"),),
    ("GET", "/api/v1/users/transactions/trade"): (Quota(120, 60, "ip"),),
    ("GET", "/api/v1/users/transactions/crypto"): (Quota(90, 60, "ip"),),
    ("GET", "/api/v1/users/transactions/fiat"): (Quota(90, 60, "ip"),),
    ("GET", "/api/v2/ticker"): (Quota(600, 60, "ip"),),
    ("GET", "/api/v2/orderbook"): (Quota(180, 60, "ip"),),
    ("GET", "/graph/v1/ohlcs"): (Quota(120, 60, "ip"), Quota(600, 600, "ip")),
    ("GET", "/graph/v1/klines/history"): (Quota(600, 600, "ip"),),
}
_GRAPH_SHARED = "/graph/v1/*"
_GRAPH_SHARED_PERIOD = 600  # the graph host's 600 per 10 min counts all its paths together


@dataclass(frozen=True, slots=True)
class Refusal:
    """A 429 to send: the quota hit and the whole seconds until its window ends."""

    quota: Quota
    retry_after: int


class RateLimiter:
    """Counts requests per endpoint and quota; not thread-safe (the app serialises requests)."""

    def __init__(self) -> None:
        self._windows: dict[tuple[str, int], tuple[float, int]] = {}

    def hit(self, method: str, route: str, now: float) -> Refusal | None:
        """Count one request at ``now`` (seconds); a Refusal when a quota is exhausted."""
        quotas = QUOTAS.get((method, route), ())
        refusal: Refusal | None = None
        for quota in quotas:
            shared = route.startswith("/graph/") and quota.period == _GRAPH_SHARED_PERIOD
            key = (_GRAPH_SHARED if shared else f"{method} {route}", quota.period)
            start, count = self._windows.get(key, (now, 0))
            if now >= start + quota.period:
                start, count = now, 0
            count += 1
            self._windows[key] = (start, count)
            if count > quota.limit and refusal is None:
                wait = max(1, math.ceil(start + quota.period - now))
                refusal = Refusal(quota, wait)
        return refusal
