"""The one settings model: environment variables only, validated against the role profiles.

``load_settings(environ)`` is the only way in. It reads exactly the variables named below from
the given mapping (``os.environ`` by default) and never a ``.env`` file, a secrets directory or
any other source, so what an operator's PowerShell session exports is what the process runs
with. An empty value counts as unset (PowerShell cannot export an empty variable anyway).
This module is long on purpose: it is the whole configuration surface, in one place to review.

Every refusal is a ``ConfigError`` whose message is ONE line naming the variable, the value it
needs and why; a secret's value never appears in it. Role profiles (docs/CONFIGURATION.md):

- LIVE: ``LIVE_TRADING=true`` needs ``LIVE_TRADING_ACK=I_UNDERSTAND``, ``SAFE_MODE=false``,
  ``KILL_SWITCH=false``, ``EXCHANGE=btcturk`` and an API key + base64 secret;
  ``LIVE_TRADING=false`` is a dry run.
- MONITOR: exactly ``LIVE_TRADING=false``, ``SAFE_MODE=true``, ``KILL_SWITCH=true``.
"""

from __future__ import annotations

import binascii
import hashlib
import ipaddress
import json
import os
import re
from base64 import b64decode
from collections.abc import Callable, Mapping
from dataclasses import fields
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from btcbot.domain.enums import ExchangeKind, Role
from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import RiskLimits

LIVE_TRADING_ACK_PHRASE = "I_UNDERSTAND"
_SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_RISK = RiskLimits()  # the documented defaults, so they are written down once
_STRATEGY_NAMES = ("trend", "mean_reversion")


class _SettingError(ValueError):
    """A validation failure whose message is already the whole one-line explanation."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(message)
        self.variable = variable
        self.message = message


# What each variable needs, used when pydantic's own type check fails or a value is missing.
_NEEDS: dict[str, str] = {
    "APP_ROLE": "'live' or 'monitor' (which process this session runs)",
    "STATE_DB_PATH": "an absolute path to this role's own SQLite file",
    "CONTROL_DIR": "an absolute path to the directory both roles share",
    "LIVE_TRADING": "'true' or 'false' (state it explicitly in every session)",
    "SAFE_MODE": "'true' or 'false' (state it explicitly in every session)",
    "KILL_SWITCH": "'true' or 'false' (state it explicitly in every session)",
    "EXCHANGE": "'btcturk' or 'sim'",
    "CYCLE_SECONDS": "a number of seconds > 0 and <= 86400",
    "METRICS_PORT": "an integer from 0 to 65535 (0 turns the metrics endpoint off)",
    "LOG_FORMAT": "'json' or 'console'",
}
_SECRET_FIELDS = frozenset({"btcturk_api_key", "btcturk_api_secret"})


def _parse_bool(variable: str, value: object) -> object:
    """Accept only true/false: a safety flag spelled 'yes' or '1' is a typo we refuse to guess."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "false"}:
        return text == "true"
    raise _SettingError(variable, f"{variable} must be 'true' or 'false' (got {str(value)!r})")


def _require_absolute(variable: str, value: object, what: str) -> Path:
    path = Path(str(value).strip())
    if not path.is_absolute():
        # A relative path resolves against whatever directory the session happens to be in,
        # which is how two processes end up sharing - or silently not sharing - a file.
        raise _SettingError(
            variable,
            f"{variable} must be an absolute path to {what} (got {str(value)!r}): "
            "a relative path depends on the current directory",
        )
    return path


