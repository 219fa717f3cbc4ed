"""The books against the account, every cycle: transfers seen, flows booked, differences halted.

Two halves (rules in ``btcbot.domain.account`` and docs/LEDGER.md, "The account is the truth"):

* ``AccountWatch.collect`` runs in the reconcile step, after the order and trade pass (which
  reads the account's trades of every pair, once, and stores a foreign order's as manual
  trades): it stores every deposit and withdrawal of the window, then reads the balances -
  last, so everything the balances reflect was read before them, except what landed in
  between;
* ``BooksCheck`` runs in the book's one commit: it books the pending movements (TRY flows into
  the ledger's cash and capital, the rest outside the books) and compares
  ``balance = ledger + outside`` per asset. A difference seen on two consecutive checks halts
  trading (HALTED, audited ``books_differ``); one seen once is what a fill landing between the
  reads looks like, and the next cycle's reconciliation explains it. ``btcbot arm`` lifts the
  halt; the next check then finds the same difference and accepts it as an ``accepted``
  movement (audited ``books_difference_accepted``) - a different one halts again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

from btcbot.adapters.clock import Clock
from btcbot.domain.account import (
    AssetDifference,
    Movement,
    MovementKind,
    Target,
    Transfer,
    differences,
    manual_trade_movements,
    outside_totals,
    split_symbol,
    target_of,
    transfer_movement,
)
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.errors import LedgerError
from btcbot.domain.ledger import Ledger
from btcbot.domain.models import Balance, Fill
from btcbot.domain.trading import StateCause, TradingState
from btcbot.execution.ports import MovementStore
from btcbot.observability.audit import AuditEvent, AuditKind, AuditValue
from btcbot.observability.logging import get_logger
from btcbot.state.repositories.trading_uow import TradingUnitOfWork

_log = get_logger(__name__)

CHECK_INTERVAL = timedelta(seconds=60)
"""How often a routine cycle compares the books with the account.

