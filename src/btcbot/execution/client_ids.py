"""Deterministic client order ids: the same cycle and intent always give the same id.

Format (docs/EXECUTION.md): ``bb-<cycle>-<index>-<SYMBOL>-<b|s>``, for example
``bb-c000042-0-BTCTRY-b``. ``<cycle>`` is the cycle id itself when it is 1-24 characters of
``[A-Za-z0-9]``, otherwise ``h`` plus the first 15 hex digits of its sha256. Should the whole id
still exceed BtcTurk's 50-character limit (an absurdly long symbol), it becomes ``bb-h`` plus 32
hex digits of the sha256 of every input. ``bb-`` lets reconciliation tell the bot's orders from
orders placed by hand or by other software (BtcTurk does not enforce client id uniqueness).
"""

from __future__ import annotations

import hashlib
import re

from btcbot.domain.enums import Side

MAX_CLIENT_ORDER_ID = 50
PREFIX = "bb-"
_PLAIN_CYCLE = re.compile(r"[A-Za-z0-9]{1,24}")
_SYMBOL = re.compile(r"[A-Z0-9]{1,20}")


def _digest(text: str, length: int) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:length]


def client_order_id(cycle_id: str, index: int, symbol: str, side: Side) -> str:
    """The client order id of intent ``index`` (0-based) of cycle ``cycle_id``.

    Raises ``ValueError`` for an empty cycle id, a negative index or a symbol that is not
    upper-case letters and digits (``BTCTRY``), because an id built from those could collide.
    """
    if not cycle_id:
        raise ValueError("cycle_id must not be empty")
    if index < 0:
        raise ValueError("intent index must be >= 0")
    if not _SYMBOL.fullmatch(symbol):
        raise ValueError(f"symbol {symbol!r} must be upper-case letters/digits, like BTCTRY")
    cycle = cycle_id if _PLAIN_CYCLE.fullmatch(cycle_id) else "h" + _digest(cycle_id, 15)
    side_code = "b" if side is Side.BUY else "s"
    cid = f"{PREFIX}{cycle}-{index}-{symbol}-{side_code}"
    if len(cid) > MAX_CLIENT_ORDER_ID:
        cid = f"{PREFIX}h" + _digest(f"{cycle_id}|{index}|{symbol}|{side.value}", 32)
    return cid


def is_bot_client_id(value: str | None) -> bool:
    """True when ``value`` has the shape of an id this bot generates."""
    return value is not None and value.startswith(PREFIX)
