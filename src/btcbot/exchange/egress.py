"""The egress guard: the one place every request of ``BtcturkClient`` passes before it leaves.

ARCHITECTURE.md's one rule: unless the process is armed live, no signed request and no order
POST/DELETE goes to a host outside loopback. The guard decides from what really leaves — the
request's destination host, its method, its path and whether it carries BtcTurk's auth headers
— never from a label such as ``EXCHANGE``. ``BtcturkClient`` wraps every transport it is given
(and the default network transport) in it, so no wiring mistake can route around it: a client
built without an ``egress`` answer refuses every non-public request to a remote host.

A refused request raises ``TradeBlockedError`` before the inner transport is touched: no DNS
look-up, no connection, no byte on the wire.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import httpx

from btcbot.domain.enums import RequestKind
from btcbot.domain.errors import TradeBlockedError
from btcbot.domain.network import is_loopback_host

# BtcTurk's auth headers (API.md section 2); any one of them makes a request "signed".
_AUTH_HEADERS = ("x-pck", "x-stamp", "x-signature")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_PRIVATE_PREFIX = "/api/v1/"

EgressBlockers = Callable[[RequestKind], Sequence[str]]
"""Why a request of this kind may not go to a host outside loopback; empty means it may."""


def deny_remote(kind: RequestKind) -> Sequence[str]:
    """The default answer: only public market data may leave for a remote host."""
    if kind is RequestKind.PUBLIC:
        return ()
    return ("this process is not armed for live trading",)


def request_kind(request: httpx.Request) -> RequestKind:
    """What ``request`` can do, judged from what it carries.

    Conservative where in doubt: any method but GET/HEAD/OPTIONS counts as an order POST
    (BtcTurk's only state-changing calls are the order endpoints), a DELETE as a cancel, and a
    GET under ``/api/v1`` as private even without auth headers.
    """
    method = request.method.upper()
    if method == "DELETE":
        return RequestKind.ORDER_CANCEL
    if method not in _SAFE_METHODS:
        return RequestKind.ORDER_POST
    signed = any(h in request.headers for h in _AUTH_HEADERS)
    if signed or request.url.path.lower().startswith(_PRIVATE_PREFIX):
        return RequestKind.PRIVATE_READ
    return RequestKind.PUBLIC


class EgressGuard(httpx.BaseTransport):
    """Refuse, before any I/O, what ``blockers`` says may not go to a remote host."""

    def __init__(self, inner: httpx.BaseTransport, blockers: EgressBlockers) -> None:
        self._inner = inner
        self._blockers = blockers

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Pass ``request`` on to the inner transport, or raise ``TradeBlockedError``."""
        host = request.url.host
        if not is_loopback_host(host):
            kind = request_kind(request)
            reasons = list(self._blockers(kind))
            if reasons:
                raise TradeBlockedError(
                    f"{kind.value} to {host} blocked at the transport: {'; '.join(reasons)}"
                )
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the inner transport."""
        self._inner.close()