Each check costs three requests (crypto and fiat transfers, balances; the account's trades come
from the cycle's reconciliation pass) against BtcTurk's per-minute quotas (90 for transfers,
120 for balances, API.md section 6), which a sub-second cycle would exhaust; once a minute of
exchange time is every cycle at the default CYCLE_SECONDS=60, and a difference is still
caught within two minutes.
Start-up, seeding and the final reconciliation of a clean stop always check.
"""


class AccountReader(Protocol):
    """The account reads of the watch (``BtcturkClient`` has them)."""

    def transfers(self, start: datetime, end: datetime) -> list[Transfer]:
        """Deposits and withdrawals in the window."""
        ...

    def balances(self) -> list[Balance]:
        """Every asset of the account."""
        ...


class AccountWatch:
    """Stores the account's movements of a window, then reads its balances."""

    def __init__(
        self,
        *,
        reader: AccountReader,
        uow_factory: Callable[[str | None], TradingUnitOfWork],
        clock: Clock,
        lookback: timedelta = timedelta(hours=1),
        interval: timedelta = CHECK_INTERVAL,
    ) -> None:
        self._reader = reader
        self._uow = uow_factory
        self._clock = clock
        self._lookback = lookback
        self._interval = interval
        self._last: datetime | None = None

    def due(self) -> bool:
        """Whether a routine check is due (``CHECK_INTERVAL`` of exchange time since the last)."""
        return self._last is None or self._clock.now() - self._last >= self._interval

    def collect(self, cycle_id: str, *, lookback: timedelta | None = None) -> tuple[Balance, ...]:
        """Store the window's new movements; the balances read after them."""
        now = self._clock.now()
        self._last = now
        start = now - (lookback or self._lookback)
        end = now + timedelta(minutes=5)
        transfers = self._reader.transfers(start, end)
        balances = tuple(self._reader.balances())
        with self._uow(cycle_id) as uow:
            new = [m for t in transfers if uow.movements.add(m := transfer_movement(t))]
            uow.commit()
        for m in new:
            _log.warning("account_movement_seen", kind=m.kind.value, asset=m.asset, at=str(m.at))
        return balances


def store_manual_trade(movements: MovementStore, trade: Fill) -> list[Movement]:
    """Store a trade of an order the bot did not place as its two movements; the new ones.

    Reconciliation calls this for the configured pairs and for every other pair, so a manual
    trade is split the same way wherever it is seen. A pair ending in no quote
    BtcTurk lists is left unexplained on purpose: the comparison halts rather than guess.
    """
    legs = split_symbol(trade.symbol)
    if legs is None:
        _log.error("manual_trade_pair_unknown", symbol=trade.symbol)
        return []
    return [m for m in manual_trade_movements(trade, *legs) if movements.add(m)]


class BooksCheck:
    """Books pending movements and compares the books with the account (see the module)."""

    def __init__(self) -> None:
        self._seen_once: str | None = None

    def book_movements(self, uow: TradingUnitOfWork, ledger: Ledger) -> list[Movement]:
        """Apply the pending capital flows to ``ledger`` (in place); mark all pending applied."""
        pending = uow.movements.pending()
        for m in pending:
            if m.target is not Target.BOOKS:
                continue
            try:
                ledger.apply_flow(m.asset, m.delta)
            except LedgerError as exc:
                # Left to the comparison: the books then differ from the account and it halts.
                _log.error("capital_flow_refused", movement_id=m.movement_id, error=str(exc))
        uow.movements.mark([m.movement_id for m in pending], "applied")
        return pending

    def compare(
        self,
        uow: TradingUnitOfWork,
        ledger: Ledger,
        balances: Sequence[Balance],
        now: datetime,
    ) -> tuple[AssetDifference, ...]:
        """Compare; halt on a difference seen twice, accept one the operator lifted."""
        exchange: dict[str, Decimal] = {}
        for b in balances:
            exchange[b.asset.upper()] = exchange.get(b.asset.upper(), Decimal(0)) + b.total
        found = differences(exchange, ledger.amounts(), outside_totals(uow.movements.outside()))
        if not found:
            self._seen_once = None
            return found
        key = _key(found)
        halted = uow.trading_state.current_state() is TradingState.HALTED
        if not halted and key == _last_halt_key(uow):
            self._accept(uow, ledger, found, key, now)
            self._seen_once = None
            return ()
        if self._seen_once != key:
            self._seen_once = key
            _log.warning("books_differ_once", differences=[d.describe() for d in found])
            return found
        if not halted:
            self._halt(uow, found, key, now)
        return found

    @staticmethod
    def _halt(
        uow: TradingUnitOfWork, found: tuple[AssetDifference, ...], key: str, now: datetime
    ) -> None:
        text = "; ".join(d.describe() for d in found)
        _audit(uow, AuditKind.BOOKS_DIFFER, found, key, now)
        reason = (
            f"the books differ from the account ({text}): check transfers and trades made "
            "outside the bot, then 'btcbot arm' to accept the difference"
        )
        uow.trading_state.record(
            TradingStateChange(TradingState.HALTED, reason, now, StateCause.BOOKS_DIFFER)
        )
        _log.error("books_differ", differences=text, consequence="trading halted")

    @staticmethod
    def _accept(
        uow: TradingUnitOfWork,
        ledger: Ledger,
        found: tuple[AssetDifference, ...],
        key: str,
        now: datetime,
    ) -> None:
        for d in found:
            target = target_of(d.asset)
            movement = Movement(
                movement_id=f"accepted-{key}-{d.asset}",
                kind=MovementKind.ACCEPTED,
                asset=d.asset,
                delta=d.unexplained,
                at=now,
                target=target,
                detail=f"accepted after 'btcbot arm': {d.describe()}",
            )
            if target is Target.BOOKS:
                try:
                    ledger.apply_flow(d.asset, d.unexplained)
                except LedgerError as exc:
                    _log.error("accepted_difference_refused", asset=d.asset, error=str(exc))
                    continue
            uow.movements.add(movement, state="applied")
        _audit(uow, AuditKind.BOOKS_DIFFERENCE_ACCEPTED, found, key, now)
        _log.warning("books_difference_accepted", differences=[d.describe() for d in found])


def _audit(
    uow: TradingUnitOfWork,
    kind: AuditKind,
    found: tuple[AssetDifference, ...],
    key: str,
    now: datetime,
) -> None:
    """A halt or an acceptance of one set of differences: the assets and its id, no amounts."""
    detail: dict[str, AuditValue] = {
        "assets": ",".join(d.asset for d in found),
        "difference_id": key,
    }
    uow.audit.append(AuditEvent(kind=kind, at=now, actor="btcbot", detail=detail))


def _key(found: tuple[AssetDifference, ...]) -> str:
    """A short, stable id of one set of differences (no amounts go into the audit trail)."""
    text = ";".join(f"{d.asset}={d.unexplained.normalize()}" for d in found)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _last_halt_key(uow: TradingUnitOfWork) -> str | None:
    """The difference the newest books halt was about, unless it was accepted since."""
    halts = uow.audit.recent(1, kind=AuditKind.BOOKS_DIFFER)
    if not halts:
        return None
    accepted = uow.audit.recent(1, kind=AuditKind.BOOKS_DIFFERENCE_ACCEPTED)
    key = halts[0].detail.get("difference_id")
    if accepted and accepted[0].detail.get("difference_id") == key:
        return None
    return str(key) if key is not None else None
