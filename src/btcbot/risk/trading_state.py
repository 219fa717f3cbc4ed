"""Trading-state transitions as pure functions; the caller persists the state across restarts.

- HALTED is sticky: only the operator lifts it (the caller resets the persisted state), so a
  daily-loss halt survives a restart and a new Istanbul day alike.
- A breach of the daily loss limit (TRY) or of the maximum drawdown (percent) halts.
- REDUCING follows the drawdown: entered at ``reduce_at_drawdown_pct``, left when the drawdown
  is back under it.
- A loss inside the limits changes nothing (the predecessor blocked every cycle after its first
  realized loss), and cancels are allowed in every state.
"""

from __future__ import annotations

from dataclasses import dataclass

from btcbot.domain.enums import Side
from btcbot.domain.trading import (
    PortfolioView,
    RejectReason,
    RiskLimits,
    RiskRejection,
    TradingState,
)


@dataclass(frozen=True, slots=True)
class StateTransition:
    """The state for the next decisions, and why it changed (``None`` when it did not)."""

    state: TradingState
    reason: str | None = None

    @property
    def changed(self) -> bool:
        """True when the caller must persist (and log) a new state."""
        return self.reason is not None


def allows_cancel(state: TradingState) -> bool:
    """Cancels only ever reduce risk, so every state allows them; always ``True``."""
    del state  # the state is accepted so callers state their intent; it never matters
    return True


def state_refusal(state: TradingState, side: Side, *, holds_position: bool) -> RejectReason | None:
    """Why ``state`` forbids a new ``side`` order, or ``None`` when it allows it.

    REDUCING allows only sells of a held position: in spot trading nothing else cuts exposure.
    """
    if state is TradingState.HALTED:
        return RejectReason.TRADING_HALTED
    if state is TradingState.REDUCING and not (side is Side.SELL and holds_position):
        return RejectReason.REDUCING_ONLY
    return None


def limit_breach(portfolio: PortfolioView, limits: RiskLimits) -> RiskRejection | None:
    """The daily-loss or drawdown breach in ``portfolio``, daily loss first; ``None`` if none."""
    if portfolio.daily_pnl <= -limits.max_daily_loss_try:
        return RiskRejection(
            RejectReason.DAILY_LOSS_LIMIT,
            f"daily PnL {portfolio.daily_pnl} TRY reached the limit "
            f"-{limits.max_daily_loss_try} TRY",
        )
    drawdown = portfolio.drawdown_pct
    if drawdown >= limits.max_drawdown_pct:
        return RiskRejection(
            RejectReason.MAX_DRAWDOWN,
            f"drawdown {drawdown:.4f} % from peak equity {portfolio.peak_equity} TRY reached "
            f"the limit {limits.max_drawdown_pct} %",
        )
    return None


def next_trading_state(
    current: TradingState, portfolio: PortfolioView, limits: RiskLimits
) -> StateTransition:
    """The state after looking at ``portfolio``; see the module docstring for the rules."""
    if current is TradingState.HALTED:
        return StateTransition(TradingState.HALTED)
    breach = limit_breach(portfolio, limits)
    if breach is not None:
        return StateTransition(TradingState.HALTED, breach.detail)
    drawdown = portfolio.drawdown_pct
    if drawdown >= limits.reduce_at_drawdown_pct:
        if current is TradingState.REDUCING:
            return StateTransition(TradingState.REDUCING)
        return StateTransition(
            TradingState.REDUCING,
            f"drawdown {drawdown:.4f} % reached {limits.reduce_at_drawdown_pct} %: "
            "only exposure-cutting orders until it recovers",
        )
    if current is TradingState.REDUCING:
        return StateTransition(
            TradingState.ACTIVE,
            f"drawdown {drawdown:.4f} % back under {limits.reduce_at_drawdown_pct} %",
        )
    return StateTransition(TradingState.ACTIVE)
