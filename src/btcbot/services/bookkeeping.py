"""The LIVE book: the ledger and the cycle journal in the live DB, one commit per cycle.

``view()`` reads what the next decision needs (open orders, recent submits, the trading state)
and hands out the ledger as of the last commit. ``close_cycle()`` opens ONE unit of work and, in
it, records the cycle, its signals and risk decisions, books every fill the ledger has not
booked yet (``fills.unapplied()``, marked applied in the same commit, so a crash can neither
lose nor double a fill), saves the ledger snapshot with its watermark, records a trading-state
change, and commits. The in-memory ledger moves only after that commit succeeded.

The books open once, after the first successful startup reconciliation: the newest stored
snapshot, or — on a fresh database — an opening seeded from the exchange's own balances. Fills
already stored at that moment are in those balances, so they are marked applied, not booked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from btcbot.adapters.clock import Clock
from btcbot.decision.inputs import QUOTE, LedgerView, marks_for
from btcbot.domain.account import Movement, MovementKind, Target
from btcbot.domain.cycle_records import CycleRecord, TradingStateChange
from btcbot.domain.enums import OrderStatus
from btcbot.domain.errors import LedgerError, StateError
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.balances import outside_at_seed
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.domain.ledger.valuation import EquityWatermark, value
from btcbot.domain.models import Balance, Fill, Order
from btcbot.domain.orders import LocalOrderState, OrderOrigin, TrackedOrder
from btcbot.observability.audit import AuditEvent, AuditKind
from btcbot.observability.logging import get_logger
from btcbot.services.account_books import BooksCheck
from btcbot.services.cycle import BookFigures, CycleCommit
from btcbot.services.quarantine import quarantine
from btcbot.state.repositories.trading_uow import TradingUnitOfWork

_log = get_logger(__name__)
LIVE_STATES = tuple(s for s in LocalOrderState if s.is_live)
"""Order states that rest (or may rest) on the exchange: what "open orders" counts."""


def as_exchange_order(order: TrackedOrder) -> Order:
    """A tracked live order as risk and strategy see open orders."""
    partially = order.filled_quantity > 0
    return Order(
        order_id=order.exchange_order_id or 0,
        client_order_id=order.client_order_id,
        symbol=order.symbol,
        side=order.side,
        method=order.method,
        price=order.price,
        stop_price=None,
        quantity=order.quantity,
        left_quantity=max(order.quantity - order.filled_quantity, Decimal(0)),
        status=OrderStatus.PARTIALLY_FILLED if partially else OrderStatus.OPEN,
        created_at=order.created_at,
        updated_at=order.updated_at,
    )


def with_pairs(ledger: Ledger, pairs: Sequence[Pair]) -> Ledger:
    """``ledger`` with every pair of ``pairs`` it lacks registered, at zero holdings.

    A symbol added to SYMBOLS after the books were seeded has no pair in the stored opening, so
    its first fill would be refused and stop the loop. Its quote cash is already in the books
    (the same account), so registering the pair with nothing held is exact; the extended opening
    is persisted with the next ledger snapshot.
    """
    known = {p.symbol for p in ledger.pairs}
    new = tuple(p for p in pairs if p.symbol not in known)
    if not new:
        return ledger
    foreign = sorted(p.symbol for p in new if p.quote not in ledger.quotes())
    if foreign:
        raise StateError(
            f"SYMBOLS adds {', '.join(foreign)} quoted in a currency the books do not hold "
            f"({', '.join(ledger.quotes())}): trade pairs quoted in {QUOTE} only"
        )
    snapshot = ledger.snapshot()
    opening = replace(snapshot.opening, pairs=snapshot.opening.pairs + new)
    _log.warning("ledger_pairs_added", symbols=[p.symbol for p in new], holdings="0")
    return Ledger.from_snapshot(replace(snapshot, opening=opening))


class Bookkeeper:
    """The ``Books`` of the LIVE cycle over H8's trading unit of work and H7's ledger."""

    def __init__(
        self,
        *,
        uow_factory: Callable[[str | None], TradingUnitOfWork],
        clock: Clock,
        seed: Callable[[], tuple[Opening, Sequence[Balance]]],
        recent_submits: int,
        pairs: Callable[[], Sequence[Pair]] = tuple,
    ) -> None:
        self._uow = uow_factory
        self._clock = clock
        self._seed = seed
        self._pairs = pairs
        self._recent_submits = recent_submits
        self._ledger: Ledger | None = None
        self._watermark: EquityWatermark | None = None
        self._marks: dict[str, Decimal] = {}
        self._last_fill: dict[str, Fill] = {}
        self._check = BooksCheck()

    def ensure_open(self) -> None:
        """Load the newest ledger snapshot, or seed the opening from the exchange balances."""
        if self._ledger is not None:
            return
        with self._uow(None) as uow:
            stored = uow.ledger.latest()
            fills = uow.fills.all()
            if stored is not None:
                # Snapshots are stored without their trade ids; the fills table marks them.
                applied = uow.fills.applied_ids() | set(stored.snapshot.applied_trade_ids)
                snapshot = replace(stored.snapshot, applied_trade_ids=tuple(sorted(applied)))
                ledger = with_pairs(Ledger.from_snapshot(snapshot), self._pairs())
                self._watermark = next((w for w in stored.watermarks if w.quote == QUOTE), None)
        if stored is None:
            # Seeding reads the exchange and stores fills itself: outside any open transaction.
            opening, balances = self._seed()
            ledger = Ledger(opening)
            with self._uow(None) as uow:
                fills = uow.fills.all()
                already = [f.trade_id for f in uow.fills.unapplied()]
                uow.fills.mark_applied(already)
                # Movements stored by now are inside the balances the books open from.
                uow.movements.mark([m.movement_id for m in uow.movements.pending()], "preseed")
                self._seed_outside(uow, balances, opening)
                uow.ledger.save(ledger.snapshot(), at=self._clock.now())
                uow.commit()
            _log.info("ledger_seeded", cash=str(ledger.cash(QUOTE)), preexisting=len(already))
        for fill in fills:
            self._note_fill(fill)
        self._ledger = ledger

    def _seed_outside(
        self, uow: TradingUnitOfWork, balances: Sequence[Balance], opening: Opening
    ) -> None:
        """Record what the account holds beyond the new books, and audit any handover."""
        now = self._clock.now()
        for asset, amount in sorted(outside_at_seed(balances, opening).items()):
            uow.movements.add(
                Movement(
                    movement_id=f"seed-{asset}",
                    kind=MovementKind.SEED,
                    asset=asset,
                    delta=amount,
                    at=now,
                    target=Target.OUTSIDE,
                    detail="held by the account when the books were opened; not the bot's",
                ),
                state="applied",
            )
            _log.warning("holdings_left_outside", asset=asset, amount=str(amount))
        if opening.holdings:
            uow.audit.append(
                AuditEvent(
                    kind=AuditKind.HOLDINGS_HANDED_OVER,
                    at=now,
                    actor="operator",
                    detail={"symbols": ",".join(h.symbol for h in opening.holdings)},
                )
            )

    def _note_fill(self, fill: Fill) -> None:
        last = self._last_fill.get(fill.symbol)
        if last is None or fill.timestamp >= last.timestamp:
            self._last_fill[fill.symbol] = fill

    def view(self) -> LedgerView:
        """The booked state for the next decision."""
        if self._ledger is None:
            raise StateError("the books are not open: startup reconciliation must succeed first")
        with self._uow(None) as uow:
            live = uow.orders.in_states(LIVE_STATES)
            recent = uow.orders.recent(self._recent_submits)
            state = uow.trading_state.current_state()
            unresolved = uow.orders.unresolved_symbols()
            unbooked = uow.fills.unapplied()
        submits = tuple(o.created_at for o in recent if o.origin is OrderOrigin.BOT)
        # Decide on current books: the fills reconciled this cycle applied (in memory; they are
        # booked for good, exactly once, in close_cycle's commit).
        ledger, _refused = _applied(self._ledger, unbooked)
        last_fill = dict(self._last_fill)
        for fill in unbooked:  # the cool-down after a fill counts this cycle's fills too
            if fill.symbol not in last_fill or fill.timestamp >= last_fill[fill.symbol].timestamp:
                last_fill[fill.symbol] = fill
        return LedgerView(
            ledger=ledger,
            watermark=self._watermark,
            marks=dict(self._marks),
            trading_state=state,
            open_orders=tuple(as_exchange_order(o) for o in live),
            recent_fills=tuple(last_fill.values()),
            recent_submits=submits,
            unresolved_symbols=unresolved,
        )

    def close_cycle(self, record: CycleCommit) -> BookFigures:
        """Persist the cycle and book its fills in one commit; return the valued books."""
        with self._uow(record.cycle_id) as uow:
            row = CycleRecord(record.cycle_id, record.number, record.started_at)
            uow.cycles.start(row)
            decision = record.decision
            if decision is not None:
                for signal in decision.signals:
                    uow.decisions.add_signal(signal)
                for risk_decision in decision.risk.decisions:
                    uow.decisions.add_decision(risk_decision, at=record.started_at)
                transition = decision.risk.transition
                if transition.changed and transition.reason is not None:
                    change = TradingStateChange(
                        transition.state, transition.reason, record.started_at
                    )
                    uow.trading_state.record(change)
                    _log.warning("trading_state_changed", state=transition.state.value)
            figures, booked = self._book(uow, record)
            uow.cycles.finish(
                CycleRecord(
                    record.cycle_id,
                    record.number,
                    record.started_at,
                    finished_at=record.finished_at,
                    outcome="observe_only" if record.observe_only_reason else "ok",
                    error=record.observe_only_reason,
                    orders_submitted=record.execution.submitted,
                    fills=len(booked.fills),
                )
            )
            uow.commit()
        if booked.ledger is not None:
            self._ledger, self._watermark, self._marks = booked.ledger, booked.wm, booked.marks
            for fill in booked.fills:
                self._note_fill(fill)
        return figures

    def _book(self, uow: TradingUnitOfWork, record: CycleCommit) -> tuple[BookFigures, _Booked]:
        if self._ledger is None:
            zero = Decimal(0)
            return BookFigures(zero, zero, zero, zero, zero), _Booked.empty()
        unbooked = uow.fills.unapplied()
        ledger, refused = _applied(self._ledger, unbooked)
        for fill, reason in refused:
            # Set aside for good (marked, never booked), audited, and trading halted.
            quarantine(uow, fill, reason, record.finished_at)
        uow.fills.mark_applied([f.trade_id for f in unbooked])
        fills = [f for f in unbooked if f not in {r[0] for r in refused}]
        before = ledger.amounts()
        self._check.book_movements(uow, ledger)
        balances = record.balances
        if balances is not None:
            self._check.compare(uow, ledger, balances, record.finished_at)
        moved = ledger.amounts() != before  # a flow without a fill must be persisted too
        standing = uow.trading_state.current()
        foreign = len(uow.foreign_orders.open_rows())
        marks = marks_for(ledger, record.snapshots, self._marks)
        valuation, wm = value(ledger, QUOTE, marks, record.finished_at, self._watermark)
        uow.ledger.save(
            ledger.snapshot(),
            at=record.finished_at,
            watermarks=(wm,),
            valuation=valuation,
            moved=moved,
        )
        exposure = {p.symbol: p.market_value for p in valuation.positions}
        figures = BookFigures(
            realized_pnl=valuation.realized_pnl,
            unrealized_pnl=valuation.unrealized_pnl,
            equity=valuation.equity,
            drawdown_pct=valuation.drawdown_pct,
            daily_pnl=valuation.daily_pnl,
            exposure=exposure,
            trading_state=standing,
            foreign_orders=foreign,
        )
        return figures, _Booked(ledger, wm, marks, tuple(fills))


def _applied(ledger: Ledger, fills: Sequence[Fill]) -> tuple[Ledger, list[tuple[Fill, str]]]:
    """A copy of ``ledger`` with ``fills`` applied, and the fills it refused with the reason.

    All at once when they all apply (the usual case); one by one, on copies, only after a
    refusal, so one bad fill neither stops the others nor leaves a half-applied ledger.
    """
    whole = ledger.copy()
    try:
        whole.apply_fills(fills)
    except LedgerError:
        pass
    else:
        return whole, []
    current, refused = ledger.copy(), []
    for fill in fills:
        trial = current.copy()
        try:
            trial.apply_fills([fill])
        except LedgerError as exc:
            refused.append((fill, f"{type(exc).__name__}: {exc}"))
            continue
        current = trial
    return current, refused


@dataclass(frozen=True, slots=True)
class _Booked:
    """What one commit booked, to adopt in memory once the commit succeeded."""

    ledger: Ledger | None
    wm: EquityWatermark | None
    marks: dict[str, Decimal]
    fills: tuple[Fill, ...]

    @classmethod
    def empty(cls) -> _Booked:
        """Nothing booked (the books are not open yet)."""
        return cls(None, None, {}, ())
