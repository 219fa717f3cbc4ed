"""Reconciliation: exchange orders and trades against the database, at startup and every cycle.

One pass reads ``openOrders`` and the account's own trades once, for every pair; ``allOrders``
only for the symbols whose orders it must search (an unresolved order, or the startup pass); and
``GET /order/{id}`` only for an order it knows of but saw in neither list. Then, per symbol (the
configured ones plus every symbol with an unfinished order), in one unit of work (rules in
docs/EXECUTION.md):

* an exchange order matching a tracked order (by exchange id, else by client id) updates it —
  this is how PENDING_SUBMIT/UNKNOWN orders are resolved; Closed becomes FILLED;
* an exchange order the database does not know is adopted and reported when its client id is
  of the bot's format (its intent was lost); any other is **foreign** - placed by hand or by
  another program - recorded apart, never adopted, cancelled or counted as the bot's;
* a trade of a foreign order is a manual trade: stored as account movements (its base leg
  outside the books, its TRY leg a capital flow), never as the bot's fill;
* an unresolved order missing from a complete window that covers its creation counts one
  absence; after ``absent_passes`` such passes it becomes NOT_PLACED and unblocks its symbol;
* every trade is stored once (trade id UNIQUE); the new ones are returned for the ledger;
* a trade of any other pair whose order is not the bot's is a manual trade too (it moves TRY).

The trade window reaches back to the previous pass (minus a margin), not a fixed hour: trades
are stored once by id, so overlapping windows cost nothing but bytes.

The exchange is read before the unit of work opens, so SQLite's write lock is never held
across the network.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from btcbot.adapters.clock import Clock
from btcbot.domain.account import is_ours
from btcbot.domain.errors import (
    ExchangeError,
    ExchangeRejectError,
    MalformedResponseError,
    OrderNotFoundError,
    StateError,
)
from btcbot.domain.models import Fill, Order
from btcbot.domain.orders import LocalOrderState, TrackedOrder
from btcbot.execution.order_sync import (
    absence_counts,
    adopted,
    audit_event,
    describe,
    follows_trigger,
    is_spent_stop,
    synced,
)
from btcbot.execution.ports import (
    ExchangeOrderReader,
    OrderStore,
    TradingUnitOfWorkPort,
    UnitOfWorkFactory,
)
from btcbot.observability.audit import AuditKind
from btcbot.observability.logging import get_logger
from btcbot.services.account_books import store_manual_trade
from btcbot.services.quarantine import quarantine, quarantine_order

_log = get_logger(__name__)
_ACTIVE = tuple(s for s in LocalOrderState if s.is_unresolved or s.is_live)
_LIVE = tuple(s for s in LocalOrderState if s.is_live)


STARTUP_LOOKBACK = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class ReconciliationSettings:
    """Bounds of one pass; docs/EXECUTION.md explains each choice."""

    lookback: timedelta = timedelta(hours=1)
    startup_lookback: timedelta = STARTUP_LOOKBACK
    margin: timedelta = timedelta(minutes=5)
    absent_passes: int = 3
    settle: timedelta = timedelta(seconds=30)
    all_orders_limit: int = 1000


@dataclass(frozen=True, slots=True)
class ReconciliationReport:
    """What one pass found and changed."""

    new_fills: tuple[Fill, ...] = ()
    adopted: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    not_placed: tuple[str, ...] = ()
    unresolved_symbols: frozenset[str] = field(default_factory=frozenset)
    foreign: tuple[int, ...] = ()
    open_orders: int = 0  # the bot's orders resting (or maybe resting) after the pass
    other_pairs: tuple[str, ...] = ()  # manual trades seen in pairs outside the pass


@dataclass(frozen=True, slots=True)
class StartupVerdict:
    """Whether startup reconciliation succeeded; without it the bot must only observe."""

    trading_allowed: bool
    reason: str | None
    report: ReconciliationReport | None


@dataclass(frozen=True, slots=True)
class _Seen:
    """What the pass's all-pairs reads hold for one symbol, and whether to search its orders."""

    open_orders: list[Order]
    trades: list[Fill]
    search: bool  # allOrders too: an unresolved order to find, or the startup pass
    settled: frozenset[int]  # order ids whose trades need no order read (see ``_settled``)


@dataclass(slots=True)
class _Snapshot:
    """What the exchange said about one symbol in this pass."""

    orders: dict[int, Order]
    trades: list[Fill]
    covered: frozenset[str]  # unresolved orders whose creation a complete search covered


@dataclass(slots=True)
class _Pass:
    """One pass's fixed facts and what it changed so far."""

    cycle_id: str
    start: datetime
    now: datetime
    new_fills: list[Fill] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    not_placed: list[str] = field(default_factory=list)
    foreign: list[int] = field(default_factory=list)
    other_pairs: list[str] = field(default_factory=list)


