"""``PaperTransport``: paper mode's wire: public data from BtcTurk, everything private local.

The paper-mode client talks to a loopback base URL. This transport splits its requests:

- ``/api/v1/*`` (balances, orders, own trades — everything private) is answered in process by
  the local paper engine's WSGI app, through ``EmulatorTransport``; it never leaves;
- every other request must be a GET of public market data; it is re-addressed to BtcTurk's
  real REST or graph host *without any header of ours but Accept*, sent through an
  ``EgressGuard`` that lets only public requests out, and its body is handed to ``observe`` so
  the paper engine sees the market the bot sees.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import httpx

from btcbot.domain.errors import TradeBlockedError
from btcbot.exchange.egress import EgressGuard, deny_remote
from btcbot.exchange.transport import EmulatorTransport

_PRIVATE_PREFIX = "/api/v1/"
_GRAPH_PREFIX = "/graph/"
_FRAMING = frozenset({"content-encoding", "content-length", "transfer-encoding"})

Observe = Callable[[str, Mapping[str, str], bytes], None]


class PaperTransport(httpx.BaseTransport):
    """Route private paths to ``local_app`` and public GETs to the real hosts."""

    def __init__(
        self,
        *,
        local_app: Any,
        rest_url: str,
        graph_url: str,
        observe: Observe,
        upstream: httpx.BaseTransport | None = None,
    ) -> None:
        self._local = EmulatorTransport(local_app)
        self._rest = rest_url.rstrip("/")
        self._graph = graph_url.rstrip("/")
        self._observe = observe
        self._upstream = EgressGuard(upstream or httpx.HTTPTransport(), deny_remote)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve ``request`` locally or fetch it from BtcTurk's public endpoints."""
        path = request.url.path
        if path.lower().startswith(_PRIVATE_PREFIX):
            return self._local.handle_request(request)
        if request.method.upper() != "GET":
            raise TradeBlockedError(f"paper mode sends no {request.method} {path} anywhere")
        if path.startswith(_GRAPH_PREFIX):
            url = self._graph + path[len(_GRAPH_PREFIX) - 1 :]
        else:
            url = self._rest + path
        forwarded = httpx.Request(
            "GET", url, params=request.url.params, headers={"Accept": "application/json"}
        )
        response = self._upstream.handle_request(forwarded)
        try:
            body = response.read()
        finally:
            response.close()
        if response.status_code == httpx.codes.OK:
            self._observe(path, dict(request.url.params), body)
        # The body is whole and decoded now: its framing and encoding headers no longer apply.
        headers = {k: v for k, v in response.headers.items() if k.lower() not in _FRAMING}
        return httpx.Response(response.status_code, headers=headers, content=body)

    def close(self) -> None:
        """Close both sides."""
        self._local.close()
        self._upstream.close()
