"""What a decision is made on, and the one function that feeds it to the decision core.

``LedgerView`` is the booked state (as of the last commit, with this cycle's fills applied);
``decide_on`` values it at this cycle's marks and asks the core. The LIVE cycle and the replay
backtest both call ``decide_on``, so they hand the core the same ``RiskContext`` for the same
books and market.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from btcbot.decision.core import Decision, DecisionCore
from btcbot.domain.ledger import Ledger
from btcbot.domain.ledger.valuation import EquityWatermark, Valuation, value
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import Fill, Order
from btcbot.domain.trading import PortfolioView, TradingState
from btcbot.risk.context import RiskContext

QUOTE = "TRY"
"""The currency the books, every limit and every figure are kept in."""


@dataclass(frozen=True, slots=True)
class LedgerView:
    """The booked state a decision is made on (as of the last commit)."""

    ledger: Ledger
    watermark: EquityWatermark | None
    marks: Mapping[str, Decimal]
    trading_state: TradingState
    open_orders: tuple[Order, ...]
    recent_fills: tuple[Fill, ...]
    recent_submits: tuple[datetime, ...]
    unresolved_symbols: frozenset[str] = frozenset()

    def valuation(self, snapshots: Mapping[str, MarketSnapshot], at: datetime) -> Valuation:
        """The ledger valued at this cycle's marks (see ``marks_for``)."""
        marks = marks_for(self.ledger, snapshots, self.marks)
        return value(self.ledger, QUOTE, marks, at, self.watermark)[0]


def marks_from(
    snapshots: Mapping[str, MarketSnapshot], fallback: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """Mid price per symbol (last trade when a side is missing), over the ``fallback`` marks."""
    return {**fallback, **_marks(snapshots)}


def marks_for(
    ledger: Ledger, snapshots: Mapping[str, MarketSnapshot], last: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """A mark for every held symbol: this cycle's, else the last seen, else its average cost.

    A market-data gap on a held symbol must not fail the cycle's commit (the books would stop
    moving); valuing it at the last known price is the honest fallback.
    """
    return marks_at(held_costs(ledger), _marks(snapshots), last)


def _marks(snapshots: Mapping[str, MarketSnapshot]) -> dict[str, Decimal]:
    return {symbol: snap.mark for symbol, snap in snapshots.items()}


def held_costs(ledger: Ledger) -> dict[str, Decimal]:
    """The average cost of every held symbol: its mark of last resort (see ``marks_for``)."""
    return {p.symbol: p.avg_cost for p in ledger.positions(QUOTE) if not p.is_flat}


def marks_at(
    costs: Mapping[str, Decimal], prices: Mapping[str, Decimal], last: Mapping[str, Decimal]
) -> dict[str, Decimal]:
    """``marks_for`` from ``held_costs`` and this cycle's price per symbol (a snapshot's mark).

    A replay reads the costs once per fill and the prices from its quiet-minute screens.
    """
    return {**costs, **last, **prices}


def decide_on(
    core: DecisionCore,
    symbols: Sequence[str],
    view: LedgerView,
    snapshots: Mapping[str, MarketSnapshot],
    now: datetime,
    *,
    kill_switch_reason: str | None = None,
) -> Decision:
    """One pure decision over the booked ``view`` and this instant's ``snapshots``."""
    portfolio = PortfolioView.from_valuation(view.valuation(snapshots, now))
    return core.decide(
        symbols,
        RiskContext(
            now=now,
            snapshots=snapshots,
            portfolio=portfolio,
            trading_state=view.trading_state,
            kill_switch_reason=kill_switch_reason,
            open_orders=view.open_orders,
            recent_fills=view.recent_fills,
            recent_submits=view.recent_submits,
            unresolved_symbols=view.unresolved_symbols,
        ),
    )