def _check_url(variable: str, value: object) -> str:
    text = str(value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise _SettingError(variable, f"{variable} must be an http(s) URL (got {text!r})")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise _SettingError(
            variable,
            f"{variable} must use https unless the host is loopback (got {text!r}): "
            "signed requests must not cross a network in clear text",
        )
    return text


class Settings(BaseSettings):
    """The validated configuration of one btcbot process (frozen; build with ``load_settings``)."""

    model_config = SettingsConfigDict(
        frozen=True,
        extra="forbid",
        case_sensitive=True,
        env_file=None,
        secrets_dir=None,
        validate_default=True,
    )

    # ---------------------------------------------------------------- role and state
    app_role: Role = Field(alias="APP_ROLE")
    state_db_path: Path = Field(alias="STATE_DB_PATH")
    control_dir: Path = Field(alias="CONTROL_DIR")

    # ---------------------------------------------------------------- safety flags
    live_trading: bool = Field(alias="LIVE_TRADING")
    live_trading_ack: str | None = Field(default=None, alias="LIVE_TRADING_ACK")
    safe_mode: bool = Field(alias="SAFE_MODE")
    kill_switch: bool = Field(alias="KILL_SWITCH")

    # ---------------------------------------------------------------- exchange
    exchange: ExchangeKind = Field(default=ExchangeKind.SIM, alias="EXCHANGE")
    btcturk_api_key: SecretStr | None = Field(default=None, alias="BTCTURK_API_KEY")
    btcturk_api_secret: SecretStr | None = Field(default=None, alias="BTCTURK_API_SECRET")
    btcturk_base_url: str = Field(default="https://api.btcturk.com", alias="BTCTURK_BASE_URL")
    btcturk_graph_url: str = Field(
        default="https://graph-api.btcturk.com", alias="BTCTURK_GRAPH_URL"
    )

    # ---------------------------------------------------------------- loop and observability
    symbols: tuple[str, ...] = Field(default=("BTCTRY",), alias="SYMBOLS")
    cycle_seconds: float = Field(default=60.0, gt=0, le=86400, alias="CYCLE_SECONDS")
    metrics_port: int = Field(default=9108, ge=0, le=65535, alias="METRICS_PORT")
    metrics_bind: str = Field(default="127.0.0.1", alias="METRICS_BIND")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["json", "console"] = Field(default="json", alias="LOG_FORMAT")

    # ---------------------------------------------------------------- risk and strategy knobs
    # Each knob: an env alias, a default, a validator if the type alone cannot say what is
    # valid, and a line in .env.example (tests/unit/test_settings_env_example.py fails until it
    # is documented). Risk defaults come from RiskLimits itself; money in TRY, ratios in percent.
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
    # Strategy knobs: settings may not import btcbot.strategy, so wiring builds StrategyParams
    # from these (tests/unit/test_settings_knobs.py pins the defaults to StrategyParams()).
    strategies: tuple[str, ...] = Field(default=("trend", "mean_reversion"), alias="STRATEGIES")
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
    # ---------------------------------------------------------------- end of knobs

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

    @field_validator("app_role", "exchange", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return str(value).strip().lower() if isinstance(value, str) else value

    @field_validator("state_db_path", "control_dir", mode="before")
    @classmethod
    def _absolute(cls, value: object, info: ValidationInfo) -> Path:
        variable = str(info.field_name).upper()
        return _require_absolute(
            variable, value, _NEEDS[variable].removeprefix("an absolute path to ")
        )

    @field_validator("live_trading", "safe_mode", "kill_switch", mode="before")
    @classmethod
    def _flags(cls, value: object, info: ValidationInfo) -> object:
        return _parse_bool(str(info.field_name).upper(), value)

    @field_validator("btcturk_api_key", mode="before")
    @classmethod
    def _api_key(cls, value: object) -> object:
        if value is None:
            return None
        text = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if any(ch.isspace() for ch in text.strip()):
            raise _SettingError("BTCTURK_API_KEY", "BTCTURK_API_KEY must not contain whitespace")
        return text.strip()

    @field_validator("btcturk_api_secret", mode="before")
    @classmethod
    def _api_secret(cls, value: object) -> object:
        if value is None:
            return None
        text = (value.get_secret_value() if isinstance(value, SecretStr) else str(value)).strip()
        try:
            decoded = b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            decoded = b""
        if not decoded:
            # Never echo the value: it is the one secret btcbot holds.
            raise _SettingError(
                "BTCTURK_API_SECRET",
                "BTCTURK_API_SECRET must be the base64 private key BtcTurk issued "
                "(it is not valid base64; the value is not shown)",
            )
        return text

    @field_validator("btcturk_base_url", "btcturk_graph_url", mode="before")
    @classmethod
    def _url(cls, value: object, info: ValidationInfo) -> str:
        return _check_url(str(info.field_name).upper(), value)

    @field_validator("symbols", mode="before")
    @classmethod
    def _symbols(cls, value: object) -> tuple[str, ...]:
        if isinstance(value, tuple | list):
            value = ",".join(str(v) for v in value)
        items = [part.strip().upper() for part in str(value).split(",")]
        bad = [item for item in items if not _SYMBOL.fullmatch(item)]
        if bad or not items:
            raise _SettingError(
                "SYMBOLS",
                f"SYMBOLS must be comma-separated pair names like BTCTRY,ETHTRY "
                f"(bad entry {bad[0] if bad else ''!r} in {str(value)!r})",
            )
        if len(set(items)) != len(items):
            raise _SettingError("SYMBOLS", f"SYMBOLS lists a pair twice ({str(value)!r})")
        return tuple(items)

    @field_validator("strategies", mode="before")
    @classmethod
    def _strategies(cls, value: object) -> tuple[str, ...]:
        if isinstance(value, tuple | list):
            value = ",".join(str(v) for v in value)
        text = str(value).strip().lower()
        if text == "none":  # observe only: an empty variable would count as unset
            return ()
        names = tuple(part.strip() for part in text.split(","))
        if any(n not in _STRATEGY_NAMES for n in names) or len(set(names)) != len(names):
            raise _SettingError(
                "STRATEGIES",
                f"STRATEGIES must list each of {', '.join(_STRATEGY_NAMES)} at most once, "
                f"comma-separated, or be 'none' (got {str(value)!r})",
            )
        return names

    @field_validator("metrics_bind", mode="before")
    @classmethod
    def _bind(cls, value: object) -> str:
        text = str(value).strip()
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise _SettingError(
                "METRICS_BIND",
                f"METRICS_BIND must be an IP address such as 127.0.0.1 (got {text!r})",
            ) from None
        return text

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> str:
        text = str(value).strip().upper()
        if text not in _LOG_LEVELS:
            raise _SettingError(
                "LOG_LEVEL", f"LOG_LEVEL must be one of {', '.join(_LOG_LEVELS)} (got {value!r})"
            )
        return text

    @model_validator(mode="after")
    def _role_profile(self) -> Settings:
        problem = _profile_problem(self) or _knob_problem(self)
        if problem is not None:
            raise problem
        return self

    # ---------------------------------------------------------------- derived facts
    SECRET_FIELDS: ClassVar[frozenset[str]] = _SECRET_FIELDS

    @cached_property
    def config_hash(self) -> str:
        """sha256 over every non-secret field: which configuration wrote a DB row."""
        public = self.model_dump(mode="json", exclude=set(_SECRET_FIELDS))
        blob = json.dumps(public, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    def risk_limits(self) -> RiskLimits:
        """The RISK_* knobs as the risk layer's ``RiskLimits`` (validated when settings load)."""
        return RiskLimits(
            **{f.name: getattr(self, f"risk_{f.name}") for f in fields(RiskLimits) if f.init}
        )

    @property
    def is_dry_run(self) -> bool:
        """LIVE role without ``LIVE_TRADING=true``: the whole cycle runs, no order is sent."""
        return self.app_role is Role.LIVE and not self.live_trading

    @property
    def has_credentials(self) -> bool:
        """Both the API key and the secret are set."""
        return self.btcturk_api_key is not None and self.btcturk_api_secret is not None


def _profile_problem(s: Settings) -> _SettingError | None:
    """The first way ``s`` breaks its role's profile (ARCHITECTURE.md's table), or None."""
    if (s.btcturk_api_key is None) != (s.btcturk_api_secret is None):
        missing = "BTCTURK_API_SECRET" if s.btcturk_api_secret is None else "BTCTURK_API_KEY"
        return _SettingError(
            missing,
            f"{missing} is required when the other half of the API credentials is set: "
            "BtcTurk signs every private call with both",
        )
    rules = _MONITOR_RULES if s.app_role is Role.MONITOR else _LIVE_RULES
    for variable, broken, message in rules:
        if broken(s):
            return _SettingError(variable, message)
    return None


_Rule = tuple[str, Callable[[Settings], bool], str]
_MONITOR_WHY = "APP_ROLE=monitor must never be able to trade"
_MONITOR_RULES: tuple[_Rule, ...] = (
    (
        "LIVE_TRADING",
        lambda s: s.live_trading,
        f"LIVE_TRADING must be false for APP_ROLE=monitor: {_MONITOR_WHY}",
    ),
    (
        "SAFE_MODE",
        lambda s: not s.safe_mode,
        f"SAFE_MODE must be true for APP_ROLE=monitor: {_MONITOR_WHY}",
    ),
    (
        "KILL_SWITCH",
        lambda s: not s.kill_switch,
        f"KILL_SWITCH must be true for APP_ROLE=monitor: {_MONITOR_WHY}",
    ),
    (
        "LIVE_TRADING_ACK",
        lambda s: s.live_trading_ack is not None,
        f"LIVE_TRADING_ACK must be unset for APP_ROLE=monitor: {_MONITOR_WHY}",
    ),
)
# LIVE with LIVE_TRADING=false is a dry run: any exchange, no acknowledgement, no credentials.
_LIVE_WHY = "real orders need every safety flag to agree"
_LIVE_RULES: tuple[_Rule, ...] = (
    (
        "EXCHANGE",
        lambda s: s.live_trading and s.exchange is not ExchangeKind.BTCTURK,
        (
            "EXCHANGE must be btcturk when LIVE_TRADING=true (got sim): the emulator takes no real "
            "orders; use LIVE_TRADING=false for a dry run"
        ),
    ),
    (
        "LIVE_TRADING_ACK",
        lambda s: s.live_trading and s.live_trading_ack != LIVE_TRADING_ACK_PHRASE,
        (
            f"LIVE_TRADING_ACK must be {LIVE_TRADING_ACK_PHRASE} when LIVE_TRADING=true: it is the "
            "operator's acknowledgement that real orders will be sent"
        ),
    ),
    (
        "SAFE_MODE",
        lambda s: s.live_trading and s.safe_mode,
        f"SAFE_MODE must be false when LIVE_TRADING=true: {_LIVE_WHY}",
    ),
    (
        "KILL_SWITCH",
        lambda s: s.live_trading and s.kill_switch,
        f"KILL_SWITCH must be false when LIVE_TRADING=true: {_LIVE_WHY}",
    ),
    (
        "BTCTURK_API_KEY",
        lambda s: s.live_trading and not s.has_credentials,
        (
            "BTCTURK_API_KEY and BTCTURK_API_SECRET are required when LIVE_TRADING=true: "
            "orders are signed with them"
        ),
    ),
)


def _knob_problem(s: Settings) -> _SettingError | None:
    """Combinations of knobs that no single field can judge."""
    try:
        s.risk_limits()
    except ConfigError as exc:
        # RiskLimits speaks in field names; the operator sets variables.
        message, variable = str(exc), "RISK_*"
        for f in sorted(fields(RiskLimits), key=lambda f: -len(f.name)):
            name = f"RISK_{f.name.upper()}"
            message, hits = re.subn(rf"\b(risk limit )?{f.name}\b", name, message)
            variable = name if hits and variable == "RISK_*" else variable
        return _SettingError(variable, message)
    if s.strategy_trend_fast_window >= s.strategy_trend_slow_window:
        return _SettingError(
            "STRATEGY_TREND_FAST_WINDOW",
            "STRATEGY_TREND_FAST_WINDOW must be below STRATEGY_TREND_SLOW_WINDOW "
            f"(got {s.strategy_trend_fast_window} and {s.strategy_trend_slow_window}): "
            "equal or inverted windows never cross",
        )
    return None


def env_names() -> tuple[str, ...]:
    """Every environment variable the model reads, in declaration order."""
    return tuple(str(f.alias) for f in Settings.model_fields.values())


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """``Settings`` from ``environ`` (default ``os.environ``), or a one-line ``ConfigError``."""
    source = os.environ if environ is None else environ
    values: dict[str, Any] = {
        name: source[name].strip()
        for name in env_names()
        if name in source and source[name].strip()
    }
    try:
        return Settings(**values)
    except ValidationError as exc:
        raise ConfigError(_one_line(exc, values)) from None


def _one_line(exc: ValidationError, values: Mapping[str, str]) -> str:
    """The first problem as one line; pydantic's multi-line dump never reaches an operator."""
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    extra = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    problem = first.get("ctx", {}).get("error")
    if isinstance(problem, _SettingError):
        return problem.message + extra
    name = str(first["loc"][0]) if first["loc"] else "configuration"
    variable = next(
        (str(f.alias) for key, f in Settings.model_fields.items() if name in {key, f.alias}), name
    )
    shown = "" if variable.startswith("BTCTURK_API") else f" (got {values.get(variable, '')!r})"
    if variable not in _NEEDS:  # knobs: pydantic's own phrase says which bound or type
        return f"{variable} {first['msg'].replace('Input should be', 'must be')}{shown}{extra}"
    needs = _NEEDS[variable]
    if first["type"] == "missing":
        return f"{variable} is required: set it to {needs}{extra}"
    return f"{variable} must be {needs}{shown}{extra}"
