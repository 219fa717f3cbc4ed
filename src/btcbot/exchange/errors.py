"""The one table that turns a BtcTurk HTTP outcome into a typed error of ``domain/errors.py``.

Retry decisions are taken from the *type* (``is_retryable``), never from message strings at call
sites. Rules are tried top to bottom; the first match wins:

| # | match                                              | error                      |
|---|----------------------------------------------------|----------------------------|
| 1 | HTTP 401 (any body, even empty or ``success:true``) | AuthenticationError        |
| 2 | HTTP 5xx (JSON, HTML or empty body), whatever the body says | ExchangeUnavailableError |
| 3 | HTTP 429, or body message TOO_MANY_REQUESTS        | RateLimitedError           |
| 4 | message starting ``Unauthorized``                  | AuthenticationError        |
| 5 | a balance message (see below)                     | InsufficientBalanceError   |
| 6 | message NO_ORDER_MATCHES_YOUR_REQUEST / Order not found | OrderNotFoundError    |
| 7 | message or code INTERNAL_ERROR                     | ExchangeUnavailableError   |
| 8 | code 1122                                          | InsufficientBalanceError   |
| 9 | code 1052 or 1152                                  | OrderNotFoundError         |
| 10| any other failure (4xx, or 2xx with success:false / non-zero code) | ExchangeRejectError |

Balance messages: FAILED_ORDER_WITH_OPEN_ORDERS, BALANCE_NOT_ENOUGH,
BALANCE_NOT_ENOUGH_WITHOUT_OPEN_ORDERS. Names are matched before codes because BtcTurk's numeric
codes were wrong from Dec 2022 to May 2024 (1123 was sent for FAILED_ORDER_WITH_OPEN_ORDERS;
API.md §5).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from btcbot.domain.errors import (
    AuthenticationError,
    ExchangeError,
    ExchangeRejectError,
    ExchangeUnavailableError,
    InsufficientBalanceError,
    OrderNotFoundError,
    RateLimitedError,
)

DEFAULT_RETRY_AFTER = 1.0  # seconds, when a 429 carries no usable Retry-After
MAX_RETRY_AFTER = 600.0  # a hostile or broken header must not park the bot for days
_MAX_NAME = 120

RETRYABLE: tuple[type[ExchangeError], ...] = (ExchangeUnavailableError, RateLimitedError)
_SUCCESS_CODES = (0, "0", "SUCCESS")


@dataclass(frozen=True, slots=True)
class Outcome:
    """What came back: HTTP status, the decoded body (if JSON) and the Retry-After header."""

    status: int
    body: Any
    retry_after: str | None = None

    @property
    def name(self) -> str | None:
        """BtcTurk's machine-readable ``message``, one line and bounded."""
        msg = self.body.get("message") if isinstance(self.body, dict) else None
        if not isinstance(msg, str) or not msg.strip():
            return None
        return " ".join(msg.split())[:_MAX_NAME]

    @property
    def code(self) -> int | str | None:
        """The envelope ``code`` (int, or a string such as ``INTERNAL_ERROR``)."""
        code = self.body.get("code") if isinstance(self.body, dict) else None
        return code if isinstance(code, int | str) and not isinstance(code, bool) else None

    @property
    def is_failure(self) -> bool:
        """BtcTurk's detection rule: status >= 400, ``success`` false, or a non-success code."""
        if self.status >= 400:  # noqa: PLR2004 - HTTP client/server error boundary
            return True
        if not isinstance(self.body, dict):
            return False
        if self.body.get("success") is False:
            return True
        code = self.body.get("code", 0)
        return code is not None and code not in _SUCCESS_CODES


@dataclass(frozen=True, slots=True)
class _Rule:
    matches: Callable[[Outcome], bool]
    error: type[ExchangeError]


def _name_in(*names: str) -> Callable[[Outcome], bool]:
    wanted = {n.upper() for n in names}
    return lambda o: (o.name or "").upper() in wanted


def _code_in(*codes: int) -> Callable[[Outcome], bool]:
    return lambda o: _as_int(o.code) in codes


RULES: tuple[_Rule, ...] = (
    _Rule(lambda o: o.status == 401, AuthenticationError),  # noqa: PLR2004 - HTTP 401
    # A 5xx first, whatever its body: after a 5xx an order POST or DELETE may have been
    # processed (a 503 whose body says TOO_MANY_REQUESTS is not a definite refusal), so the
    # session must treat it as ambiguous; only a real 429 proves the request was turned away.
    _Rule(lambda o: 500 <= o.status <= 599, ExchangeUnavailableError),  # noqa: PLR2004 - 5xx
    _Rule(lambda o: o.status == 429 or _name_in("TOO_MANY_REQUESTS")(o), RateLimitedError),  # noqa: PLR2004 - HTTP 429
    _Rule(lambda o: (o.name or "").upper().startswith("UNAUTHORIZED"), AuthenticationError),
    _Rule(
        _name_in(
            "FAILED_ORDER_WITH_OPEN_ORDERS",
            "BALANCE_NOT_ENOUGH",
            "BALANCE_NOT_ENOUGH_WITHOUT_OPEN_ORDERS",
        ),
        InsufficientBalanceError,
    ),
    _Rule(_name_in("NO_ORDER_MATCHES_YOUR_REQUEST", "Order not found"), OrderNotFoundError),
    _Rule(
        lambda o: _name_in("INTERNAL_ERROR")(o) or o.code == "INTERNAL_ERROR",
        ExchangeUnavailableError,
    ),
    _Rule(_code_in(1122), InsufficientBalanceError),
    _Rule(_code_in(1052, 1152), OrderNotFoundError),
    _Rule(lambda _o: True, ExchangeRejectError),
)


def classify(outcome: Outcome, endpoint: str) -> ExchangeError | None:
    """The typed error for a failed outcome, or ``None`` when BtcTurk reported success."""
    if not outcome.is_failure:
        return None
    error = next(rule.error for rule in RULES if rule.matches(outcome))
    detail = f"HTTP {outcome.status}"
    if outcome.name:
        detail += f" {outcome.name}"
    if outcome.code is not None:
        detail += f" (code {outcome.code})"
    if issubclass(error, RateLimitedError):
        return RateLimitedError(
            detail, endpoint=endpoint, retry_after=parse_retry_after(outcome.retry_after)
        )
    if issubclass(error, ExchangeRejectError):
        return error(detail, endpoint=endpoint, code=outcome.code, name=outcome.name)
    return error(detail, endpoint=endpoint)


def is_retryable(error: ExchangeError) -> bool:
    """True for failures a GET may be retried after (server/transport trouble, rate limits)."""
    return isinstance(error, RETRYABLE)


def parse_retry_after(value: str | None) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds form), bounded to a sane range."""
    try:
        seconds = float(value) if value is not None else DEFAULT_RETRY_AFTER
    except ValueError:
        seconds = DEFAULT_RETRY_AFTER
    if math.isnan(seconds) or seconds < 0:
        seconds = DEFAULT_RETRY_AFTER
    return min(seconds, MAX_RETRY_AFTER)


def _as_int(code: int | str | None) -> int | None:
    if isinstance(code, int):
        return code
    if isinstance(code, str) and code.isascii() and code.isdigit() and len(code) < 10:  # noqa: PLR2004 - bounded int parse
        return int(code)
    return None
