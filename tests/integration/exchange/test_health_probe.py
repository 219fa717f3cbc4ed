"""The health probe (``btcbot.exchange.probe``) against a loopback server: answers and faults.

Every way the one request can fail is an ``ExchangeError`` the exchange check turns into a
CRITICAL line; none is a traceback.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from btcbot.domain.errors import ExchangeUnavailableError, MalformedResponseError
from btcbot.exchange.probe import server_time

Answer = Callable[[BaseHTTPRequestHandler], None]


def _reply(status: int, body: bytes) -> Answer:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)

    return answer


@pytest.fixture
def serve() -> Iterator[Callable[[Answer], str]]:
    """Start a loopback server giving one canned answer; yields a starter returning its URL."""
    servers: list[ThreadingHTTPServer] = []
    paths: list[str] = []

    def start(answer: Answer) -> str:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                paths.append(self.path)
                answer(self)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                """Stay quiet."""

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()
    assert all(p == "/api/v2/server/time" for p in paths)


@pytest.mark.parametrize(
    "body", [b'{"serverTime": 1790133600027}', b'{"serverTime": "1790133600027", "x": 1}']
)
def test_the_exchange_clock_is_read_from_a_number_or_a_numeric_string(
    serve: Callable[[Answer], str], body: bytes
) -> None:
    """The sample answer (API.md 3.1), as a JSON number or as text, is the same instant."""
    url = serve(_reply(200, body))
    assert server_time(url, timeout=2) == datetime(2026, 9, 23, 3, 20, 0, 27000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "body", "error", "text"),
    [
        (503, b"maintenance", ExchangeUnavailableError, "HTTP 503"),
        (429, b'{"code":429}', ExchangeUnavailableError, "HTTP 429"),
        (200, b"<html>", MalformedResponseError, "not JSON"),
        (200, b"[]", MalformedResponseError, "missing"),
        (200, b'{"serverTime": true}', MalformedResponseError, "missing"),
        (200, b'{"serverTime": "soon"}', MalformedResponseError, "missing"),
        (200, b'{"serverTime": 1e300}', MalformedResponseError, "not a time"),
    ],
)
def test_a_bad_answer_is_one_typed_error(
    serve: Callable[[Answer], str], status: int, body: bytes, error: type[Exception], text: str
) -> None:
    """A status other than 200 is an outage; a 200 that is not the clock is malformed."""
    url = serve(_reply(status, body))
    with pytest.raises(error, match=text):
        server_time(url, timeout=2)


def test_a_refused_connection_and_a_silent_server_are_outages(
    serve: Callable[[Answer], str],
) -> None:
    """Nothing listening, or a server that never answers within the timeout."""
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    with pytest.raises(ExchangeUnavailableError, match="transport failure"):
        server_time(f"http://127.0.0.1:{port}", timeout=2)
    hang = threading.Event()

    def silent(_handler: BaseHTTPRequestHandler) -> None:
        hang.wait(2)

    url = serve(silent)
    # The probe's own timeout, not the server giving up after 2 s (RemoteDisconnected).
    with pytest.raises(ExchangeUnavailableError, match=r"transport failure \(TimeoutError\)"):
        server_time(url, timeout=0.3)
    hang.set()


def test_an_https_url_is_spoken_to_in_tls_only(serve: Callable[[Answer], str]) -> None:
    """A plain-HTTP server behind an ``https://`` URL is an outage, never a plain-text answer."""
    url = serve(_reply(200, b'{"serverTime": 1790133600027}'))
    with pytest.raises(ExchangeUnavailableError, match=r"transport failure \(SSL"):
        server_time(url.replace("http://", "https://"), timeout=2)


def test_a_url_that_is_not_http_is_refused_before_any_io() -> None:
    """A ``BTCTURK_BASE_URL`` typo names the URL."""
    with pytest.raises(ExchangeUnavailableError, match="not an http"):
        server_time("ftp://example.invalid", timeout=1)
