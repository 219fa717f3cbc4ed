"""The decision core shared by the LIVE cycle, dry runs and the replay backtest (pure, no I/O)."""

from btcbot.decision.core import Decision, DecisionCore
from btcbot.decision.depth import decide_with_books
from btcbot.decision.inputs import QUOTE, LedgerView, decide_on

__all__ = ["QUOTE", "Decision", "DecisionCore", "LedgerView", "decide_on", "decide_with_books"]
