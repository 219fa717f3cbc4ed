"""Primitive conversions from wire text to domain values; each fails as MalformedResponseError.

Decimal and time parsing live here once so every mapper treats a bad number, an impossible
timestamp or a schema mismatch the same way: a typed error naming the endpoint, never a crash.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from btcbot.domain.enums import OrderMethod, OrderStatus, Side
from btcbot.domain.errors import MalformedResponseError

M = TypeVar("M", bound=BaseModel)

_MAX_ID_DIGITS = 20  # int64 and uint64 ids fit; longer is a wire surprise, not an id

_STATUSES = {
    "untouched": OrderStatus.OPEN,
    "partial": OrderStatus.PARTIALLY_FILLED,
    "closed": OrderStatus.FILLED,
    "canceled": OrderStatus.CANCELED,
    "cancelled": OrderStatus.CANCELED,
}


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"non-finite number {name}")


def decode_json(text: str, endpoint: str) -> Any:
    """Parse a body; floats become ``Decimal`` (exact), NaN/Infinity are refused."""
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise MalformedResponseError("body is not valid JSON", endpoint=endpoint) from exc


def validate(model: type[M], data: Any, endpoint: str) -> M:
    """``model`` validated from ``data``; a mismatch names the first bad field, not its value."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise MalformedResponseError(
            f"unexpected {model.__name__} shape at {where}: {first['msg']}", endpoint=endpoint
        ) from None


def dec(text: str, field: str, endpoint: str) -> Decimal:
    """A finite ``Decimal`` from wire text."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise MalformedResponseError(f"{field} is not a number", endpoint=endpoint) from None
    if not value.is_finite():
        raise MalformedResponseError(f"{field} is not a finite number", endpoint=endpoint)
    return value


def opt_dec(text: str | None, field: str, endpoint: str) -> Decimal | None:
    """``None`` stays absent; anything else must be a finite number."""
    return None if text is None else dec(text, field, endpoint)


def from_ms(text: str, field: str, endpoint: str) -> datetime:
    """Aware UTC from milliseconds since the epoch (a float like ``1613315997466.0`` is fine)."""
    return _from_epoch(dec(text, field, endpoint) / 1000, field, endpoint)


def from_seconds(text: str, field: str, endpoint: str) -> datetime:
    """Aware UTC from seconds since the epoch (the graph API's unit)."""
    return _from_epoch(dec(text, field, endpoint), field, endpoint)


def opt_from_ms(text: str | None, field: str, endpoint: str) -> datetime | None:
    """Absent or ``0`` (openOrders sends ``time: 0``) means unknown."""
    if text is None or dec(text, field, endpoint) == 0:
        return None
    return from_ms(text, field, endpoint)


def _from_epoch(seconds: Decimal, field: str, endpoint: str) -> datetime:
    try:
        return datetime.fromtimestamp(float(seconds), tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise MalformedResponseError(f"{field} is not a valid time", endpoint=endpoint) from None


def side(text: str, field: str, endpoint: str) -> Side:
    """``buy``/``sell`` in any case."""
    try:
        return Side(text.strip().lower())
    except ValueError:
        raise MalformedResponseError(f"{field} is not buy/sell", endpoint=endpoint) from None


def method(text: str, field: str, endpoint: str) -> OrderMethod:
    """An order method in any spelling (``stoplimit``, ``STOP_LIMIT``, ``stopLimit``)."""
    try:
        return OrderMethod(text.strip().lower().replace("_", ""))
    except ValueError:
        raise MalformedResponseError(f"{field} is not an order method", endpoint=endpoint) from None


def status(text: str, field: str, endpoint: str) -> OrderStatus:
    """Untouched/Partial/Closed/Canceled to our enum; anything else is a wire surprise."""
    found = _STATUSES.get(text.strip().lower())
    if found is None:
        raise MalformedResponseError(f"{field} is not a known order status", endpoint=endpoint)
    return found


def int_id(text: str, field: str, endpoint: str) -> int:
    """A non-negative integer id (trade ids exceed 2**53, so never via float)."""
    if not (text.isascii() and text.isdigit() and len(text) <= _MAX_ID_DIGITS):
        raise MalformedResponseError(f"{field} is not an integer id", endpoint=endpoint)
    return int(text)
