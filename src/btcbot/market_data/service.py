"""Per-cycle market snapshots: rules (cached), book, ticker and closed candles for each symbol.

Per cycle the cost is one ticker request for every symbol together (BtcTurk answers every pair
at once, best bid and ask included), and per symbol at most one small klines request when a
new minute has closed; ``exchangeinfo`` is fetched once per refresh interval. The order book
is fetched only for a symbol a decision wants to trade (``with_books``): its top prices the
order and is checked before anything is sent. Nothing is
fetched at construction, so building the service is free for commands that never ask for
market data.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field, replace

from btcbot.adapters.clock import Clock
from btcbot.domain.errors import ExchangeError, MarketDataError
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Candle, SymbolRules, Ticker
from btcbot.market_data.candles import CandleWindow
from btcbot.market_data.checks import unusable_reason
from btcbot.market_data.limits import MarketDataLimits
from btcbot.market_data.ports import MarketSource
from btcbot.market_data.rules_cache import RulesCache


@dataclass(frozen=True, slots=True)
class MarketDataResult:
    """One cycle's market data.

    ``snapshots`` holds every symbol whose data arrived, usable or not; ``gaps`` maps each
    symbol that got no snapshot at all to the reason. Both are keyed by normalised symbol.
    """

    snapshots: Mapping[str, MarketSnapshot] = field(default_factory=dict)
    gaps: Mapping[str, str] = field(default_factory=dict)

    def tradable(self) -> dict[str, MarketSnapshot]:
        """Snapshots the strategy and risk may act on."""
        return {s: snap for s, snap in self.snapshots.items() if snap.tradable}

    def problems(self) -> dict[str, str]:
        """Every symbol that is observe-only this cycle, with its reason (for the caller to log)."""
        reasons = dict(self.gaps)
        for symbol, snap in self.snapshots.items():
            if snap.unusable_reason is not None:
                reasons[symbol] = snap.unusable_reason
        return reasons


def normalise(symbol: str) -> str:
    """``btc_try`` -> ``BTCTRY``, the key used for snapshots, gaps and candle windows."""
    return symbol.replace("_", "").upper()


class MarketDataService:
    """Builds ``MarketSnapshot``s from a ``MarketSource``, keeping rules and candles cached."""

    def __init__(
        self, source: MarketSource, clock: Clock, limits: MarketDataLimits | None = None
    ) -> None:
        self._source = source
        self._clock = clock
        self._limits = limits or MarketDataLimits()
        self._rules = RulesCache(
            source, clock, refresh=self._limits.rules_refresh, retry=self._limits.rules_retry
        )
        self._windows: dict[str, CandleWindow] = {}

    @property
    def rules(self) -> RulesCache:
        """The exchange rules cache; execution asks it instead of fetching ``exchangeinfo``."""
        return self._rules

    @property
    def limits(self) -> MarketDataLimits:
        """The limits snapshots are judged by."""
        return self._limits

    def snapshots(self, symbols: Iterable[str]) -> MarketDataResult:
        """A snapshot or a gap reason for every symbol in ``symbols``."""
        keys = [normalise(s) for s in symbols]
        if not keys:
            return MarketDataResult()
        try:
            tickers = {t.symbol: t for t in self._source.tickers()}
        except ExchangeError as exc:
            return MarketDataResult(gaps=dict.fromkeys(keys, f"ticker unavailable: {exc}"))
        snapshots: dict[str, MarketSnapshot] = {}
        gaps: dict[str, str] = {}
        for key in keys:
            try:
                snapshots[key] = self._snapshot(key, tickers.get(key))
            except MarketDataError as exc:
                gaps[key] = exc.reason
        return MarketDataResult(snapshots, gaps)

    def snapshot(self, symbol: str) -> MarketSnapshot:
        """One symbol's snapshot (what ``snapshots`` builds for each); ``MarketDataError`` if none.

        The cycle asks ``snapshots`` for all its symbols at once, which shares one ticker request.
        """
        key = normalise(symbol)
        try:
            tickers = self._source.tickers()
        except ExchangeError as exc:
            raise _gap(key, f"ticker unavailable: {exc}") from exc
        return self._snapshot(key, next((t for t in tickers if t.symbol == key), None))

    def _snapshot(self, key: str, ticker: Ticker | None) -> MarketSnapshot:
        """The current snapshot of ``key``; ``unusable_reason`` set when it must not be traded.

        Raises:
            MarketDataError: the pair is not listed, or its rules, book or ticker could not be
                fetched (the message and ``reason`` name which and why).
        """
        rules = self._rules_or_gap(key)
        if ticker is None:
            raise _gap(key, f"ticker unavailable: the exchange sent none for {key}")
        candles, candle_problem = self._candles(key)
        taken_at = self._clock.now()
        reason = candle_problem or unusable_reason(
            rules=rules,
            ticker=ticker,
            book=None,
            candles=candles,
            now=taken_at,
            limits=self._limits,
        )
        return MarketSnapshot(
            symbol=key,
            rules=rules,
            ticker=ticker,
            book=None,
            candles=candles,
            taken_at=taken_at,
            exchange_time=ticker.timestamp,
            unusable_reason=reason,
        )

    def with_books(
        self, snapshots: Mapping[str, MarketSnapshot], symbols: Collection[str]
    ) -> dict[str, MarketSnapshot]:
        """``snapshots`` with the order book of each of ``symbols`` fetched and checked.

        A book that cannot be fetched, or fails a check (crossed, stale, too far from the
        ticker), makes its symbol observe-only this cycle, like any other bad data.
        """
        out = dict(snapshots)
        for key in sorted(symbols):
            snap = out.get(key)
            if snap is None or snap.book is not None:
                continue
            try:
                book = self._source.order_book(key, self._limits.book_depth)
            except ExchangeError as exc:
                out[key] = replace(snap, unusable_reason=f"order book unavailable: {exc}")
                continue
            reason = snap.unusable_reason or unusable_reason(
                rules=snap.rules,
                ticker=snap.ticker,
                book=book,
                candles=snap.candles,
                now=self._clock.now(),
                limits=self._limits,
            )
            out[key] = replace(
                snap, book=book, exchange_time=book.timestamp, unusable_reason=reason
            )
        return out

    def _rules_or_gap(self, key: str) -> SymbolRules:
        try:
            rules = self._rules.rules_for(key)
        except ExchangeError as exc:
            raise _gap(key, f"exchange rules unavailable: {exc}") from exc
        if rules is None:
            raise _gap(key, f"pair {key} is not listed by the exchange")
        return rules

    def _candles(self, key: str) -> tuple[tuple[Candle, ...], str | None]:
        """The symbol's closed candles, topped up if a minute closed; a reason if that failed."""
        window = self._windows.get(key)
        if window is None:
            window = CandleWindow(self._limits.candle_count, self._limits.candle_settle)
            self._windows[key] = window
        now = self._clock.now()
        request = window.request(now)
        if request is not None:
            try:
                fetched = self._source.klines(key, 1, request.start, now)
            except ExchangeError as exc:
                return window.candles, f"candles unavailable: {exc}"
            window.merge(request, fetched)
        return window.candles, None


def _gap(symbol: str, reason: str) -> MarketDataError:
    return MarketDataError(f"{symbol}: {reason}", symbol=symbol, reason=reason)
