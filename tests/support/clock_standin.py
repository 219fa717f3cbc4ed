"""A loopback stand-in for BtcTurk's ``GET /api/v2/server/time``, for the health probe's tests.

Shared by the e2e tests (the real ``btcbot health`` against it) and the integration tests
(the probe in process). It records each request line and its headers, can be skewed, and can
stall.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class _ClockHandler(BaseHTTPRequestHandler):
    skew = 0.0
    stall = False
    hits: list[str]
    headers_seen: list[dict[str, str]]

    def do_GET(self) -> None:
        """Serve BtcTurk's bare server/time body, skewed; stall forever when asked to."""
        self.hits.append(f"GET {self.path}")
        self.headers_seen.append(dict(self.headers))
        if self.stall:
            time.sleep(3600)
        if self.path.split("?")[0] != "/api/v2/server/time":
            self.send_error(404)
            return
        ms = int((time.time() + self.skew) * 1000)
        body = json.dumps({"serverTime": ms, "serverTime2": "x"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        """Stay quiet."""


@contextmanager
def exchange_clock(skew: float = 0.0, *, stall: bool = False) -> Iterator[str]:
    """A loopback stand-in for GET /api/v2/server/time whose clock is ``skew`` seconds off."""
    with recording_exchange(skew, stall=stall) as (url, _hits):
        yield url


@contextmanager
def recording_exchange(
    skew: float = 0.0, *, stall: bool = False, headers: list[dict[str, str]] | None = None
) -> Iterator[tuple[str, list[str]]]:
    """``exchange_clock`` that also yields the requests it received (and fills ``headers``)."""
    hits: list[str] = []
    seen = headers if headers is not None else []
    fields = {"skew": skew, "stall": stall, "hits": hits, "headers_seen": seen}
    handler = type("Handler", (_ClockHandler,), fields)
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()
