"""The quiet minutes of a replay: nothing open, and no strategy able to signal.

Most minutes of a backtest change nothing but the marks: no order of ours rests on the
exchange (so nothing can fill or be cancelled) and no strategy signals (so risk approves
nothing). Such a minute's cycle would end exactly as its valuation says: the same row, the same
watermark, the same marks, no trading-state change. ``QuietMinutes`` recognises it without
building the market snapshots or running the strategies, from

- the exchange's open orders (none),
- one screen per strategy and symbol (``btcbot.backtest.screens``), given the closed candles'
  closes as the LIVE candle window would hold them,
- the ticker's best bid and ask, which price the marks and the strategies' exits,

and ``Replay`` then values the books at those marks (the same ``value`` arithmetic, on
totals read once per fill) and checks that the trading state would not change; any doubt makes
it a full cycle. The rules cache is asked every minute either way, so it refreshes at the
same instants as in a full replay. ``tests/integration/test_backtest_quiet.py`` proves the
fills, the equity series and the counts bit-identical with and without this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from btcbot.backtest.screens import Holding, Screen, screens_for
from btcbot.backtest.venue import ReplayVenue
from btcbot.domain.market import mid_of
from btcbot.domain.models import ExchangeInfo, SymbolRules
from btcbot.market_data.candles import MINUTE, CandleWindow
from btcbot.market_data.rules_cache import RulesCache
from btcbot.strategy.protocols import Strategy

_ZERO = Decimal(0)


class QuietMinutes:
    """Feeds the screens of every symbol and tells which minutes are quiet."""

    def __init__(
        self,
        venue: ReplayVenue,
        rules: RulesCache,
        window: CandleWindow,
        *,
        symbols: Sequence[str],
        strategies: Sequence[Strategy],
        history: int,
    ) -> None:
        self._venue = venue
        self._rules = rules
        self._window = window  # the LIVE window's rule for which candle closed last
        self._symbols = tuple(symbols)
        self._strategies = tuple(strategies)
        self._history = history  # closes a screen is (re)built from: the LIVE window's size
        self._screens: dict[str, _Screens] = {}
        self._first = self._symbols[0] if self._symbols else ""  # asked first: the last busy
        self.skipped = 0  # minutes the replay valued without deciding
        self.narrowed = 0  # untradable minutes it decided only for the symbols that may signal

    @staticmethod
    def possible(strategies: Sequence[Strategy]) -> bool:
        """Whether every one of ``strategies`` has a screen (else every minute is decided)."""
        return screens_for(strategies) is not None

    def look(
        self, now: datetime, held: Mapping[str, tuple[Decimal, Decimal]], *, every: bool
    ) -> tuple[dict[str, Decimal], tuple[str, ...]] | None:
        """This minute's mark per symbol, and the symbols whose strategies may signal.

        ``None`` when an order of ours is open or a symbol has no rules or no two-sided quote
        (a full cycle then says what the LIVE one would). Call after the cycle's first
        exchange call ran the market to now; ``held`` is quantity and average cost per held
        symbol.

        ``every=False`` (is the minute quiet?) stops at the first busy symbol, asking the one
        that was busy last time first; a symbol's screens are given the closes they missed
        only when it is asked, so with many symbols a busy minute costs one or two symbols'
        look, not all of them. ``every=True`` (a minute nothing can trade in: only the busy
        symbols need a decision) asks them all.
        """
        if self._venue.sim.open:
            return None
        info, last = self._rules.get(), self._window.last_closed_open(now)
        symbols, first = self._symbols, self._first
        order = (
            symbols
            if every or symbols[:1] == (first,)
            else (first, *(s for s in symbols if s != first))
        )
        mids: dict[str, Decimal] = {}
        busy: list[str] = []
        for symbol in order:
            seen = self._look(info, symbol, held, last)
            if seen is None:
                return None
            mids[symbol] = seen[0]
            if seen[1]:
                busy.append(symbol)
                if not every:
                    self._first = symbol
                    break
        if order is not symbols:  # in the symbols' order, as a full cycle's snapshots are
            mids = {symbol: mids[symbol] for symbol in symbols if symbol in mids}
        return mids, tuple(busy)

    def _look(
        self,
        info: ExchangeInfo,
        symbol: str,
        held: Mapping[str, tuple[Decimal, Decimal]],
        last: datetime,
    ) -> tuple[Decimal, bool] | None:
        """``symbol``'s mark and whether a strategy may signal on it; ``None`` if it can't say."""
        quoted = markable(self._venue, info, symbol)
        if quoted is None:
            return None
        rules, bid, mid = quoted
        quantity, cost = held.get(symbol, (_ZERO, _ZERO))
        holding = Holding(quantity, cost, bid, rules.min_notional)
        may = any(screen.may_signal(holding) for screen in self._fed(symbol, last))
        return mid, may

    def _fed(self, symbol: str, last: datetime) -> list[Screen]:
        """``symbol``'s screens, given every close up to the candle opened at ``last``.

        After a gap longer than the window they are built afresh from its last closes: a
        screen holds nothing older than its window, so that equals feeding every close.
        """
        entry = self._screens.get(symbol)
        if entry is None or last - entry.fed > MINUTE * self._history:
            screens = screens_for(self._strategies)
            assert screens is not None  # noqa: S101 - the replay checked possible() first
            entry = self._screens[symbol] = _Screens(screens, last - MINUTE * (self._history + 1))
        at = entry.fed + MINUTE
        while at <= last:
            close = self._venue.close(symbol, at)
            for screen in entry.screens:
                screen.push(close)
            at += MINUTE
        entry.fed = max(entry.fed, last)
        return entry.screens


def markable(
    venue: ReplayVenue, info: ExchangeInfo, symbol: str
) -> tuple[SymbolRules, Decimal, Decimal] | None:
    """``symbol``'s rules, best bid and mark (the mid); ``None`` without rules or both sides.

    The mark a minute valued without a decision is given; without one, a full cycle says what
    the LIVE one would. Like ``ReplayVenue.quote``, call after the minute's first exchange call.
    """
    rules = info.rules_for(symbol)
    bid, ask = venue.quote(symbol)
    if rules is None or bid <= 0 or ask <= 0:
        return None
    mid = mid_of(bid, ask)
    assert mid is not None  # noqa: S101 - both sides were just checked
    return rules, bid, mid


@dataclass
class _Screens:
    """One symbol's screens and the open time of the newest close they were given."""

    screens: list[Screen]
    fed: datetime
