"""Parsers for single variables: each returns the value or raises ``SettingValueError``.

A ``SettingValueError`` message is already the whole one-line explanation an operator reads
(variable, what it needs, why); ``loading`` passes it through unchanged.
"""

from __future__ import annotations

import binascii
import ipaddress
import re
from base64 import b64decode
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import SecretStr

from btcbot.domain.network import is_loopback_host

_SYMBOL = re.compile(r"^[A-Z0-9]{2,20}$")
_ASSET = re.compile(r"^[A-Z0-9]{2,10}$")
QUOTE = "TRY"  # the one currency of every limit
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
STRATEGY_NAMES = ("trend", "mean_reversion")

# What each core variable needs, for a missing value or a failed type check.
NEEDS: dict[str, str] = {
    "APP_ROLE": "'live' or 'monitor' (which process this session runs)",
    "STATE_DB_PATH": "an absolute path to this role's own SQLite file",
    "CONTROL_DIR": "an absolute path to the directory both roles share",
    "LIVE_TRADING": "'true' or 'false' (state it explicitly in every session)",
    "SAFE_MODE": "'true' or 'false' (state it explicitly in every session)",
    "KILL_SWITCH": "'true' or 'false' (state it explicitly in every session)",
    "EXCHANGE": ("'btcturk' or 'sim' (paper trading is EXCHANGE=btcturk with LIVE_TRADING=false)"),
    "CYCLE_SECONDS": "a number of seconds > 0 and <= 86400",
    "METRICS_PORT": "an integer from 0 to 65535 (0 turns the metrics endpoint off)",
    "LOG_FORMAT": "'json' or 'console'",
    "SIM_DATA": "an absolute path to a candle CSV or a directory of them",
}


class SettingValueError(ValueError):
    """A validation failure whose message is already the whole one-line explanation."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(message)
        self.variable = variable
        self.message = message


def _text(value: object) -> str:
    raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
    return raw.strip()


def _comma_list(value: object) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, tuple | list) else str(value)


def parse_bool(variable: str, value: object) -> object:
    """Accept only true/false: a safety flag spelled 'yes' or '1' is a typo we refuse to guess."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "false"}:
        return text == "true"
    raise SettingValueError(variable, f"{variable} must be 'true' or 'false' (got {str(value)!r})")


def require_absolute(variable: str, value: object) -> Path:
    """An absolute path; a relative one depends on the directory the session started in."""
    path = Path(str(value).strip())
    if not path.is_absolute():
        # A relative path resolves against whatever directory the session happens to be in,
        # which is how two processes end up sharing - or silently not sharing - a file.
        raise SettingValueError(
            variable,
            f"{variable} must be {NEEDS[variable]} (got {str(value)!r}): "
            "a relative path depends on the current directory",
        )
    return path


def check_url(variable: str, value: object) -> str:
    """An http(s) URL without a trailing slash; plain http only for loopback hosts."""
    text = str(value).strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingValueError(variable, f"{variable} must be an http(s) URL (got {text!r})")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise SettingValueError(
            variable,
            f"{variable} must use https unless the host is loopback (got {text!r}): "
            "signed requests must not cross a network in clear text",
        )
    return text


def check_api_key(value: object) -> str | None:
    """The API key, trimmed; it may not contain whitespace."""
    if value is None:
        return None
    text = _text(value)
    if any(ch.isspace() for ch in text):
        raise SettingValueError("BTCTURK_API_KEY", "BTCTURK_API_KEY must not contain whitespace")
    return text


def check_api_secret(value: object) -> str | None:
    """The API secret, which must be non-empty base64; its value never enters a message."""
    if value is None:
        return None
    text = _text(value)
    try:
        decoded = b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        decoded = b""
    if not decoded:
        raise SettingValueError(
            "BTCTURK_API_SECRET",
            "BTCTURK_API_SECRET must be the base64 private key BtcTurk issued "
            "(it is not valid base64; the value is not shown)",
        )
    return text


