"""The error table's rules one at a time: a name alone, a code alone, and the two disagreeing.

The captured samples carry a name and a code that agree, so either rule alone passes them;
these hold each rule on its own, and the order the table documents (names before codes,
because BtcTurk's codes were wrong from Dec 2022 to May 2024).
"""

from __future__ import annotations

from typing import Any

import pytest

from btcbot.domain.errors import (
    ExchangeError,
    ExchangeRejectError,
    ExchangeUnavailableError,
    InsufficientBalanceError,
    OrderNotFoundError,
)
from btcbot.exchange.errors import Outcome, classify


def _kind(body: Any, status: int = 400) -> type[ExchangeError] | None:
    error = classify(Outcome(status, body), "POST /api/v1/order")
    return None if error is None else type(error)


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("BALANCE_NOT_ENOUGH", InsufficientBalanceError),
        ("balance_not_enough_without_open_orders", InsufficientBalanceError),
        ("No_Order_Matches_Your_Request", OrderNotFoundError),
        ("order not found", OrderNotFoundError),
        ("internal_error", ExchangeUnavailableError),
    ],
)
def test_a_name_alone_decides_in_any_letter_case(name: str, kind: type[ExchangeError]) -> None:
    """No code at all: the name is enough, however it is capitalised."""
    assert _kind({"success": False, "message": name}) is kind


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (1122, InsufficientBalanceError),
        ("1122", InsufficientBalanceError),
        (1052, OrderNotFoundError),
        (1152, OrderNotFoundError),
        ("INTERNAL_ERROR", ExchangeUnavailableError),
        (1123, ExchangeRejectError),
    ],
)
def test_a_code_alone_decides_when_there_is_no_name(
    code: int | str, kind: type[ExchangeError]
) -> None:
    """No message: the numeric code (or its text) decides; an unknown code is a plain reject."""
    assert _kind({"success": False, "code": code}) is kind


def test_the_name_wins_over_a_code_that_says_otherwise() -> None:
    """BtcTurk sent 1123 for FAILED_ORDER_WITH_OPEN_ORDERS for a year and a half."""
    named = {"success": False, "message": "NO_ORDER_MATCHES_YOUR_REQUEST", "code": 1122}
    assert _kind(named) is OrderNotFoundError
    wrong_code = {"success": False, "message": "FAILED_ORDER_WITH_OPEN_ORDERS", "code": 1123}
    assert _kind(wrong_code) is InsufficientBalanceError


def test_a_code_spelt_with_non_digits_is_no_code() -> None:
    """'١١٢٢' (Arabic-Indic digits) and '+1122' are not BtcTurk's 1122."""
    assert _kind({"success": False, "code": "١١٢٢"}) is ExchangeRejectError
    assert _kind({"success": False, "code": "+1122"}) is ExchangeRejectError


@pytest.mark.parametrize(
    ("status", "body", "words"),
    [
        (
            400,
            {"success": False, "message": "FAILED_MIN_TOTAL", "code": 1127},
            "HTTP 400 FAILED_MIN_TOTAL (code 1127)",
        ),
        (400, {"success": False, "code": 1122}, "HTTP 400 (code 1122)"),
        (
            400,
            {"success": False, "message": "NO_ORDER_MATCHES_YOUR_REQUEST"},
            "HTTP 400 NO_ORDER_MATCHES_YOUR_REQUEST",
        ),
        (429, {}, "HTTP 429"),
        (503, "<html>maintenance</html>", "HTTP 503"),
    ],
)
def test_the_error_says_the_status_the_name_and_the_code(
    status: int, body: Any, words: str
) -> None:
    """What the operator reads in the log: the call, then everything BtcTurk said about it."""
    error = classify(Outcome(status, body), "POST /api/v1/order")
    assert str(error) == f"POST /api/v1/order: {words}"
