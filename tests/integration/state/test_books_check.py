"""The books against the account, on a real database: when a difference halts, when it is accepted.

``test_account_truth`` drives these through whole LIVE cycles; here ``BooksCheck`` is called
directly, so each step of the rule (seen once, seen twice, halted, lifted by the operator,
accepted) is held to what it stores: the trading state, the audit trail, the movements, and
the ledger's cash.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from state_db import initialised, unit_of_work

from btcbot.adapters.clock import ManualClock
from btcbot.domain.account import Movement, MovementKind, Target, Transfer
from btcbot.domain.cycle_records import TradingStateChange
from btcbot.domain.enums import Role
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.types import Opening, Pair
from btcbot.domain.models import Balance
from btcbot.domain.trading import StateCause, TradingState
from btcbot.observability.audit import AuditKind, AuditValue
from btcbot.services.account_books import AccountWatch, BooksCheck
from btcbot.settings import Settings
from btcbot.state.repositories.trading_uow import TradingUnitOfWork

AT = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
BTCTRY = Pair("BTCTRY", "BTC", "TRY")
CASH = Decimal(10_000)


@pytest.fixture
def live(tmp_path: Path) -> Settings:
    """A LIVE database ``db init`` made."""
    return initialised(tmp_path, Role.LIVE)


def _uow(settings: Settings) -> TradingUnitOfWork:
    return unit_of_work(settings, TradingUnitOfWork)


def _ledger() -> Ledger:
    return Ledger(Opening((BTCTRY,), (("TRY", CASH),)))


def _balances(try_: str, btc: str = "0") -> list[Balance]:
    """The account: TRY as two lines (a split the reader may hand over), and BTC in lower case."""
    half = Decimal(try_) / 2
    return [
        Balance("TRY", half, half, Decimal(0)),
        Balance("try", half, Decimal(0), half),
        Balance("btc", Decimal(btc), Decimal(btc), Decimal(0)),
    ]


def _compare(
    settings: Settings, check: BooksCheck, ledger: Ledger, balances: list[Balance], n: int = 0
) -> tuple[str, ...]:
    with _uow(settings) as uow:
        found = check.compare(uow, ledger, balances, AT + timedelta(minutes=n))
        uow.commit()
    return tuple(d.asset for d in found)


def _state(settings: Settings) -> TradingStateChange | None:
    with _uow(settings) as uow:
        return uow.trading_state.current()


def _audit(settings: Settings, kind: AuditKind) -> list[dict[str, AuditValue]]:
    with _uow(settings) as uow:
        return [e.detail for e in uow.audit.recent(100, kind=kind)]


def _lift(settings: Settings) -> None:
    """What 'btcbot arm' records over a halt."""
    with _uow(settings) as uow:
        uow.trading_state.record(
            TradingStateChange(TradingState.ACTIVE, "operator re-armed", AT, StateCause.OPERATOR)
        )
        uow.commit()


def _accepted_after_arm(
    settings: Settings, check: BooksCheck, ledger: Ledger, balances: list[Balance]
) -> None:
    """Minutes 0 to 2: seen twice (HALTED), 'btcbot arm', then seen again and accepted."""
    _compare(settings, check, ledger, balances, 0)
    _compare(settings, check, ledger, balances, 1)
    _lift(settings)
    _compare(settings, check, ledger, balances, 2)


def test_books_that_match_the_account_differ_in_nothing(live: Settings) -> None:
    """TRY summed over its lines and any letter case equals the books' cash."""
    assert _compare(live, BooksCheck(), _ledger(), _balances("10000")) == ()
    assert _state(live) is None


def test_a_difference_seen_once_is_reported_but_halts_nothing(live: Settings) -> None:
    """A fill landing between the reads looks like this; the next cycle explains it."""
    assert _compare(live, BooksCheck(), _ledger(), _balances("10000", btc="0.01")) == ("BTC",)
    assert _state(live) is None
    assert _audit(live, AuditKind.BOOKS_DIFFER) == []


def test_a_difference_must_be_seen_on_consecutive_checks_to_halt(live: Settings) -> None:
    """Seen, gone, seen again: two sightings, but not in a row."""
    check, ledger = BooksCheck(), _ledger()
    _compare(live, check, ledger, _balances("10000", btc="0.01"), 0)
    _compare(live, check, ledger, _balances("10000"), 1)
    _compare(live, check, ledger, _balances("10000", btc="0.01"), 2)
    assert _state(live) is None


