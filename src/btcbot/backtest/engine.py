"""The replay backtest: the LIVE cycle's decisions over candles, on the emulator in process.

One cycle of a replay does what one sim-mode LIVE cycle does, in the same order and at the same
instants (``btcbot.services.cycle``), with the database and HTTP taken out:

1. **Reconcile**: the own trades the emulator made since the last cycle (resting orders the
   price path crossed in the minute that passed, and last cycle's immediate fills).
2. **Book**: the ledger books them, exactly as the LIVE ledger does (same ``Ledger`` code).
3. **Decide**: market snapshots through the LIVE ``MarketDataService`` (same candle window,
   same settle delay, same freshness checks), then ``decide_on`` - the one function the LIVE
   cycle calls - over the booked view, through ``decide_with_books`` as LIVE does (the
   order book of each symbol about to trade, then the decision again on it).
4. **Execute**: cancel our orders past their TTL, then send the approved intents in order.
5. **Value**: the books at this cycle's marks; one row of the equity series.

The clock then moves ``cycle_seconds`` and the emulator runs the market over the gap. After
the last cycle one final reconcile books what the last orders did (the LIVE loop's clean-stop
settle). Fill convention, the same as the emulator's in a dry run: a decision at instant ``t``
sees the candles closed (and settled 2 s) by ``t``, the book and ticker at ``t``; a marketable
order fills at once against the synthetic book at ``t`` as taker; a resting limit order fills as
maker, at its own price, when the replayed price path of a later minute crosses it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

from btcbot.adapters.clock import ManualClock
from btcbot.backtest.quiet import QuietMinutes, markable
from btcbot.backtest.venue import ReplayVenue, as_open_order
from btcbot.decision import QUOTE, DecisionCore, LedgerView, decide_on, decide_with_books
from btcbot.decision.core import Decision
from btcbot.decision.inputs import marks_at, marks_for, marks_from
from btcbot.domain.enums import Side
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.balances import opening_from_balances, pair_of
from btcbot.domain.ledger.valuation import (
    BookTotals,
    EquityWatermark,
    Valuation,
    revalue_flat,
    value,
    value_totals,
)
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Fill
from btcbot.domain.trading import PortfolioView, RiskLimits, Signal, TradingState
from btcbot.market_data.candles import CandleWindow
from btcbot.market_data.limits import MarketDataLimits
from btcbot.market_data.service import MarketDataService
from btcbot.risk.trading_state import next_trading_state
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.feed import Bar
from btcbot.sim.model import SimOrder
from btcbot.strategy.params import StrategyParams

DEFAULT_TTL = timedelta(minutes=5)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # the LIVE default (LiveOptions.order_ttl)


class StrategyFailedError(ValueError):
    """A strategy raised, returned garbage or took too long during a replay."""


@dataclass(frozen=True, slots=True)
class ReplaySetup:
    """What a replay runs: the LIVE process's strategy and risk settings, and a time span."""

    symbols: tuple[str, ...]
    start: datetime = EPOCH  # ``btcbot.backtest.plan`` sets both from the candle files
    cycles: int = 0
    strategy: StrategyParams = field(default_factory=StrategyParams)
    limits: RiskLimits = field(default_factory=RiskLimits)
    cycle_seconds: float = 60.0
    order_ttl: timedelta = DEFAULT_TTL
    sim: SimConfig = field(default_factory=SimConfig)


class EquityRow(NamedTuple):
    """The books at the end of one cycle, valued at its marks (a named tuple: one a minute)."""

    at: datetime
    valuation: Valuation
    holdings: tuple[tuple[str, Decimal, Decimal], ...]  # symbol, quantity, cost basis
    marks: tuple[tuple[str, Decimal], ...] = ()  # symbol, the price the books were valued at