def parse_symbols(value: object) -> tuple[str, ...]:
    """Comma-separated pair names, upper-cased, no empty entries or duplicates."""
    raw = _comma_list(value)
    items = [part.strip().upper() for part in raw.split(",")]
    bad = [item for item in items if not _SYMBOL.fullmatch(item)]
    if bad:
        raise SettingValueError(
            "SYMBOLS",
            "SYMBOLS must be comma-separated pair names like BTCTRY,ETHTRY "
            f"(bad entry {bad[0]!r} in {raw!r})",
        )
    if len(set(items)) != len(items):
        raise SettingValueError("SYMBOLS", f"SYMBOLS lists a pair twice ({raw!r})")
    foreign = [item for item in items if not item.endswith(QUOTE) or item == QUOTE]
    if foreign:
        # Every limit, the cash reserve, PnL and drawdown are in TRY: a pair quoted in another
        # currency would be measured against TRY caps in the wrong unit (docs/STRATEGY_AND_RISK).
        raise SettingValueError(
            "SYMBOLS",
            f"SYMBOLS may list only TRY-quoted pairs (got {foreign[0]}): every risk limit is in "
            "TRY and pairs quoted in another currency are not valued in TRY; remove it",
        )
    return tuple(items)


def parse_holdings(variable: str, value: object) -> tuple[tuple[str, Decimal], ...]:
    """``BTC:0.05,ETH:1`` -> ``(("BTC", Decimal("0.05")), ("ETH", Decimal(1)))``; empty -> ``()``.

    Amounts are positive plain decimals; an asset at most once; never the quote (TRY cash is
    the bot's working capital already).
    """
    if isinstance(value, tuple | list):
        return tuple(value)
    raw = str(value).strip()
    if not raw:
        return ()
    out: dict[str, Decimal] = {}
    for part in raw.split(","):
        asset, sep, amount = part.strip().partition(":")
        asset = asset.strip().upper()
        try:
            number = Decimal(amount.strip()) if sep else Decimal("NaN")
        except ArithmeticError:
            number = Decimal("NaN")
        if not _ASSET.fullmatch(asset) or not number.is_finite() or number <= 0:
            raise SettingValueError(
                variable,
                f"{variable} must be ASSET:AMOUNT pairs like BTC:0.05,ETH:1 with amounts > 0 "
                f"(bad entry {part.strip()!r})",
            )
        if asset == QUOTE or asset in out:
            why = "TRY is the bot's cash already" if asset == QUOTE else "listed twice"
            raise SettingValueError(variable, f"{variable}: {asset} {why}; remove the entry")
        out[asset] = number
    return tuple(out.items())


_IMPORT_PATH = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*:[A-Za-z_]\w*$")


def parse_strategies(value: object) -> tuple[str, ...]:
    """Built-in names and ``pkg.module:Class`` import paths, each at most once; ``none``: observe.

    Built-in names are case-insensitive; an import path keeps its case (Python's names do).
    """
    raw = _comma_list(value)
    if raw.strip().lower() == "none":  # an empty variable would count as unset, i.e. the default
        return ()
    parts = [part.strip() for part in raw.split(",")]
    names = tuple(p if ":" in p else p.lower() for p in parts)
    bad = [n for n in names if n not in STRATEGY_NAMES and not _IMPORT_PATH.match(n)]
    if bad or len(set(names)) != len(names):
        raise SettingValueError(
            "STRATEGIES",
            f"STRATEGIES must list each of {', '.join(STRATEGY_NAMES)} or a "
            f"pkg.module:Class at most once, comma-separated, or be 'none' (got {raw!r})",
        )
    return names


def check_ip(variable: str, value: object) -> str:
    """An IP address: say exactly which interface, not a name that may resolve elsewhere."""
    text = str(value).strip()
    try:
        ipaddress.ip_address(text)
    except ValueError:
        raise SettingValueError(
            variable, f"{variable} must be an IP address such as 127.0.0.1 (got {text!r})"
        ) from None
    return text


def parse_log_level(value: object) -> str:
    """A standard logging level name, upper-cased."""
    text = str(value).strip().upper()
    if text not in LOG_LEVELS:
        raise SettingValueError(
            "LOG_LEVEL", f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {value!r})"
        )
    return text
