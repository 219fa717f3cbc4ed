"""``btcbot sim serve``: the emulator's WSGI app on a real threaded loopback HTTP server.

The server honours the ``X-Sim-Fault`` header the app sets for simulated network failures:
``reset`` drops the connection with a TCP RST and no response; ``timeout`` sends nothing and
holds the connection until the client gives up (it closes its side) or ``stall_seconds`` pass,
then drops it. The header itself never reaches the client.
"""

from __future__ import annotations

import contextlib
import select
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from types import FrameType
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Any]


class SimHTTPServer(ThreadingHTTPServer):
    """A threaded HTTP/1.1 server bound to one WSGI app."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        app: WSGIApp,
        *,
        stall_seconds: float,
        request_log: Callable[[str, str], None] | None = None,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6  # e.g. ``--host ::1``
        super().__init__(address, _Handler)
        self.app = app
        self.stall_seconds = stall_seconds
        self.request_log = request_log

    @property
    def url(self) -> str:
        """``http://host:port`` actually bound (port 0 resolved)."""
        host, port = self.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{f'[{host}]' if ':' in host else host}:{port}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as ccxt and httpx expect
    server: SimHTTPServer

    def setup(self) -> None:
        """No Nagle: a small response must not wait for the client's delayed ACK (~40 ms)."""
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 -- stdlib's signature
        """Stay quiet: the one line on stdout is the readiness announcement."""

    def do_GET(self) -> None:
        """Serve GET."""
        self._serve()

    do_POST = do_DELETE = do_PUT = do_PATCH = do_HEAD = do_GET  # noqa: N815 -- stdlib's naming

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        path, _, query = self.path.partition("?")
        if self.server.request_log is not None:
            self.server.request_log(self.command, path)
        environ: dict[str, Any] = {
            "REQUEST_METHOD": self.command,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_LENGTH": str(len(body)),
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str(self.server.server_address[1]),
            "SERVER_PROTOCOL": self.request_version,
            "wsgi.input": BytesIO(body),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
            "wsgi.version": (1, 0),
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
        }
        for name, value in self.headers.items():
            environ["HTTP_" + name.upper().replace("-", "_")] = value
        captured: list[Any] = []

        def start_response(status: str, headers: list[tuple[str, str]], _exc: Any = None) -> None:
            captured[:] = [status, headers]

        payload = b"".join(self.server.app(environ, start_response))
        status, headers = captured
        fault = next((v for k, v in headers if k.lower() == "x-sim-fault"), None)
        if fault == "timeout":
            self._stall()
        if fault in ("timeout", "reset"):
            self._drop()
            return
        # Status line, headers and body leave in one write (one TCP segment for small bodies).
        lines = [f"{self.protocol_version} {status}", f"Date: {self.date_time_string()}"]
        lines += [f"{name}: {value}" for name, value in headers]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        self.wfile.write(head + (b"" if self.command == "HEAD" else payload))

    def _stall(self) -> None:
        """Hold the connection silently until the client hangs up or the bound passes."""
        deadline = time.monotonic() + self.server.stall_seconds
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([self.connection], [], [], min(left, 0.1))
            if readable:
                try:
                    if not self.connection.recv(1, socket.MSG_PEEK):
                        return  # the client closed: its timeout fired
                except OSError:
                    return

    def _drop(self) -> None:
        """Abort the connection with an RST (SO_LINGER 0) and no response."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


def serve_until_signalled(
    server: SimHTTPServer, *, announce: Callable[[str], None], on_stop: Callable[[], None]
) -> None:
    """Serve until SIGINT/SIGTERM (or CTRL+BREAK on Windows), then stop cleanly."""
    stop = threading.Event()

    def _handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    wanted = [signal.SIGINT, signal.SIGTERM]
    if hasattr(signal, "SIGBREAK"):
        wanted.append(signal.SIGBREAK)
    previous = {sig: signal.signal(sig, _handler) for sig in wanted}
    thread = threading.Thread(target=server.serve_forever, name="sim-http", daemon=True)
    thread.start()
    try:
        announce(server.url)
        while not stop.wait(0.5):
            pass
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        on_stop()
        for sig, old in previous.items():
            signal.signal(sig, old)
