"""The env-only base of ``Settings``, carrying the risk and strategy knobs (LIVE).

Money in TRY, ratios in percent (5 means 5 %), durations in seconds. Risk defaults are taken
from ``RiskLimits()`` itself, so they are written down once; strategy defaults are pinned to
``StrategyParams()`` by tests/unit/test_settings_knobs.py (settings may not import the strategy
package, so wiring builds ``StrategyParams`` from these fields).

Adding a knob: a field here with an env alias and a default, a validator if the type alone cannot
say what is valid, a line in .env.example (a test fails until it is documented) and a row in
docs/CONFIGURATION.md.
"""

from __future__ import annotations

import re
from dataclasses import fields
from decimal import Decimal
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import RiskLimits
from btcbot.settings.parsing import SettingValueError, parse_strategies

_RISK = RiskLimits()


class TradingKnobs(BaseSettings):
    """Env-only settings base: the sources are exactly what ``load_settings`` passes in."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        case_sensitive=True,
        env_file=None,
        secrets_dir=None,
        validate_default=True,
    )

    # ---------------------------------------------------------------- risk
    risk_max_orders_per_cycle: int = Field(
        default=_RISK.max_orders_per_cycle, alias="RISK_MAX_ORDERS_PER_CYCLE"
    )
    risk_max_open_orders: int = Field(default=_RISK.max_open_orders, alias="RISK_MAX_OPEN_ORDERS")
    risk_max_open_orders_per_symbol: int = Field(
        default=_RISK.max_open_orders_per_symbol, alias="RISK_MAX_OPEN_ORDERS_PER_SYMBOL"
    )
    risk_max_order_notional_try: Decimal = Field(
        default=_RISK.max_order_notional_try, alias="RISK_MAX_ORDER_NOTIONAL_TRY"
    )
    risk_max_position_notional_try: Decimal = Field(
        default=_RISK.max_position_notional_try, alias="RISK_MAX_POSITION_NOTIONAL_TRY"
    )
    risk_max_total_exposure_try: Decimal = Field(
        default=_RISK.max_total_exposure_try, alias="RISK_MAX_TOTAL_EXPOSURE_TRY"
    )
    risk_cash_reserve_try: Decimal = Field(
        default=_RISK.cash_reserve_try, alias="RISK_CASH_RESERVE_TRY"
    )
    risk_max_fee_and_tax_pct: Decimal = Field(
        default=_RISK.max_fee_and_tax_pct, alias="RISK_MAX_FEE_AND_TAX_PCT"
    )
    risk_max_data_age_seconds: int = Field(
        default=_RISK.max_data_age_seconds, alias="RISK_MAX_DATA_AGE_SECONDS"
    )
    risk_cooldown_after_fill_seconds: int = Field(
        default=_RISK.cooldown_after_fill_seconds, alias="RISK_COOLDOWN_AFTER_FILL_SECONDS"
    )
    risk_max_daily_loss_try: Decimal = Field(
        default=_RISK.max_daily_loss_try, alias="RISK_MAX_DAILY_LOSS_TRY"
    )
    risk_reduce_at_drawdown_pct: Decimal = Field(
        default=_RISK.reduce_at_drawdown_pct, alias="RISK_REDUCE_AT_DRAWDOWN_PCT"
    )
    risk_max_drawdown_pct: Decimal = Field(
        default=_RISK.max_drawdown_pct, alias="RISK_MAX_DRAWDOWN_PCT"
    )
    risk_max_submits_per_window: int = Field(
        default=_RISK.max_submits_per_window, alias="RISK_MAX_SUBMITS_PER_WINDOW"
    )
    risk_submit_window_seconds: int = Field(
        default=_RISK.submit_window_seconds, alias="RISK_SUBMIT_WINDOW_SECONDS"
    )

    # ---------------------------------------------------------------- strategy
    strategies: tuple[str, ...] = Field(default=("trend", "mean_reversion"), alias="STRATEGIES")
    # Parameters of the pkg.module:Class entries of STRATEGIES: a JSON or TOML file of tables.
    strategy_params_file: Path | None = Field(default=None, alias="STRATEGY_PARAMS_FILE")
    strategy_trend_fast_window: int = Field(default=5, ge=1, alias="STRATEGY_TREND_FAST_WINDOW")
    strategy_trend_slow_window: int = Field(default=20, ge=2, alias="STRATEGY_TREND_SLOW_WINDOW")
    strategy_trend_order_notional_try: Decimal = Field(
        default=Decimal(1000), gt=0, alias="STRATEGY_TREND_ORDER_NOTIONAL_TRY"
    )
    strategy_meanrev_window: int = Field(default=20, ge=2, alias="STRATEGY_MEANREV_WINDOW")
    strategy_meanrev_entry_z: Decimal = Field(
        default=Decimal(2), gt=0, alias="STRATEGY_MEANREV_ENTRY_Z"
    )
    strategy_meanrev_take_profit_pct: Decimal = Field(
        default=Decimal("1.5"), gt=0, alias="STRATEGY_MEANREV_TAKE_PROFIT_PCT"
    )
    strategy_meanrev_stop_loss_pct: Decimal = Field(
        default=Decimal(1), gt=0, lt=100, alias="STRATEGY_MEANREV_STOP_LOSS_PCT"
    )
    strategy_meanrev_order_notional_try: Decimal = Field(
        default=Decimal(1000), gt=0, alias="STRATEGY_MEANREV_ORDER_NOTIONAL_TRY"
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Only the values ``load_settings`` read from the environment mapping; nothing else."""
        del settings_cls, env_settings, dotenv_settings, file_secret_settings
        return (init_settings,)

    @field_validator("strategies", mode="before")
    @classmethod
    def _strategies(cls, value: object) -> tuple[str, ...]:
        return parse_strategies(value)

    def risk_limits(self) -> RiskLimits:
        """The RISK_* knobs as the risk layer's ``RiskLimits`` (validated when settings load)."""
        return RiskLimits(
            **{f.name: getattr(self, f"risk_{f.name}") for f in fields(RiskLimits) if f.init}
        )


def knob_problem(knobs: TradingKnobs) -> SettingValueError | None:
    """Combinations of knobs that no single field can judge, named by variable."""
    try:
        knobs.risk_limits()
    except ConfigError as exc:
        # RiskLimits speaks in field names; the operator sets variables.
        message = str(exc)
        for f in fields(RiskLimits):
            message = re.sub(rf"\b(risk limit )?{f.name}\b", f"RISK_{f.name.upper()}", message)
        first = re.search(r"RISK_[A-Z_]+", message)
        return SettingValueError(first[0] if first else "RISK_*", message)
    if knobs.strategy_trend_fast_window >= knobs.strategy_trend_slow_window:
        return SettingValueError(
            "STRATEGY_TREND_FAST_WINDOW",
            "STRATEGY_TREND_FAST_WINDOW must be below STRATEGY_TREND_SLOW_WINDOW "
            f"(got {knobs.strategy_trend_fast_window} and {knobs.strategy_trend_slow_window}): "
            "equal or inverted windows never cross",
        )
    return None
