"""The unit of work of the LIVE cycle: H4's ``UnitOfWork`` plus the trading repositories by name."""

from __future__ import annotations

from collections.abc import Callable

from btcbot.domain.records import AuditContext
from btcbot.state.repositories.account import ForeignOrderRepository, MovementRepository
from btcbot.state.repositories.cycles import CycleRepository, DecisionRepository
from btcbot.state.repositories.fills import FillRepository
from btcbot.state.repositories.ledger_snapshots import LedgerSnapshotRepository
from btcbot.state.repositories.orders import OrderRepository
from btcbot.state.repositories.trading_state import TradingStateRepository
from btcbot.state.uow import ConnectionFactory, UnitOfWork


class TradingUnitOfWork(UnitOfWork):
    """A ``UnitOfWork`` whose trading repositories are attributes (what execution expects)."""

    @property
    def orders(self) -> OrderRepository:
        """Orders and their history."""
        return self.repository(OrderRepository)

    @property
    def fills(self) -> FillRepository:
        """Our trades, once each."""
        return self.repository(FillRepository)

    @property
    def cycles(self) -> CycleRepository:
        """The cycle journal."""
        return self.repository(CycleRepository)

    @property
    def decisions(self) -> DecisionRepository:
        """Signals and risk decisions."""
        return self.repository(DecisionRepository)

    @property
    def ledger(self) -> LedgerSnapshotRepository:
        """Ledger snapshots."""
        return self.repository(LedgerSnapshotRepository)

    @property
    def movements(self) -> MovementRepository:
        """Account movements: transfers, manual trades, what lies outside the books."""
        return self.repository(MovementRepository)

    @property
    def foreign_orders(self) -> ForeignOrderRepository:
        """Orders of the account the bot did not place."""
        return self.repository(ForeignOrderRepository)

    @property
    def trading_state(self) -> TradingStateRepository:
        """The persistent ACTIVE / REDUCING / HALTED state."""
        return self.repository(TradingStateRepository)


def trading_uow_factory(
    connection_factory: ConnectionFactory, audit: AuditContext
) -> Callable[[str | None], TradingUnitOfWork]:
    """A factory opening a ``TradingUnitOfWork`` whose rows carry the given cycle id."""

    def open_uow(cycle_id: str | None) -> TradingUnitOfWork:
        return TradingUnitOfWork(connection_factory, audit.for_cycle(cycle_id))

    return open_uow
