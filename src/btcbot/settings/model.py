"""``Settings``: the core variables, their validators and the role profiles.

Role profiles (ARCHITECTURE.md's table; docs/CONFIGURATION.md):

- LIVE: ``LIVE_TRADING=true`` needs ``EXCHANGE=btcturk``, ``LIVE_TRADING_ACK=I_UNDERSTAND``,
  ``SAFE_MODE=false``, ``KILL_SWITCH=false`` and an API key + base64 secret;
  ``LIVE_TRADING=false`` is a dry run: sim mode with ``EXCHANGE=sim``, paper mode with
  ``EXCHANGE=btcturk`` (``mode``; docs/CONFIGURATION.md, "Modes").
- MONITOR: exactly ``LIVE_TRADING=false``, ``SAFE_MODE=true``, ``KILL_SWITCH=true``, no ack.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator

from btcbot.domain.enums import ExchangeKind, Role, TradingMode
from btcbot.domain.network import is_loopback_host
from btcbot.settings import parsing
from btcbot.settings.knobs import TradingKnobs, knob_problem
from btcbot.settings.parsing import SettingValueError

LIVE_TRADING_ACK_PHRASE = "I_UNDERSTAND"
BTCTURK_REST_URL = "https://api.btcturk.com"
BTCTURK_GRAPH_URL = "https://graph-api.btcturk.com"
# The in-process emulator's address: loopback, and never connected to (a transport answers).
IN_PROCESS_URL = "http://127.0.0.1"
_SECRET_FIELDS = frozenset({"btcturk_api_key", "btcturk_api_secret"})


class Settings(TradingKnobs):
    """The validated configuration of one btcbot process (frozen; build with ``load_settings``)."""

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
    # Unset: BtcTurk's hosts in paper and live mode, the in-process emulator in sim mode.
    btcturk_base_url: str | None = Field(default=None, alias="BTCTURK_BASE_URL")
    btcturk_graph_url: str | None = Field(default=None, alias="BTCTURK_GRAPH_URL")

    # ---------------------------------------------------------------- sim and paper modes
    sim_data: Path | None = Field(default=None, alias="SIM_DATA")
    sim_speed: float | None = Field(default=None, gt=0, le=100_000, alias="SIM_SPEED")
    paper_balance_try: Decimal = Field(
        default=Decimal(100_000), gt=0, le=Decimal(10) ** 12, alias="PAPER_BALANCE_TRY"
    )

    # ---------------------------------------------------------------- loop and observability
    symbols: tuple[str, ...] = Field(default=("BTCTRY",), alias="SYMBOLS")
    cycle_seconds: float = Field(default=60.0, gt=0, le=86400, alias="CYCLE_SECONDS")
    # How well the exchange's clock must be known before a new order goes out (btcbot.exchange
    # .clock); 5 s is BtcTurk's own stamp tolerance.
    clock_uncertainty_limit_seconds: float = Field(
        default=5.0, gt=0, le=60, alias="CLOCK_UNCERTAINTY_LIMIT_SECONDS"
    )
    # Holdings the operator hands the bot when its books are first opened (ASSET:AMOUNT,...);
    # empty by default: the bot trades only what its own fills bought.
    handover_holdings: tuple[tuple[str, Decimal], ...] = Field(
        default=(), alias="HANDOVER_HOLDINGS"
    )
    metrics_port: int = Field(default=9108, ge=0, le=65535, alias="METRICS_PORT")
    metrics_bind: str = Field(default="127.0.0.1", alias="METRICS_BIND")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    log_format: Literal["json", "console"] = Field(default="json", alias="LOG_FORMAT")

    # Risk and strategy knobs: see btcbot.settings.knobs (the base class).

    SECRET_FIELDS: ClassVar[frozenset[str]] = _SECRET_FIELDS

    @field_validator("app_role", "exchange", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("state_db_path", "control_dir", mode="before")
    @classmethod
    def _absolute(cls, value: object, info: ValidationInfo) -> Path:
        return parsing.require_absolute(str(info.field_name).upper(), value)

    @field_validator("live_trading", "safe_mode", "kill_switch", mode="before")
    @classmethod
    def _flags(cls, value: object, info: ValidationInfo) -> object:
        return parsing.parse_bool(str(info.field_name).upper(), value)

    @field_validator("btcturk_api_key", mode="before")
    @classmethod
    def _api_key(cls, value: object) -> str | None:
        return parsing.check_api_key(value)

    @field_validator("btcturk_api_secret", mode="before")
    @classmethod
    def _api_secret(cls, value: object) -> str | None:
        return parsing.check_api_secret(value)

    @field_validator("btcturk_base_url", "btcturk_graph_url", mode="before")
    @classmethod
    def _url(cls, value: object, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        return parsing.check_url(str(info.field_name).upper(), value)

    @field_validator("sim_data", mode="before")
    @classmethod
    def _sim_data(cls, value: object) -> Path | None:
        return None if value is None else parsing.require_absolute("SIM_DATA", value)

    @field_validator("symbols", mode="before")
    @classmethod
    def _symbols(cls, value: object) -> tuple[str, ...]:
        return parsing.parse_symbols(value)

    @field_validator("handover_holdings", mode="before")
    @classmethod
    def _handover(cls, value: object) -> tuple[tuple[str, Decimal], ...]:
        return parsing.parse_holdings("HANDOVER_HOLDINGS", value)

    @field_validator("metrics_bind", mode="before")
    @classmethod
    def _bind(cls, value: object) -> str:
        return parsing.check_ip("METRICS_BIND", value)

    @field_validator("log_level", mode="before")
    @classmethod
    def _log_level(cls, value: object) -> str:
        return parsing.parse_log_level(value)

    @model_validator(mode="after")
    def _role_profile(self) -> Settings:
        problem = _profile_problem(self) or knob_problem(self)
        if problem is not None:
            raise problem
        return self

    # ---------------------------------------------------------------- derived facts
    @cached_property
    def config_hash(self) -> str:
        """sha256 over every non-secret field: which configuration wrote a DB row."""
        public = self.model_dump(mode="json", exclude=set(_SECRET_FIELDS))
        blob = json.dumps(public, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()

    @property
    def mode(self) -> TradingMode:
        """Where this process's orders go: the emulator, the local paper engine or BtcTurk."""
        if self.exchange is ExchangeKind.SIM:
            return TradingMode.SIM
        return TradingMode.LIVE if self.live_trading else TradingMode.PAPER

    @property
    def in_process_sim(self) -> bool:
        """Sim mode without ``BTCTURK_BASE_URL``: the emulator runs inside this process."""
        return self.exchange is ExchangeKind.SIM and self.btcturk_base_url is None

    @property
    def rest_url(self) -> str:
        """The REST host: ``BTCTURK_BASE_URL``; else the emulator (sim) or BtcTurk's host."""
        if self.btcturk_base_url is not None:
            return self.btcturk_base_url
        return IN_PROCESS_URL if self.exchange is ExchangeKind.SIM else BTCTURK_REST_URL

    @property
    def graph_url(self) -> str:
        """The candle host: ``BTCTURK_GRAPH_URL``; else the emulator's ``/graph`` or BtcTurk's."""
        if self.btcturk_graph_url is not None:
            return self.btcturk_graph_url
        if self.exchange is ExchangeKind.SIM:
            return f"{self.rest_url}/graph"
        return BTCTURK_GRAPH_URL

    @property
    def is_dry_run(self) -> bool:
        """LIVE role without ``LIVE_TRADING=true``: the whole cycle runs, no order is sent."""
        return self.app_role is Role.LIVE and not self.live_trading

    @property
    def has_credentials(self) -> bool:
        """Both the API key and the secret are set."""
        return self.btcturk_api_key is not None and self.btcturk_api_secret is not None


