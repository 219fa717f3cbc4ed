"""The quiet minutes of a replay: nothing open, and no strategy able to signal.

Most minutes of a backtest change nothing but the marks: no order of ours rests on the
exchange (so nothing can fill or be cancelled) and no strategy signals (so risk approves
nothing). Such a minute's cycle would end exactly as its valuation says: the same row, the same
watermark, the same marks, no trading-state change. ``QuietMinutes`` recognises it without
building the market snapshots or running the strategies, from

- the exchange's open orders (none),
- one screen per strategy and symbol (``btcbot.backtest.screens``), fed every closed candle's
  close as the LIVE candle window would hold it,
- the ticker's best bid and ask, which price the marks and the strategies' exits,

and ``Replay`` then values the books at those marks (the same ``value`` arithmetic, on
totals read once per fill) and checks that the trading state would not change; any doubt makes
it a full cycle. The rules cache is asked every minute either way, so it refreshes at the
same instants as in a full replay. ``tests/integration/test_backtest_quiet.py`` proves the
fills, the equity series and the counts bit-identical with and without this.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from btcbot.backtest.screens import Holding, Screen, screens_for
from btcbot.backtest.venue import ReplayVenue
from btcbot.domain.ledger.valuation import BookTotals
from btcbot.domain.market import mid_of
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
        screens: Mapping[str, Sequence[Screen]],
        history: int,
    ) -> None:
        self._venue = venue
        self._rules = rules
        self._window = window  # the LIVE window's rule for which candle closed last
        self._screens = screens
        self._history = history
        self._fed: datetime | None = None  # open time of the newest close fed
        self.skipped = 0  # minutes the replay valued without deciding

    @classmethod
    def build(
        cls,
        venue: ReplayVenue,
        rules: RulesCache,
        window: CandleWindow,
        *,
        symbols: Sequence[str],
        strategies: Sequence[Strategy],
        history: int,
    ) -> QuietMinutes | None:
        """The quiet-minute test for ``strategies``; ``None`` when one of them has no screen."""
        screens = {}
        for symbol in symbols:
            built = screens_for(strategies)
            if built is None:
                return None
            screens[symbol] = built
        return cls(venue, rules, window, screens, history)

    def feed(self, now: datetime) -> None:
        """Give the screens every candle closed since the last call (call it every cycle)."""
        last = self._window.last_closed_open(now)
        first = self._fed + MINUTE if self._fed is not None else last - MINUTE * self._history
        at = first
        while at <= last:
            for symbol, screens in self._screens.items():
                close = self._venue.close(symbol, at)
                for screen in screens:
                    screen.push(close)
            at += MINUTE
        if self._fed is None or last > self._fed:
            self._fed = last

    def prices(self, totals: BookTotals) -> dict[str, Decimal] | None:
        """This minute's mark per symbol when it is quiet; ``None`` when it needs a full cycle.

        Call after ``feed`` and after the cycle's first exchange call ran the market to now.
        """
        if self._venue.sim.open:
            return None
        info = self._rules.get()
        held = {symbol: (quantity, cost) for symbol, quantity, cost, _ in totals.holdings}
        prices: dict[str, Decimal] = {}
        for symbol, screens in self._screens.items():
            rules = info.rules_for(symbol)
            bid, ask = self._venue.quote(symbol)
            if rules is None or bid <= 0 or ask <= 0:
                return None
            quantity, cost = held.get(symbol, (_ZERO, _ZERO))
            holding = Holding(quantity, cost, bid, rules.min_notional)
            if any(screen.may_signal(holding) for screen in screens):
                return None
            mid = mid_of(bid, ask)
            assert mid is not None  # noqa: S101 - both sides were just checked
            prices[symbol] = mid
        return prices
