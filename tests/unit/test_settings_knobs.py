"""Risk and strategy knobs: defaults written once, refusals named by variable."""

from __future__ import annotations

from decimal import Decimal

import pytest

from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import RiskLimits
from btcbot.settings import Settings, load_settings
from btcbot.strategy.params import KNOWN_STRATEGIES, StrategyParams

MONITOR = {
    "APP_ROLE": "monitor",
    "STATE_DB_PATH": "/srv/btcbot/monitor.db",
    "CONTROL_DIR": "/srv/btcbot/control",
    "LIVE_TRADING": "false",
    "SAFE_MODE": "true",
    "KILL_SWITCH": "true",
}


def _load(**change: str) -> Settings:
    return load_settings(MONITOR | change)


def test_risk_defaults_are_the_risk_layers_defaults() -> None:
    """With no RISK_* variable set, risk_limits() equals RiskLimits()."""
    assert _load().risk_limits() == RiskLimits()


def test_strategy_defaults_match_the_strategy_layers_defaults() -> None:
    """The STRATEGY_* defaults equal StrategyParams()'s, and the names are the known ones."""
    s, params = _load(), StrategyParams()
    assert s.strategies == params.enabled
    assert set(s.strategies) == set(KNOWN_STRATEGIES)
    assert (
        s.strategy_trend_fast_window,
        s.strategy_trend_slow_window,
        s.strategy_trend_order_notional_try,
    ) == (params.trend.fast_window, params.trend.slow_window, params.trend.order_notional_try)
    mr = params.mean_reversion
    assert (
        s.strategy_meanrev_window,
        s.strategy_meanrev_entry_z,
        s.strategy_meanrev_take_profit_pct,
        s.strategy_meanrev_stop_loss_pct,
        s.strategy_meanrev_order_notional_try,
    ) == (mr.window, mr.entry_z, mr.take_profit_pct, mr.stop_loss_pct, mr.order_notional_try)


def test_risk_variables_reach_risk_limits_as_exact_decimals() -> None:
    """RISK_* values are parsed exactly (Decimal, int) and land in the matching field."""
    limits = _load(RISK_MAX_ORDER_NOTIONAL_TRY="1234.5", RISK_MAX_OPEN_ORDERS="3").risk_limits()
    assert limits.max_order_notional_try == Decimal("1234.5")
    assert limits.max_open_orders == 3


def test_strategies_none_means_observe_only() -> None:
    """STRATEGIES=none enables no strategy (an empty variable would mean 'default')."""
    assert _load(STRATEGIES="none").strategies == ()
    assert _load(STRATEGIES="Mean_Reversion").strategies == ("mean_reversion",)


def test_knobs_change_the_config_hash() -> None:
    """A risk knob is part of the configuration a DB row is stamped with."""
    assert _load(RISK_MAX_DRAWDOWN_PCT="9").config_hash != _load().config_hash


@pytest.mark.parametrize(
    ("change", "variable"),
    [
        ({"RISK_MAX_OPEN_ORDERS": "0"}, "RISK_MAX_OPEN_ORDERS"),
        ({"RISK_MAX_OPEN_ORDERS_PER_SYMBOL": "0"}, "RISK_MAX_OPEN_ORDERS_PER_SYMBOL"),
        ({"RISK_MAX_OPEN_ORDERS": "many"}, "RISK_MAX_OPEN_ORDERS"),
        ({"RISK_CASH_RESERVE_TRY": "-1"}, "RISK_CASH_RESERVE_TRY"),
        ({"RISK_CASH_RESERVE_TRY": "NaN"}, "RISK_CASH_RESERVE_TRY"),
        ({"RISK_MAX_DRAWDOWN_PCT": "3"}, "RISK_REDUCE_AT_DRAWDOWN_PCT"),
        (
            {"RISK_MAX_DRAWDOWN_PCT": "150", "RISK_REDUCE_AT_DRAWDOWN_PCT": "5"},
            "RISK_MAX_DRAWDOWN_PCT",
        ),
        ({"STRATEGIES": "trend,trend"}, "STRATEGIES"),
        ({"STRATEGIES": "scalping"}, "STRATEGIES"),
        ({"STRATEGY_TREND_FAST_WINDOW": "20"}, "STRATEGY_TREND_FAST_WINDOW"),
        ({"STRATEGY_MEANREV_WINDOW": "1"}, "STRATEGY_MEANREV_WINDOW"),
        ({"STRATEGY_MEANREV_STOP_LOSS_PCT": "100"}, "STRATEGY_MEANREV_STOP_LOSS_PCT"),
        ({"STRATEGY_MEANREV_ENTRY_Z": "abc"}, "STRATEGY_MEANREV_ENTRY_Z"),
    ],
)
def test_bad_knobs_are_refused_by_variable_name(change: dict[str, str], variable: str) -> None:
    """Each bad knob is one ConfigError line that starts with the variable to fix."""
    with pytest.raises(ConfigError) as info:
        load_settings(MONITOR | change)
    message = str(info.value)
    assert message.startswith(variable), message
    assert "\n" not in message
    assert "risk limit" not in message  # dataclass field names are translated


def test_the_edges_a_limit_may_sit_on_are_accepted() -> None:
    """One order a cycle, no reserve, no cool-down, 100 %, reducing only at the halt."""
    limits = RiskLimits(
        max_orders_per_cycle=1,
        max_open_orders=1,
        max_open_orders_per_symbol=1,
        max_order_notional_try=Decimal(1),
        max_data_age_seconds=1,
        max_submits_per_window=1,
        submit_window_seconds=1,
        cash_reserve_try=Decimal(0),
        max_fee_and_tax_pct=Decimal(100),
        cooldown_after_fill_seconds=0,
        max_drawdown_pct=Decimal(100),
        reduce_at_drawdown_pct=Decimal(100),
    )
    assert limits.fee_lock_factor == 2


def test_reducing_at_no_drawdown_at_all_is_refused() -> None:
    """REDUCING from the first tick would be a bot that never buys: named."""
    with pytest.raises(ConfigError, match="must be above 0 and at most max_drawdown_pct"):
        RiskLimits(reduce_at_drawdown_pct=Decimal(0))
