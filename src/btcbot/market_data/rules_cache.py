"""Exchange rules fetched lazily, once, and refreshed on an interval — never per submit.

The predecessor fetched ``exchangeinfo`` on every submit and at the start of every command
(8 s for ``health``); here the first caller that needs rules pays for one request, later callers
get the cached copy until ``rules_refresh`` has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from btcbot.adapters.clock import Clock
from btcbot.domain.errors import ExchangeError
from btcbot.domain.models import ExchangeInfo, SymbolRules
from btcbot.market_data.ports import MarketSource


class RulesCache:
    """``exchange_info()`` behind a time-based cache.

    A failed refresh keeps serving the previous rules (they change rarely) and is retried after
    ``retry``; only when nothing was ever fetched does the ExchangeError reach the caller.
    """

    def __init__(
        self, source: MarketSource, clock: Clock, *, refresh: timedelta, retry: timedelta
    ) -> None:
        self._source = source
        self._clock = clock
        self._refresh = refresh
        self._retry = retry
        self._info: ExchangeInfo | None = None
        self._fetched_at: datetime | None = None
        self._next_attempt: datetime | None = None
        self._last_error: str | None = None

    def get(self) -> ExchangeInfo:
        """The cached rules, fetching them first if they are missing or due for refresh."""
        now = self._clock.now()
        if self._info is not None and self._next_attempt is not None and now < self._next_attempt:
            return self._info
        try:
            info = self._source.exchange_info()
        except ExchangeError as exc:
            if self._info is None:
                raise
            self._last_error = str(exc)
            self._next_attempt = now + self._retry
            return self._info
        self._info, self._fetched_at, self._last_error = info, now, None
        self._next_attempt = now + self._refresh
        return info

    def rules_for(self, symbol: str) -> SymbolRules | None:
        """Rules of ``symbol`` (``BTCTRY`` or ``BTC_TRY``); ``None`` when the pair is not listed."""
        return self.get().rules_for(symbol)

    def invalidate(self) -> None:
        """Refetch on the next call (e.g. after the venue rejected an order for its rules)."""
        self._next_attempt = None

    @property
    def fetched_at(self) -> datetime | None:
        """When the cached rules were fetched; ``None`` before the first fetch."""
        return self._fetched_at

    @property
    def last_error(self) -> str | None:
        """Why the latest refresh failed while older rules kept being served, if it did."""
        return self._last_error