@dataclass
class ReplayResult:
    """Everything a replay produced, for the outputs and the tests."""

    setup: ReplaySetup
    fills: list[Fill] = field(default_factory=list)
    rows: list[EquityRow] = field(default_factory=list)  # unless run() was given on_row
    max_drawdown_pct: Decimal = Decimal(0)  # over every row, whether kept or streamed
    submitted: int = 0
    rejected: int = 0
    canceled: int = 0
    signals: int = 0
    risk_rejections: int = 0
    cycles: int = 0
    # Minutes valued without a decision because nothing could trade (``Replay(fast=True)``):
    # their signals and refusals are in neither count above.
    undecided: int = 0
    final: Valuation | None = None
    # (cycle, signal) of every signal, when the replay was asked to keep them (the lookahead
    # check): a year of them is about 20 MB a symbol.
    signal_log: list[tuple[int, Signal]] = field(default_factory=list)
    intents: dict[int, tuple[str, str]] = field(default_factory=dict)  # order id -> strategy, why


CycleHook = Callable[[int, datetime, "ReplayState"], None]
RowSink = Callable[["EquityRow"], None]


@dataclass
class ReplayState:
    """What the replay carries from one cycle to the next (the LIVE database's role)."""

    ledger: Ledger
    watermark: EquityWatermark | None = None
    marks: dict[str, Decimal] = field(default_factory=dict)
    trading_state: TradingState = TradingState.ACTIVE
    last_fill: dict[str, Fill] = field(default_factory=dict)
    recent_submits: deque[datetime] = field(default_factory=deque)
    created: dict[int, datetime] = field(default_factory=dict)  # exchange id -> intent time
    books: HeldBooks | None = None  # what the ledger says since its last fill (quiet minutes)


@dataclass(frozen=True, slots=True)
class HeldBooks:
    """The ledger's side of a minute's row, read once per fill and used every minute after."""

    totals: BookTotals
    holdings: tuple[tuple[str, Decimal, Decimal], ...]  # every position: symbol, qty, cost
    held: dict[str, tuple[Decimal, Decimal]]  # quantity and average cost per held symbol
    costs: dict[str, Decimal]  # average cost per held symbol, the mark of last resort

    @classmethod
    def of(cls, ledger: Ledger) -> HeldBooks:
        """The books as ``ledger`` holds them now."""
        totals = BookTotals.of(ledger, QUOTE)
        held = {symbol: (qty, avg) for symbol, qty, avg, _ in totals.holdings}
        costs = {symbol: avg for symbol, (_, avg) in held.items()}
        return cls(totals, _holdings(ledger), held, costs)


class _Valued(NamedTuple):
    """A minute's books valued at its marks (``Replay._valued``), to keep or to drop."""

    marks: dict[str, Decimal]
    valuation: Valuation
    watermark: EquityWatermark


class _LastValued(NamedTuple):
    """What ``Replay._valued`` last valued, and in which trading state it found no change."""

    totals: BookTotals
    state: TradingState
    valuation: Valuation
    watermark: EquityWatermark