def test_a_difference_seen_twice_halts_trading_with_what_differs(live: Settings) -> None:
    """HALTED, caused by the books, in words the operator can act on; audited without amounts."""
    check, ledger = BooksCheck(), _ledger()
    differing = _balances("10500", btc="0.01")
    _compare(live, check, ledger, differing, 0)
    assert _compare(live, check, ledger, differing, 1) == ("BTC", "TRY")
    assert _state(live) == TradingStateChange(
        TradingState.HALTED,
        "the books differ from the account (BTC: exchange 0.01 = books 0 + outside 0 + "
        "unexplained 0.01; TRY: exchange 10500 = books 10000 + outside 0 + unexplained 500): "
        "check transfers and trades made outside the bot, then 'btcbot arm' to accept the "
        "difference",
        AT + timedelta(minutes=1),
        StateCause.BOOKS_DIFFER,
    )
    (halt,) = _audit(live, AuditKind.BOOKS_DIFFER)
    assert halt["assets"] == "BTC,TRY"
    assert isinstance(halt["difference_id"], str)
    assert len(halt["difference_id"]) == 12
    int(halt["difference_id"], 16)


def test_while_halted_the_difference_is_neither_accepted_nor_halted_again(live: Settings) -> None:
    """Only the operator's arm may accept it: until then the books stay as they were."""
    check, ledger = BooksCheck(), _ledger()
    differing = _balances("10500", btc="0.01")
    for n in range(6):
        _compare(live, check, ledger, differing, n)
    assert _audit(live, AuditKind.BOOKS_DIFFERENCE_ACCEPTED) == []
    assert len(_audit(live, AuditKind.BOOKS_DIFFER)) == 1
    assert ledger.cash("TRY") == CASH
    with _uow(live) as uow:
        assert uow.movements.all() == []


def test_after_arm_the_same_difference_is_accepted_into_the_books_and_outside(
    live: Settings,
) -> None:
    """TRY moves the books' cash and capital; BTC is held outside; both are applied movements."""
    check, ledger = BooksCheck(), _ledger()
    differing = _balances("10500", btc="0.01")
    _compare(live, check, ledger, differing, 0)
    _compare(live, check, ledger, differing, 1)
    (halt,) = _audit(live, AuditKind.BOOKS_DIFFER)
    _lift(live)
    assert _compare(live, check, ledger, differing, 2) == ()
    key = halt["difference_id"]
    assert _audit(live, AuditKind.BOOKS_DIFFERENCE_ACCEPTED) == [
        {"assets": "BTC,TRY", "difference_id": key}
    ]
    assert ledger.cash("TRY") == Decimal(10_500)
    assert ledger.capital("TRY") == Decimal(10_500)
    with _uow(live) as uow:
        assert uow.movements.pending() == []
        stored = {m.asset: m for m in uow.movements.all()}
    assert stored["TRY"] == Movement(
        f"accepted-{key}-TRY",
        MovementKind.ACCEPTED,
        "TRY",
        Decimal(500),
        AT + timedelta(minutes=2),
        Target.BOOKS,
        "accepted after 'btcbot arm': TRY: exchange 10500 = books 10000 + outside 0 + "
        "unexplained 500",
    )
    assert (stored["BTC"].delta, stored["BTC"].target) == (Decimal("0.01"), Target.OUTSIDE)
    assert _compare(live, check, ledger, differing, 3) == ()  # explained from now on
    lifted = _state(live)
    assert lifted is not None
    assert lifted.state is TradingState.ACTIVE


def test_a_different_difference_after_an_acceptance_halts_again(live: Settings) -> None:
    """Accepting one difference is no blanket: a new one is seen twice and halts."""
    check, ledger = BooksCheck(), _ledger()
    first = _balances("10000", btc="0.01")
    _accepted_after_arm(live, check, ledger, first)
    second = _balances("10000", btc="0.03")
    _compare(live, check, ledger, second, 3)
    assert _compare(live, check, ledger, second, 4) == ("BTC",)
    assert len(_audit(live, AuditKind.BOOKS_DIFFER)) == 2
    halted = _state(live)
    assert halted is not None
    assert halted.state is TradingState.HALTED


