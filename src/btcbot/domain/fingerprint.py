"""The fill fingerprint: one sha256 a backtest and a LIVE run of one input must share.

It covers every fill, oldest first (by exchange time, then trade id): time in ms, symbol, side,
price, quantity, fee and tax, each number in its plain normalised form so that ``1.50`` read
from JSON and ``1.5`` computed in process hash alike. Ids are left out on purpose: order and
trade ids, and client ids derived from cycle ids, legitimately differ between runtimes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from decimal import Decimal

from btcbot.domain.models import Fill


def plain(value: Decimal) -> str:
    """``value`` without exponent or trailing zeros (``0`` for any zero)."""
    text = str(value)
    # Most values already print that way (a price, a volume read from a file): their own
    # text, about three times faster than normalising. A nonzero value printed without an
    # exponent and without a zero after its point is its own normal form.
    if value and "E" not in text and not ("." in text and text[-1] == "0"):
        return text
    normal = value.normalize()
    return format(normal if normal != 0 else Decimal(0), "f")


def fill_line(fill: Fill) -> str:
    """The fingerprinted text of one fill."""
    ms = round(fill.timestamp.timestamp() * 1000)
    return "|".join(
        (
            str(ms),
            fill.symbol,
            fill.side.value,
            plain(fill.price),
            plain(fill.quantity),
            plain(fill.fee),
            plain(fill.tax),
        )
    )


def in_order(fills: Iterable[Fill]) -> list[Fill]:
    """Fills oldest first: exchange time, then trade id (ids grow with time on BtcTurk)."""
    return sorted(fills, key=lambda f: (f.timestamp, f.trade_id))


def fill_fingerprint(fills: Iterable[Fill]) -> str:
    """sha256 (hex) over every fill's line, oldest first, one line each."""
    digest = hashlib.sha256()
    for fill in in_order(fills):
        digest.update(fill_line(fill).encode("ascii") + b"\n")
    return digest.hexdigest()
