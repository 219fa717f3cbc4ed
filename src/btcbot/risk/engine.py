"""The risk engine: signals + context -> approved intents, typed rejections or dust, and the state.

Each signal runs through the rules in order (``btcbot.risk.rules.DEFAULT_RULES``); the first
refusal wins. The order is sized right before the first rule that needs it. Approved intents
count against every limit for the signals after them, so signal order matters and is kept as
given (the strategy engine emits it deterministically). Equal inputs give equal outputs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from btcbot.domain.trading import (
    ApprovedOrderIntent,
    DustPosition,
    RejectReason,
    RiskDecision,
    RiskLimits,
    RiskOutcome,
    RiskRejection,
    Signal,
    TradingState,
)
from btcbot.risk.context import CycleTally, RiskContext
from btcbot.risk.rules import DEFAULT_RULES, RiskRule, RuleInput
from btcbot.risk.sizing import SizedOrder, size_signal
from btcbot.risk.trading_state import StateTransition, allows_cancel, next_trading_state


@dataclass(frozen=True, slots=True)
class RiskResult:
    """One cycle's decisions, in signal order, and the trading state to persist."""

    decisions: tuple[RiskDecision, ...]
    transition: StateTransition

    @property
    def approved(self) -> tuple[ApprovedOrderIntent, ...]:
        """The approved intents, index order."""
        return tuple(d.approved for d in self.decisions if d.approved is not None)

    @property
    def approved_count(self) -> int:
        """How many intents risk approved."""
        return len(self.approved)

    @property
    def rejections(self) -> tuple[RiskRejection, ...]:
        """The typed refusals, signal order."""
        return tuple(d.outcome for d in self.decisions if isinstance(d.outcome, RiskRejection))

    @property
    def dust(self) -> tuple[DustPosition, ...]:
        """Positions found to be dust this cycle."""
        return tuple(d.outcome for d in self.decisions if isinstance(d.outcome, DustPosition))


class RiskEngine:
    """Applies ``rules`` under ``limits``; the rule list is injectable so tests can drop one."""

    def __init__(self, limits: RiskLimits, rules: Sequence[RiskRule] = DEFAULT_RULES) -> None:
        self.limits = limits
        self.rules = tuple(rules)

    @staticmethod
    def allows_cancel(state: TradingState) -> bool:
        """Cancels are allowed in every trading state; always ``True``."""
        return allows_cancel(state)

    def evaluate(self, signals: Sequence[Signal], ctx: RiskContext) -> RiskResult:
        """Decide every signal in order; see the module docstring."""
        tally = CycleTally()
        decisions: list[RiskDecision] = []
        for signal in signals:
            outcome = self._decide(signal, ctx, tally, index=tally.count)
            if isinstance(outcome, ApprovedOrderIntent):
                tally = tally.add(outcome.intent)
            decisions.append(RiskDecision(signal, outcome))
        transition = next_trading_state(ctx.trading_state, ctx.portfolio, self.limits)
        return RiskResult(tuple(decisions), transition)

    def _decide(
        self, signal: Signal, ctx: RiskContext, tally: CycleTally, *, index: int
    ) -> RiskOutcome:
        inp = RuleInput(signal, ctx, tally, self.limits)
        for rule in self.rules:
            if rule.needs_order and inp.sized is None:
                sized = self._size(inp)
                if not isinstance(sized, SizedOrder):
                    return sized
                inp = RuleInput(signal, ctx, tally, self.limits, sized)
            rejection = rule.check(inp)
            if rejection is not None:
                return rejection
        final = inp.sized if inp.sized is not None else self._size(inp)
        if not isinstance(final, SizedOrder):
            return final
        if final.refusal is not None:
            # Invariant, not a rule: an order the quantizer refused is never approved.
            return RiskRejection(RejectReason.EXCHANGE_RULES, final.refusal_detail)
        return ApprovedOrderIntent(index, final.intent)

    @staticmethod
    def _size(inp: RuleInput) -> SizedOrder | RiskRejection | DustPosition:
        snapshot = inp.ctx.snapshots.get(inp.signal.symbol)
        if snapshot is None:
            # Only reachable with the market-data rule removed (tests); still fail closed.
            return RiskRejection(RejectReason.NO_MARKET_DATA, f"no snapshot of {inp.signal.symbol}")
        return size_signal(
            inp.signal, snapshot, inp.ctx, inp.tally, max_notional=inp.limits.max_order_notional_try
        )