class ReconciliationService:
    """Brings the database in line with the exchange; never sends an order or a cancel."""

    def __init__(
        self,
        *,
        reader: ExchangeOrderReader,
        uow_factory: UnitOfWorkFactory,
        clock: Clock,
        settings: ReconciliationSettings | None = None,
    ) -> None:
        self._reader = reader
        self._uow = uow_factory
        self._clock = clock
        self._cfg = settings or ReconciliationSettings()
        if self._cfg.absent_passes < 1:
            raise ValueError("absent_passes must be at least 1")
        self._last_pass: datetime | None = None
        # API.md 4.4: the docs disagree whether openOrders answers every pair without
        # pairSymbol. The conservative reading: ask once for all; if BtcTurk refuses that, ask
        # per symbol from then on (more requests, nothing missed).
        self._open_per_symbol = False

    def startup(self, cycle_id: str, symbols: Collection[str]) -> StartupVerdict:
        """The pass before the first decision; a failure means observe-only, with the reason."""
        try:
            report = self.reconcile(cycle_id, symbols, lookback=self._cfg.startup_lookback)
        except (ExchangeError, StateError) as exc:
            reason = f"startup reconciliation failed, trading refused: {exc}"
            _log.error(
                "startup_reconciliation_failed", error_type=type(exc).__name__, error=str(exc)
            )
            return StartupVerdict(trading_allowed=False, reason=reason, report=None)
        return StartupVerdict(trading_allowed=True, reason=None, report=report)

    def reconcile(
        self, cycle_id: str, symbols: Collection[str], *, lookback: timedelta | None = None
    ) -> ReconciliationReport:
        """One pass over ``symbols`` and every symbol with an unfinished order.

        The window reaches back ``lookback`` (default: the settings' per-cycle lookback) and at
        least to the creation of every unfinished order, minus the margin.
        """
        now = self._clock.now()
        with self._uow(cycle_id) as uow:
            active = uow.orders.in_states(_ACTIVE)
        start = min(
            [self._window_start(now, lookback)] + [o.created_at - self._cfg.margin for o in active]
        )
        end = now + self._cfg.margin
        changes = _Pass(cycle_id=cycle_id, start=start, now=now)
        in_pass = sorted(set(symbols) | {o.symbol for o in active})
        resting_now = self._open_orders(in_pass)
        trades = self._reader.own_trades(None, start, end)
        settled = self._settled(cycle_id, trades)
        for symbol in in_pass:
            mine = [o for o in active if o.symbol == symbol]
            seen = _Seen(
                open_orders=[o for o in resting_now if o.symbol == symbol],
                trades=[t for t in trades if t.symbol == symbol],
                search=lookback is not None or any(o.state.is_unresolved for o in mine),
                settled=settled,
            )
            self._apply(changes, symbol, self._read(symbol, start, end, mine, seen))
        others = [t for t in trades if t.symbol not in in_pass]
        if others:
            with self._uow(cycle_id) as uow:
                self._apply_trades(uow, changes, others, traded=False)
                uow.commit()
        self._last_pass = now
        with self._uow(cycle_id) as uow:
            unresolved = uow.orders.unresolved_symbols()
            resting = len(uow.orders.in_states(_LIVE))
        return ReconciliationReport(
            new_fills=tuple(changes.new_fills),
            adopted=tuple(changes.adopted),
            updated=tuple(changes.updated),
            not_placed=tuple(changes.not_placed),
            unresolved_symbols=unresolved,
            foreign=tuple(changes.foreign),
            open_orders=resting,
            other_pairs=tuple(changes.other_pairs),
        )

    def _window_start(self, now: datetime, lookback: timedelta | None) -> datetime:
        """Where the pass reads from: ``lookback`` back if given, else the previous pass.

        The previous pass minus the margin, and never after it: if the exchange clock's
        estimate stepped back since, the window still covers everything after that pass.
        """
        if lookback is not None:
            return now - lookback
        if self._last_pass is None:
            return now - self._cfg.lookback
        return max(now - self._cfg.lookback, min(now, self._last_pass) - self._cfg.margin)

    def _settled(self, cycle_id: str, trades: list[Fill]) -> frozenset[int]:
        """Orders of ``trades`` already known to their end (a finished order of ours, or foreign).

        Their trades are stored without asking for the order again: a trade stays in the
        window for a few passes, and each would otherwise cost one ``GET /order/{id}``.
        """
        if not trades:
            return frozenset()
        with self._uow(cycle_id) as uow:
            foreign = uow.foreign_orders.ids()
            ids = {t.order_id for t in trades}
            return frozenset(
                i
                for i in ids
                if i in foreign
                or (
                    (tracked := uow.orders.by_exchange_id(i)) is not None
                    and tracked.state.is_terminal
                )
            )

    def _open_orders(self, symbols: list[str]) -> list[Order]:
        """Every resting order of ``symbols``: one all-pairs request, per symbol if refused.

        An all-pairs answer that does not parse may fail on a row of a pair the bot does not
        trade; this pass then asks per symbol, as it did before, so such a row cannot stop
        reconciliation (a bad row of a traded pair still fails it).
        """
        if not self._open_per_symbol:
            try:
                return [o for o in self._reader.open_orders(None) if o.symbol in symbols]
            except ExchangeRejectError as exc:
                self._open_per_symbol = True
                _log.warning(
                    "open_orders_all_pairs_refused",
                    error=str(exc),
                    consequence="asking per symbol from now on",
                )
            except MalformedResponseError as exc:
                _log.warning(
                    "open_orders_all_pairs_unreadable",
                    error=str(exc),
                    consequence="asking per symbol this pass",
                )
        return [o for symbol in symbols for o in self._reader.open_orders(symbol)]

    def _read(
        self,
        symbol: str,
        start: datetime,
        end: datetime,
        active: list[TrackedOrder],
        seen: _Seen,
    ) -> _Snapshot:
        history = (
            self._reader.all_orders(symbol, start, end, self._cfg.all_orders_limit)
            if seen.search
            else []
        )
        orders = {o.order_id: o for o in history}
        # openOrders is fresher than allOrders for resting orders; it wins on conflict.
        orders.update({o.order_id: o for o in seen.open_orders})
        trades = seen.trades
        # Live orders not resting any more, or created before the window, and traded orders
        # outside it: ask one by one (each leaves the active set once synced).
        wanted = {o.exchange_order_id for o in active if o.exchange_order_id is not None}
        wanted |= {t.order_id for t in trades if t.order_id not in seen.settled}
        for order_id in sorted(wanted - orders.keys()):
            try:
                orders[order_id] = self._reader.get_order(order_id)
            except OrderNotFoundError:
                _log.warning("order_not_found_on_exchange", exchange_order_id=order_id)
        return _Snapshot(
            orders=orders,
            trades=trades,
            covered=self._search_unresolved(
                symbol, active, orders, complete=len(history) < self._cfg.all_orders_limit
            )
            if seen.search
            else frozenset(),
        )

    def _search_unresolved(
        self, symbol: str, active: list[TrackedOrder], orders: dict[int, Order], *, complete: bool
    ) -> frozenset[str]:
        """Which unresolved orders a complete search covered; narrows the search if needed.

        A truncated ``allOrders`` answer proves nothing about absence, so each unresolved order
        then gets its own query over its creation time +- the margin.
        """
        unresolved = [o for o in active if o.state.is_unresolved]
        if complete:
            return frozenset(o.client_order_id for o in unresolved)
        covered: set[str] = set()
        margin, limit = self._cfg.margin, self._cfg.all_orders_limit
        for order in unresolved:
            around = order.created_at
            narrow = self._reader.all_orders(symbol, around - margin, around + margin, limit)
            orders.update({o.order_id: o for o in narrow if o.order_id not in orders})
            if len(narrow) < limit:
                covered.add(order.client_order_id)
        return frozenset(covered)

    def _apply(self, changes: _Pass, symbol: str, snap: _Snapshot) -> None:
        now = changes.now
        with self._uow(changes.cycle_id) as uow:
            matched = self._apply_orders(uow, changes, symbol, snap)
            self._apply_trades(uow, changes, snap.trades)
            for gone in self._count_absences(uow.orders, snap.covered, matched, changes):
                uow.audit.append(audit_event(AuditKind.ORDER_NOT_PLACED, gone, now))
            uow.commit()

    def _apply_orders(
        self, uow: TradingUnitOfWorkPort, changes: _Pass, symbol: str, snap: _Snapshot
    ) -> set[str]:
        """Update, adopt or set apart every order seen; the client ids matched to a row."""
        now = changes.now
        matched: set[str] = set()
        for seen in sorted(snap.orders.values(), key=lambda o: o.order_id):
            problem = seen.problem()
            if problem is not None:
                # Bad data never moves an order's state, nor counts as its absence (which would
                # unblock its symbol); trading halts until the operator has looked.
                quarantine_order(uow, seen, problem, now)
                if seen.client_order_id is not None:
                    matched.add(seen.client_order_id)
                continue
            tracked = self._match(uow.orders, seen)
            if tracked is None and self._is_spent_stop(uow.orders, seen):
                continue  # the cancelled leg of a stop we already follow to its new order
            if tracked is None and not is_ours(seen.client_order_id):
                if uow.foreign_orders.seen(seen, now):
                    changes.foreign.append(seen.order_id)
                    _log.warning(
                        "foreign_order_seen",
                        exchange_order_id=seen.order_id,
                        client_order_id=seen.client_order_id,
                        symbol=symbol,
                        consequence="not the bot's: never adopted, cancelled or booked",
                    )
                continue
            if tracked is None:
                record = adopted(seen, now)
                uow.orders.add(record, event="adopted", detail=describe(seen))
                uow.audit.append(audit_event(AuditKind.ORDER_ADOPTED, record, now))
                changes.adopted.append(record.client_order_id)
                _log.warning("order_adopted", exchange_order_id=seen.order_id, symbol=symbol)
                continue
            matched.add(tracked.client_order_id)
            new = synced(tracked, seen, now)
            if new is not None:
                uow.orders.save(new, event="reconciled", detail=describe(seen))
                changes.updated.append(new.client_order_id)
        return matched

    def _apply_trades(
        self,
        uow: TradingUnitOfWorkPort,
        changes: _Pass,
        trades: list[Fill],
        *,
        traded: bool = True,
    ) -> None:
        """Store every new trade once: the bot's as fills, a foreign order's as movements.

        ``traded=False`` is for pairs outside the pass: a trade of the bot's own there (by its
        row or its client id) is left alone, and the books check then names the difference
        rather than guess; the rest are manual trades (they move TRY too).
        """
        for trade in sorted(trades, key=lambda t: (t.timestamp, t.trade_id)):
            problem = trade.problem()
            if problem is not None:
                # Bad data never reaches the fills table, let alone the ledger.
                quarantine(uow, trade, problem, changes.now)
                continue
            tracked = uow.orders.by_exchange_id(trade.order_id) is not None
            if not tracked:
                foreign = trade.order_id in uow.foreign_orders.ids()
                if foreign or not is_ours(trade.client_order_id):
                    if self._manual_trade(uow, trade) and not traded:
                        changes.other_pairs.append(trade.symbol)
                    continue
            if not traded:
                continue
            if not tracked:
                # Ours by its client id, but its order could not be fetched: booked anyway.
                _log.warning("fill_without_order", trade_id=trade.trade_id)
            if uow.fills.add(trade):
                changes.new_fills.append(trade)

    @staticmethod
    def _manual_trade(uow: TradingUnitOfWorkPort, trade: Fill) -> bool:
        """A trade of an order the bot did not place: account movements, not a bot fill."""
        if not store_manual_trade(uow.movements, trade):
            return False
        _log.warning(
            "manual_trade_seen",
            trade_id=trade.trade_id,
            symbol=trade.symbol,
            side=trade.side.value,
            quantity=str(trade.quantity),
            consequence="booked outside the bot's inventory",
        )
        return True

    @staticmethod
    def _is_spent_stop(orders: OrderStore, seen: Order) -> bool:
        candidate = None if seen.client_order_id is None else orders.get(seen.client_order_id)
        return candidate is not None and is_spent_stop(candidate, seen)

    @staticmethod
    def _match(orders: OrderStore, seen: Order) -> TrackedOrder | None:
        tracked = orders.by_exchange_id(seen.order_id)
        if tracked is not None or seen.client_order_id is None:
            return tracked
        candidate = orders.get(seen.client_order_id)
        if candidate is None:
            return None
        if candidate.exchange_order_id is None or follows_trigger(candidate, seen):
            return candidate
        return None

    def _count_absences(
        self, orders: OrderStore, covered: frozenset[str], matched: set[str], changes: _Pass
    ) -> list[TrackedOrder]:
        """Count one absence for each unresolved order not seen; return those now NOT_PLACED."""
        now = changes.now
        gone_now: list[TrackedOrder] = []
        unresolved = (LocalOrderState.PENDING_SUBMIT, LocalOrderState.UNKNOWN)
        for order in orders.in_states(unresolved):
            if order.client_order_id not in covered or order.client_order_id in matched:
                continue
            if not absence_counts(
                order, now=now, window_start=changes.start, settle=self._cfg.settle
            ):
                continue
            absences = order.absent_checks + 1
            if absences >= self._cfg.absent_passes:
                gone = replace(
                    order, state=LocalOrderState.NOT_PLACED, absent_checks=absences, updated_at=now
                )
                orders.save(gone, event="not_placed", detail=f"absent from {absences} passes")
                changes.not_placed.append(order.client_order_id)
                gone_now.append(gone)
                _log.warning("order_not_placed", client_order_id=order.client_order_id)
            else:
                counted = replace(order, absent_checks=absences, updated_at=now)
                orders.save(counted, event="absent", detail=f"absent from {absences} passes")
        return gone_now
