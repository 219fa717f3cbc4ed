"""The emulator's own operator desk (not BtcTurk's API): deposits and withdrawals on demand.

What a person does on the exchange's website - send TRY from a bank, move coins in or out -
arrives here as ``POST /sim/v1/deposit`` and ``/sim/v1/withdraw`` with ``asset``, ``amount`` (and
``fee`` for a withdrawal) in the query, signed like a private call. The transfer then shows in
``users/transactions/crypto`` (coins) or ``/fiat`` (TRY) as BtcTurk would list it.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from btcbot.sim.messages import Request, Response, json_response
from btcbot.sim.model import InsufficientFundsError
from btcbot.sim.validation import SimRejectError
from btcbot.sim.wire import ok

if TYPE_CHECKING:
    from btcbot.sim.app import SimApp


def _amount(req: Request, name: str, *, default: str | None = None) -> Decimal:
    raw = req.arg(name) or default
    try:
        value = Decimal(raw) if raw is not None else Decimal("NaN")
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or (name == "amount" and value == 0):
        raise SimRejectError(f"{name} must be a positive decimal", "BAD_REQUEST", full=False)
    return value


def _asset(req: Request) -> str:
    asset = (req.arg("asset") or "").strip().upper()
    if not asset.isalnum():
        raise SimRejectError("asset is required", "BAD_REQUEST", full=False)
    return asset


def deposit(app: SimApp, req: Request) -> Response:
    """Credit the account from outside."""
    transfer = app.sim.deposit(_asset(req), _amount(req, "amount"))
    return json_response(200, ok({"id": transfer.id}))


def withdraw(app: SimApp, req: Request) -> Response:
    """Debit the account's free balance (amount + fee)."""
    try:
        transfer = app.sim.withdraw(
            _asset(req), _amount(req, "amount"), _amount(req, "fee", default="0")
        )
    except InsufficientFundsError:
        raise SimRejectError("BALANCE_NOT_ENOUGH", 1122, full=False) from None
    return json_response(200, ok({"id": transfer.id}))
