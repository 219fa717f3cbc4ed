"""Enumerations shared by every layer (wire spellings are mapped to these once, at the edge)."""

from __future__ import annotations

from enum import StrEnum


class Side(StrEnum):
    """Which way an order or fill trades the base asset."""

    BUY = "buy"
    SELL = "sell"


class OrderMethod(StrEnum):
    """How an order executes; values are BtcTurk's lower-case spellings."""

    LIMIT = "limit"
    MARKET = "market"
    STOP_LIMIT = "stoplimit"
    STOP_MARKET = "stopmarket"


class OrderStatus(StrEnum):
    """An order's state *on the exchange*.

    BtcTurk's REST statuses map one to one: Untouched -> OPEN, Partial -> PARTIALLY_FILLED,
    Closed -> FILLED (the predecessor forgot this one), Canceled -> CANCELED.
    """

    OPEN = "open"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"

    @property
    def is_open(self) -> bool:
        """True while the order can still trade or be canceled."""
        return self in (OrderStatus.OPEN, OrderStatus.PARTIALLY_FILLED)


class Role(StrEnum):
    """The two process roles; a database is tagged with exactly one of them."""

    LIVE = "live"
    MONITOR = "monitor"


class ExchangeKind(StrEnum):
    """Which exchange the client talks to: BtcTurk itself or the btcbot emulator."""

    BTCTURK = "btcturk"
    SIM = "sim"


class TradingMode(StrEnum):
    """Where a LIVE process's orders go (ARCHITECTURE.md, "Modes: where orders go").

    ``sim``: the emulator (in process, or a loopback ``btcbot sim serve``); ``paper``: BtcTurk's
    public market data with orders matched locally; ``live``: BtcTurk itself.
    """

    SIM = "sim"
    PAPER = "paper"
    LIVE = "live"


class RequestKind(StrEnum):
    """What an HTTP request can do, as the egress guard sees it at the transport."""

    PUBLIC = "public"  # an unsigned GET of public market data
    PRIVATE_READ = "private read"  # a signed request, or any GET under /api/v1
    ORDER_CANCEL = "order cancel"  # DELETE (BtcTurk's only DELETE is an order cancel)
    ORDER_POST = "order post"  # POST, or any other method that can change state
