"""Paper mode's wire, judged where each request really went: the local app or the upstream.

The upstream is a recorder standing in for httpx's network transport (nothing is sent); the
local paper engine is a WSGI app that records what it was asked. A paper process holds no
credentials, but the tests sign requests anyway: the worst case is a header of ours leaving.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import httpx
import pytest

from btcbot.domain.errors import TradeBlockedError
from btcbot.exchange.paper_transport import PaperTransport

REST = "https://api.btcturk.com"
GRAPH = "https://graph-api.btcturk.com"
SIGNED = {"X-PCK": "key", "X-Stamp": "1", "X-Signature": "sig"}


class _Upstream(httpx.BaseTransport):
    """What would have gone to BtcTurk, answered with ``status`` and a gzip framing header."""

    def __init__(self, status: int = 200) -> None:
        self.seen: list[httpx.Request] = []
        self.status = status
        self.closed = False

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(
            self.status,
            headers={"Content-Length": "999", "X-Upstream": "yes"},
            content=b'{"data": []}',
        )

    def close(self) -> None:
        self.closed = True


class _Local:
    """The paper engine's WSGI app: records every request's method and path."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[[str, list[tuple[str, str]]], Any]
    ) -> Iterable[bytes]:
        self.seen.append((environ["REQUEST_METHOD"], environ["PATH_INFO"]))
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"local": true}']


class _Observed:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str], bytes]] = []

    def __call__(self, path: str, params: Mapping[str, str], body: bytes) -> None:
        self.calls.append((path, dict(params), body))


def _transport(
    upstream: _Upstream, local: _Local, observed: _Observed, *, rest: str = REST
) -> PaperTransport:
    return PaperTransport(
        local_app=local, rest_url=rest, graph_url=GRAPH + "/", observe=observed, upstream=upstream
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/users/balances"),
        ("POST", "/api/v1/order"),
        ("DELETE", "/api/v1/order"),
        ("GET", "/API/V1/openOrders"),
    ],
)
def test_private_requests_are_answered_locally_and_never_leave(method: str, path: str) -> None:
    """Balances, orders and cancels (any case of the prefix) reach the paper engine only."""
    upstream, local, observed = _Upstream(), _Local(), _Observed()
    response = _transport(upstream, local, observed).handle_request(
        httpx.Request(method, f"http://127.0.0.1{path}", headers=SIGNED)
    )
    assert response.read() == b'{"local": true}'
    assert local.seen == [(method, path)]
    assert upstream.seen == []
    assert observed.calls == []


@pytest.mark.parametrize("method", ["POST", "DELETE", "PUT", "HEAD"])
def test_anything_but_a_get_outside_the_private_paths_is_refused(method: str) -> None:
    """No method but GET is sent upstream, nor answered locally: the refusal names it."""
    upstream, local, observed = _Upstream(), _Local(), _Observed()
    with pytest.raises(TradeBlockedError, match=f"paper mode sends no {method} /api/v2/order"):
        _transport(upstream, local, observed).handle_request(
            httpx.Request(method, "http://127.0.0.1/api/v2/order")
        )
    assert upstream.seen == []
    assert local.seen == []


def test_a_public_get_goes_to_the_rest_host_with_no_header_of_ours() -> None:
    """Re-addressed to BtcTurk's REST host, its query kept, every header dropped but Accept."""
    upstream, local, observed = _Upstream(), _Local(), _Observed()
    request = httpx.Request(
        "GET",
        "http://127.0.0.1/api/v2/ticker",
        params={"pairSymbol": "BTCTRY"},
        headers={**SIGNED, "User-Agent": "btcbot"},
    )
    response = _transport(upstream, local, observed, rest=REST + "/").handle_request(request)
    (sent,) = upstream.seen
    assert sent.method == "GET"
    assert str(sent.url) == "https://api.btcturk.com/api/v2/ticker?pairSymbol=BTCTRY"
    assert {k.lower() for k in sent.headers} - {"host"} == {"accept"}
    assert sent.headers["Accept"] == "application/json"
    assert local.seen == []
    assert response.status_code == 200
    assert response.content == b'{"data": []}'


def test_a_graph_get_goes_to_the_graph_host_without_its_prefix() -> None:
    """``/graph/v1/klines/history`` is the graph host's ``/v1/klines/history``."""
    upstream, local, observed = _Upstream(), _Local(), _Observed()
    _transport(upstream, local, observed).handle_request(
        httpx.Request("GET", "http://127.0.0.1/graph/v1/klines/history", params={"symbol": "X"})
    )
    (sent,) = upstream.seen
    assert str(sent.url) == "https://graph-api.btcturk.com/v1/klines/history?symbol=X"


def test_the_paper_engine_sees_what_the_bot_saw_only_when_it_was_an_answer() -> None:
    """A 200's body is observed with the bot's path and query; an error's is not."""
    upstream, local, observed = _Upstream(), _Local(), _Observed()
    transport = _transport(upstream, local, observed)
    transport.handle_request(
        httpx.Request("GET", "http://127.0.0.1/api/v2/orderbook", params={"pairSymbol": "BTCTRY"})
    )
    assert observed.calls == [("/api/v2/orderbook", {"pairSymbol": "BTCTRY"}, b'{"data": []}')]
    upstream.status = 429
    response = transport.handle_request(httpx.Request("GET", "http://127.0.0.1/api/v2/ticker"))
    assert response.status_code == 429
    assert len(observed.calls) == 1


def test_the_answer_keeps_its_headers_but_not_its_framing() -> None:
    """The body is whole and decoded: a stale Content-Length would cut or pad it."""
    upstream, local, observed = _Upstream(), _Local(), _Observed()
    response = _transport(upstream, local, observed).handle_request(
        httpx.Request("GET", "http://127.0.0.1/api/v2/ticker")
    )
    assert response.headers["X-Upstream"] == "yes"
    assert response.headers["Content-Length"] == str(len(b'{"data": []}'))


def test_closing_closes_the_upstream() -> None:
    """No connection of the paper process outlives it."""
    upstream = _Upstream()
    _transport(upstream, _Local(), _Observed()).close()
    assert upstream.closed