def test_an_accepted_difference_the_books_cannot_hold_is_not_booked(live: Settings) -> None:
    """Books kept in USDT cannot take TRY as cash: that leg is left, and nothing is stored."""
    check = BooksCheck()
    ledger = Ledger(Opening((Pair("BTCUSDT", "BTC", "USDT"),), (("USDT", Decimal(1000)),)))
    differing = [
        Balance("USDT", Decimal(1000), Decimal(1000), Decimal(0)),
        Balance("TRY", Decimal(500), Decimal(500), Decimal(0)),
        Balance("BTC", Decimal("0.01"), Decimal("0.01"), Decimal(0)),
        Balance("XRP", Decimal(5), Decimal(5), Decimal(0)),  # sorts after TRY
    ]
    _accepted_after_arm(live, check, ledger, differing)
    assert ledger.amounts() == {"USDT": Decimal(1000), "BTC": Decimal(0)}
    with _uow(live) as uow:
        assert sorted(m.asset for m in uow.movements.all()) == ["BTC", "XRP"]
    assert len(_audit(live, AuditKind.BOOKS_DIFFERENCE_ACCEPTED)) == 1


def test_pending_flows_are_booked_once_and_refused_ones_left_to_the_comparison(
    live: Settings,
) -> None:
    """A TRY deposit moves the cash; BTC stays outside; an overdraft is refused; all marked."""
    ledger = _ledger()
    flows = [
        Movement("d-1", MovementKind.DEPOSIT, "TRY", Decimal(2500), AT, Target.BOOKS),
        Movement("d-2", MovementKind.DEPOSIT, "BTC", Decimal("0.5"), AT, Target.OUTSIDE),
        Movement("w-1", MovementKind.WITHDRAWAL, "TRY", Decimal(-99_999), AT, Target.BOOKS),
    ]
    with _uow(live) as uow:
        for m in flows:
            uow.movements.add(m)
        booked = BooksCheck().book_movements(uow, ledger)
        uow.commit()
    assert [m.movement_id for m in booked] == ["d-1", "d-2", "w-1"]
    assert ledger.cash("TRY") == Decimal(12_500)
    assert ledger.amounts().get("BTC", Decimal(0)) == 0
    with _uow(live) as uow:
        assert uow.movements.pending() == []
        assert [m.movement_id for m in uow.movements.outside()] == ["d-2"]


def test_the_same_difference_appearing_again_after_acceptance_halts_again(
    live: Settings,
) -> None:
    """A second 0.01 BTC from nowhere has the same id as the first: it is not pre-accepted."""
    check, ledger = BooksCheck(), _ledger()
    once = _balances("10000", btc="0.01")
    _accepted_after_arm(live, check, ledger, once)  # 0.01 BTC held outside from now on
    twice = _balances("10000", btc="0.02")
    _compare(live, check, ledger, twice, 3)
    assert _compare(live, check, ledger, twice, 4) == ("BTC",)
    halts = _audit(live, AuditKind.BOOKS_DIFFER)
    assert len(halts) == 2
    assert halts[0]["difference_id"] == halts[1]["difference_id"]
    assert len(_audit(live, AuditKind.BOOKS_DIFFERENCE_ACCEPTED)) == 1
    halted = _state(live)
    assert halted is not None
    assert halted.state is TradingState.HALTED
    with _uow(live) as uow:
        assert {e.actor for e in uow.audit.recent(10)} == {"btcbot"}


class _Account:
    """The account reads of the watch: one deposit, then the balances; records the window."""

    def __init__(self) -> None:
        self.windows: list[tuple[datetime, datetime]] = []

    def transfers(self, start: datetime, end: datetime) -> list[Transfer]:
        self.windows.append((start, end))
        return [Transfer("t-1", MovementKind.DEPOSIT, "try", Decimal(250), Decimal(0), AT)]

    def balances(self) -> list[Balance]:
        return _balances("10250")


def test_the_watch_stores_each_transfer_once_and_is_due_once_a_minute(live: Settings) -> None:
    """Due at once; then not until a minute of exchange time has passed; the window is an hour."""
    clock, account = ManualClock(AT), _Account()
    watch = AccountWatch(reader=account, uow_factory=lambda _cycle: _uow(live), clock=clock)
    assert watch.due()
    assert watch.collect("c-1") == tuple(_balances("10250"))
    assert account.windows == [(AT - timedelta(hours=1), AT + timedelta(minutes=5))]
    clock.advance(59)
    assert not watch.due()
    clock.advance(1)
    assert watch.due()
    watch.collect("c-2", lookback=timedelta(minutes=10))
    assert account.windows[1][0] == clock.now() - timedelta(minutes=10)
    with _uow(live) as uow:
        (deposit,) = uow.movements.pending()
    assert (deposit.movement_id, deposit.asset, deposit.delta, deposit.target) == (
        "transfer-t-1",
        "TRY",
        Decimal(250),
        Target.BOOKS,
    )
