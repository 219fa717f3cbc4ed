"""The fill ledger: positions, cash, PnL, fees and tax from fills applied exactly once.

``core`` is the ledger itself; ``types`` its records, ``fills`` what one fill does to a
position, ``valuation`` the books at mark prices, ``balances`` the books against the
exchange's balances, ``codec`` their stored form (docs/LEDGER.md).
"""

from btcbot.domain.ledger.core import Ledger

__all__ = ["Ledger"]
