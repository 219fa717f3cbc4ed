"""``NoopExecution``: the MONITOR's execution slot, which refuses every trade before any I/O.

It holds no client, no credentials and no connection, so there is nothing it *could* send:
every order-changing method raises ``TradeBlockedError`` as its first and only statement.
The wiring gives it to the MONITOR role; if an upstream bug ever routes a trade through the
MONITOR, the bug ends in this exception rather than at the exchange.
"""

from __future__ import annotations

from typing import NoReturn

from btcbot.domain.errors import TradeBlockedError

_MESSAGE = "{action} blocked: the MONITOR role cannot trade (NoopExecution)"


class NoopExecution:
    """An execution service whose submit and cancel methods always raise."""

    def submit(self, *_args: object, **_kwargs: object) -> NoReturn:
        """Refuse to place an order."""
        raise TradeBlockedError(_MESSAGE.format(action="submit"))

    def cancel(self, *_args: object, **_kwargs: object) -> NoReturn:
        """Refuse to cancel an order."""
        raise TradeBlockedError(_MESSAGE.format(action="cancel"))

    def cancel_all(self, *_args: object, **_kwargs: object) -> NoReturn:
        """Refuse to cancel orders in bulk."""
        raise TradeBlockedError(_MESSAGE.format(action="cancel_all"))

    def submit_order(self, *_args: object, **_kwargs: object) -> NoReturn:
        """Refuse to place an order (client-style name)."""
        raise TradeBlockedError(_MESSAGE.format(action="submit_order"))

    def cancel_order(self, *_args: object, **_kwargs: object) -> NoReturn:
        """Refuse to cancel an order (client-style name)."""
        raise TradeBlockedError(_MESSAGE.format(action="cancel_order"))
