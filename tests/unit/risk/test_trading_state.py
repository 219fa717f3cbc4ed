"""Trading-state transitions: halts on breaches, sticky HALTED, REDUCING with the drawdown."""

from __future__ import annotations

from decimal import Decimal

import pytest
from risk_factories import portfolio

from btcbot.domain.enums import Side
from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import PortfolioView, RejectReason, RiskLimits, TradingState
from btcbot.risk.trading_state import allows_cancel, next_trading_state, state_refusal

LIMITS = RiskLimits()


def _at(equity: str = "100000", daily: str = "0") -> PortfolioView:
    return portfolio(equity=Decimal(equity), daily_pnl=Decimal(daily))


@pytest.mark.parametrize("state", list(TradingState))
def test_cancels_are_allowed_in_every_state(state: TradingState) -> None:
    """allows_cancel is True in ACTIVE, REDUCING and HALTED alike."""
    assert allows_cancel(state) is True


def test_daily_loss_at_the_limit_halts() -> None:
    """A daily PnL of exactly minus the limit moves ACTIVE to HALTED."""
    transition = next_trading_state(TradingState.ACTIVE, _at(daily="-1000"), LIMITS)
    assert transition.state is TradingState.HALTED
    assert transition.reason is not None
    assert "daily PnL" in transition.reason


def test_daily_loss_under_the_limit_keeps_trading() -> None:
    """A loss smaller than the limit leaves the state ACTIVE and unchanged."""
    transition = next_trading_state(TradingState.ACTIVE, _at(daily="-999.99"), LIMITS)
    assert transition.state is TradingState.ACTIVE
    assert not transition.changed


def test_drawdown_at_the_limit_halts() -> None:
    """A drawdown of max_drawdown_pct percent from the peak halts."""
    transition = next_trading_state(TradingState.ACTIVE, _at(equity="90000"), LIMITS)
    assert transition.state is TradingState.HALTED


def test_halt_survives_a_restart_after_recovery() -> None:
    """A persisted HALTED stays HALTED even when the books recovered (a new day, a restart)."""
    transition = next_trading_state(TradingState.HALTED, _at(equity="120000"), LIMITS)
    assert transition.state is TradingState.HALTED
    assert not transition.changed


def test_soft_drawdown_reduces_and_recovery_reactivates() -> None:
    """REDUCING starts at reduce_at_drawdown_pct and ends when the drawdown is back under it."""
    reducing = next_trading_state(TradingState.ACTIVE, _at(equity="95000"), LIMITS)
    assert reducing.state is TradingState.REDUCING
    assert reducing.changed
    # The operator reads this line in the order history and the log.
    assert reducing.reason == (
        "drawdown 5.0000 % reached 5 %: only exposure-cutting orders until it recovers"
    )
    staying = next_trading_state(TradingState.REDUCING, _at(equity="94000"), LIMITS)
    assert staying.state is TradingState.REDUCING
    assert not staying.changed
    back = next_trading_state(TradingState.REDUCING, _at(equity="96000"), LIMITS)
    assert back.state is TradingState.ACTIVE
    assert back.changed


def test_drawdown_is_percent_of_peak() -> None:
    """Drawdown is measured in percent below the peak equity, zero above it."""
    assert portfolio(equity=Decimal(97_500)).drawdown_pct == Decimal("2.5")
    assert portfolio(equity=Decimal(101_000)).drawdown_pct == 0


@pytest.mark.parametrize(
    ("state", "side", "holds", "expected"),
    [
        (TradingState.ACTIVE, Side.BUY, False, None),
        (TradingState.REDUCING, Side.SELL, True, None),
        (TradingState.REDUCING, Side.SELL, False, RejectReason.REDUCING_ONLY),
        (TradingState.REDUCING, Side.BUY, True, RejectReason.REDUCING_ONLY),
        (TradingState.HALTED, Side.SELL, True, RejectReason.TRADING_HALTED),
    ],
)
def test_state_refusal(
    state: TradingState, side: Side, holds: bool, expected: RejectReason | None
) -> None:
    """Each state allows exactly the new orders documented for it."""
    assert state_refusal(state, side, holds_position=holds) is expected


@pytest.mark.parametrize(
    "changes",
    [
        {"max_order_notional_try": Decimal(0)},
        {"max_drawdown_pct": Decimal(150)},
        {"max_fee_and_tax_pct": Decimal(500)},  # was accepted: a bot that never buys
        {"reduce_at_drawdown_pct": Decimal(20)},
        {"cash_reserve_try": Decimal(-1)},
    ],
)
def test_nonsense_limits_are_refused(changes: dict[str, Decimal]) -> None:
    """Limits that would disable a check or contradict each other raise ConfigError."""
    with pytest.raises(ConfigError, match="risk limit"):
        RiskLimits(**changes)  # type: ignore[arg-type]