class Replay:
    """One replay over ``feeds`` (1-minute bars per symbol, already aligned to ``start``)."""

    def __init__(
        self,
        feeds: Mapping[str, Sequence[Bar]],
        setup: ReplaySetup,
        *,
        core: DecisionCore | None = None,
        log_signals: bool = False,
        skip_quiet: bool = True,
        fast: bool = False,
    ) -> None:
        if fast and log_signals:
            # The command refuses ``--fast --check-lookahead`` the same way (exit 2).
            raise ValueError("a fast replay leaves minutes undecided that the signal log must see")
        self.setup = setup
        self.log_signals = log_signals
        # Fast mode (``btcbot backtest --fast``): minutes in which nothing can trade are valued,
        # not decided (``_undecided_row``).
        self.fast = fast
        self.clock = ManualClock(setup.start)
        self.sim = SimExchange(feeds, now=self.clock.now, config=setup.sim)
        self.venue = ReplayVenue(self.sim)
        self.core = core or DecisionCore.from_params(setup.strategy, setup.limits, replay=True)
        # The LIVE wiring's market data limits: the same window of closed candles.
        limits = MarketDataLimits(candle_count=max(self.core.required_candles, 1) + 5)
        self.market = MarketDataService(self.venue, self.clock, limits)
        self.ledger: Ledger | None = None  # the books once run() has returned
        self._last_valued: _LastValued | None = None
        # Minutes where nothing can happen are valued without a decision (``quiet``); off,
        # every minute is a full cycle (the reference the quiet test is proved against).
        strategies = self.core.strategies.strategies
        self.quiet = (
            QuietMinutes(
                self.venue,
                self.market.rules,
                CandleWindow(limits.candle_count, limits.candle_settle),
                symbols=setup.symbols,
                strategies=strategies,
                history=limits.candle_count,
            )
            if skip_quiet and QuietMinutes.possible(strategies)
            else None
        )

    def run(self, on_cycle: CycleHook | None = None, on_row: RowSink | None = None) -> ReplayResult:
        """Every cycle of the setup, then the final reconcile; the fills and the equity series.

        The equity series is kept in ``result.rows``, or handed row by row to ``on_row`` and
        not kept: a year of rows was most of a long replay's memory.
        """
        result = ReplayResult(self.setup)
        sink = on_row if on_row is not None else result.rows.append
        state = self._open_books()
        for number in range(1, self.setup.cycles + 1):
            if number > 1:
                self.clock.advance(self.setup.cycle_seconds)
            self._cycle(state, result, sink)
            result.cycles = number
            if on_cycle is not None:
                on_cycle(number, self.clock.now(), state)
        # The clean stop's settle: book what the last cycle's orders did, decide nothing.
        self._book(state, result, self.venue.new_fills())
        snapshots = self.market.snapshots(self.setup.symbols).snapshots
        result.final = self._value(state, snapshots)
        self.ledger = state.ledger
        return result

    def _open_books(self) -> ReplayState:
        """The opening the LIVE books seed from: the account's balances at the start."""
        snapshots = self.market.snapshots(self.setup.symbols).snapshots
        pairs = [
            pair_of(rules)
            for symbol in self.setup.symbols
            if (rules := self.market.rules.rules_for(symbol)) is not None
        ]
        opening = opening_from_balances(self.venue.balances(), pairs, marks_from(snapshots, {}))
        return ReplayState(
            ledger=Ledger(opening),
            recent_submits=deque(maxlen=self.setup.limits.max_submits_per_window),
        )

    def _book(self, state: ReplayState, result: ReplayResult, fills: list[Fill]) -> None:
        if not fills:  # most minutes: nothing to book
            return
        state.books = None
        state.ledger.apply_fills(fills)
        for fill in fills:
            last = state.last_fill.get(fill.symbol)
            if last is None or fill.timestamp >= last.timestamp:
                state.last_fill[fill.symbol] = fill
        result.fills.extend(fills)

    def _cycle(self, state: ReplayState, result: ReplayResult, sink: RowSink) -> None:
        now = self.clock.now()
        self._book(state, result, self.venue.new_fills())
        if self._ended_undecided(state, result, sink, now):
            return
        live = self.venue.open_orders()
        snapshots = self.market.snapshots(self.setup.symbols).snapshots
        view = self._view(state, dict(state.marks), live, now)
        decision, snapshots = decide_with_books(
            lambda snaps: decide_on(self.core, self.setup.symbols, view, snaps, now),
            snapshots,
            self.market.with_books,
        )
        self._count(decision, result, now)
        # Execution: stale orders first (cancels are allowed in every state), then the intents.
        for order_id in sorted(live):
            if now - state.created.get(order_id, now) >= self.setup.order_ttl:
                result.canceled += int(self.venue.cancel(order_id))
        tag = f"bt{result.cycles + 1}"
        for approved in decision.approved:
            side = "b" if approved.side is Side.BUY else "s"
            cid = f"{tag}-{approved.index}-{approved.symbol}-{side}"
            state.recent_submits.append(now)
            sent = self.venue.submit(approved, cid)
            if sent.order_id is None:
                result.rejected += 1
                continue
            result.submitted += 1
            state.created[sent.order_id] = now
            result.intents[sent.order_id] = (approved.intent.strategy, approved.intent.reason)
        transition = decision.risk.transition
        if transition.changed:
            state.trading_state = transition.state
        valuation = self._value(state, snapshots)
        self._row(result, sink, valuation, state)

    def _ended_undecided(
        self, state: ReplayState, result: ReplayResult, sink: RowSink, now: datetime
    ) -> bool:
        """Whether this minute ended as its full cycle would, with less deciding (or none)."""
        if self._approves_nothing(state):
            if self.fast:
                return self._undecided_row(state, result, sink, now)
            return self.quiet is not None and self._narrowed_row(state, result, sink, now)
        return self.quiet is not None and self._quiet_row(state, result, sink, now)

    def _view(
        self,
        state: ReplayState,
        marks: dict[str, Decimal],
        live: Mapping[int, SimOrder],
        now: datetime,
    ) -> LedgerView:
        return LedgerView(
            ledger=state.ledger,
            watermark=state.watermark,
            marks=marks,
            trading_state=state.trading_state,
            open_orders=tuple(
                as_open_order(o, state.created.get(o.id, now))
                for o in sorted(live.values(), key=lambda o: o.id)
            ),
            recent_fills=tuple(state.last_fill.values()),
            recent_submits=tuple(state.recent_submits),
        )

    def _count(self, decision: Decision, result: ReplayResult, now: datetime) -> None:
        """Add one decision's signals and refusals to the result; stop on a strategy fault."""
        if decision.faults:
            # A LIVE cycle would go on with the symbol observing; a backtest that skipped it
            # would report results the strategy never produced.
            raise StrategyFailedError(
                f"{decision.faults[0].line()} at {now.isoformat()}: the backtest stops; "
                "fix the strategy or remove it from STRATEGIES"
            )
        result.signals += len(decision.signals)
        if self.log_signals:
            result.signal_log.extend((result.cycles + 1, s) for s in decision.signals)
        result.risk_rejections += len(decision.rejection_reasons)

    def _row(
        self, result: ReplayResult, sink: RowSink, valuation: Valuation, state: ReplayState
    ) -> None:
        result.max_drawdown_pct = max(result.max_drawdown_pct, valuation.drawdown_pct)
        marks = tuple(sorted(state.marks.items()))
        sink(EquityRow(valuation.at, valuation, self._books(state).holdings, marks))

    def _quiet_row(
        self, state: ReplayState, result: ReplayResult, sink: RowSink, now: datetime
    ) -> bool:
        """End a quiet minute's cycle as the full one would: its row; False if not quiet."""
        assert self.quiet is not None  # noqa: S101 - only called with the quiet test on
        books = self._books(state)
        look = self.quiet.look(now, books.held, every=False)
        if look is None or look[1]:
            return False
        valued = self._valued(state, books, look[0], now)
        if valued is None:
            return False  # the full cycle moves the state (and logs why)
        self.quiet.skipped += 1
        self._keep(state, result, sink, valued)
        return True

    def _approves_nothing(self, state: ReplayState) -> bool:
        """Whether risk refuses every order this minute, whatever the strategies say.

        HALTED refuses all (and is sticky); REDUCING allows only sells of a held position, so
        with nothing held it refuses all too.
        """
        if state.trading_state is TradingState.HALTED:
            return True
        return state.trading_state is TradingState.REDUCING and not self._books(state).held

    def _narrowed_row(
        self, state: ReplayState, result: ReplayResult, sink: RowSink, now: datetime
    ) -> bool:
        """A minute in which nothing can trade: decide only where a signal may come.

        Risk refuses every order (``_approves_nothing``) and nothing of ours is on the
        exchange, so nothing is sent, fills or is cancelled: what is left of the cycle is its
        counts and its row. The symbols no strategy can signal on add nothing to the counts
        (their screens say so, as in a quiet minute); the others are decided as the full
        cycle decides them, on the books valued at every symbol's mark. False when the
        screens cannot say or the trading state would change (a full cycle then runs).
        """
        assert self.quiet is not None  # noqa: S101 - only called with the quiet test on
        books = self._books(state)
        look = self.quiet.look(now, books.held, every=True)
        if look is None:
            return False
        prices, busy = look
        valued = self._valued(state, books, prices, now)
        if valued is None:
            # Not seen in any replay: HALTED is sticky and flat books keep their equity. Kept so
            # that a rule moving the state with time alone falls back to the full cycle.
            return False
        if busy:
            with self.venue.asking(busy):
                snapshots = self.market.snapshots(busy).snapshots
            decision = decide_on(
                self.core, busy, self._view(state, valued.marks, {}, now), snapshots, now
            )
            assert not decision.approved  # noqa: S101 - see _approves_nothing
            self._count(decision, result, now)
            self.quiet.narrowed += 1
        else:
            self.quiet.skipped += 1
        self._keep(state, result, sink, valued)
        return True

    def _undecided_row(
        self, state: ReplayState, result: ReplayResult, sink: RowSink, now: datetime
    ) -> bool:
        """Fast mode: a minute in which nothing can trade, valued without any decision.

        Risk refuses every order (``_approves_nothing``) and nothing of ours rests, so a
        decision could send, fill or cancel nothing: the trades, the equity series and the
        fingerprint are the full cycle's (``tests/integration/test_backtest_quiet.py``). Only
        the signals and refusals it would have counted are missing (``ReplayResult.undecided``
        says how many minutes). The state cannot leave by itself: HALTED is sticky and flat
        books keep their drawdown, so no later decision sees a strategy that missed these
        calls - and should a future rule move it, ``_valued`` hands the minute to the full
        cycle. False when a symbol has no rules or no two-sided quote, as a full cycle must say.
        """
        if self.venue.sim.open:
            return False
        info = self.market.rules.get()  # asked every minute, as the full cycle asks it
        prices: dict[str, Decimal] = {}
        for symbol in self.setup.symbols:
            quoted = markable(self.venue, info, symbol)
            if quoted is None:
                return False
            prices[symbol] = quoted[2]
        valued = self._valued(state, self._books(state), prices, now)
        if valued is None:
            return False
        result.undecided += 1
        self._keep(state, result, sink, valued)
        return True

    def _valued(
        self, state: ReplayState, books: HeldBooks, prices: Mapping[str, Decimal], now: datetime
    ) -> _Valued | None:
        """The books valued at ``prices``; ``None`` if that would move the trading state.

        The full cycle then moves it, and logs why.
        """
        marks = marks_at(books.costs, prices, state.marks)
        last = self._last_valued
        if (
            last is not None
            and last.totals is books.totals
            and last.state is state.trading_state
            and last.watermark is state.watermark
            and (again := revalue_flat(last.valuation, last.watermark, now)) is not None
        ):
            # The same flat books on the same day, kept last minute: the same valuation but
            # for its instant, and so the same portfolio, which left this state unchanged.
            valuation, watermark = again
        else:
            valuation, watermark = value_totals(books.totals, marks, now, state.watermark)
            portfolio = PortfolioView.from_valuation(valuation)
            if next_trading_state(state.trading_state, portfolio, self.setup.limits).changed:
                return None
        self._last_valued = _LastValued(books.totals, state.trading_state, valuation, watermark)
        return _Valued(marks, valuation, watermark)

    def _keep(
        self, state: ReplayState, result: ReplayResult, sink: RowSink, valued: _Valued
    ) -> None:
        """End the minute on a valuation of ``_valued``: the state carries it, the row shows it."""
        state.marks, state.watermark = valued.marks, valued.watermark
        self._row(result, sink, valued.valuation, state)

    @staticmethod
    def _books(state: ReplayState) -> HeldBooks:
        if state.books is None:
            state.books = HeldBooks.of(state.ledger)
        return state.books

    def _value(self, state: ReplayState, snapshots: Mapping[str, MarketSnapshot]) -> Valuation:
        marks = marks_for(state.ledger, snapshots, state.marks)
        valuation, state.watermark = value(
            state.ledger, QUOTE, marks, self.clock.now(), state.watermark
        )
        state.marks = marks
        return valuation


def _holdings(ledger: Ledger) -> tuple[tuple[str, Decimal, Decimal], ...]:
    return tuple((p.symbol, p.quantity, p.cost_basis) for p in ledger.positions(QUOTE))