def _profile_problem(s: Settings) -> SettingValueError | None:
    """The first way ``s`` breaks its role's profile, or None."""
    if (s.btcturk_api_key is None) != (s.btcturk_api_secret is None):
        missing = "BTCTURK_API_SECRET" if s.btcturk_api_secret is None else "BTCTURK_API_KEY"
        return SettingValueError(
            missing,
            f"{missing} is required when the other half of the API credentials is set: "
            "BtcTurk signs every private call with both",
        )
    remote = _remote_sim_url(s)
    if remote is not None:
        return remote
    rules = _MONITOR_RULES if s.app_role is Role.MONITOR else _LIVE_RULES
    for variable, broken, message in rules:
        if broken(s):
            return SettingValueError(variable, message)
    return None


def _remote_sim_url(s: Settings) -> SettingValueError | None:
    """EXCHANGE=sim names the emulator, which only ever listens on loopback."""
    if s.exchange is not ExchangeKind.SIM:
        return None
    for variable, url in (
        ("BTCTURK_BASE_URL", s.btcturk_base_url),
        ("BTCTURK_GRAPH_URL", s.btcturk_graph_url),
    ):
        host = urlsplit(url).hostname if url is not None else None
        if host is not None and not is_loopback_host(host):
            return SettingValueError(
                variable,
                f"{variable} must be a loopback URL when EXCHANGE=sim (got host {host!r}): the "
                "emulator listens on 127.0.0.1; unset it to run the emulator in process, or set "
                "EXCHANGE=btcturk for paper or live trading",
            )
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


SECRET_VARIABLES = tuple(sorted(str(Settings.model_fields[f].alias) for f in _SECRET_FIELDS))
"""The variables that hold the secrets: kept from the environment of any child process."""
