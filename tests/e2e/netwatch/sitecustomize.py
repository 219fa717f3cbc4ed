"""Loaded by every Python process started with this folder on PYTHONPATH (e2e tests only).

It watches, inside the process, every socket the process tries to reach and every request httpx
sends, and writes one JSON line per event to the file ``SOCKET_AUDIT_LOG`` names. A connection
or a DNS look-up for a host outside loopback is refused here (PermissionError), so no test ever
reaches the internet, and is logged, so the test can fail on it.
"""

from __future__ import annotations

import ipaddress
import json
import os
import sys
from typing import Any

_LOG = os.environ.get("SOCKET_AUDIT_LOG")


def _loopback(host: object) -> bool:
    text = host.decode() if isinstance(host, bytes) else str(host)
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text.strip("[]")).is_loopback
    except ValueError:
        return False


def _write(record: dict[str, Any]) -> None:
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:  # noqa: PTH123 - no pathlib this early
            fh.write(json.dumps(record) + "\n")


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.getaddrinfo":
        host = args[0]
        if host is not None and not _loopback(host):
            _write({"event": "getaddrinfo", "host": str(host)})
            raise PermissionError(f"test: no DNS look-up for {host!r}")
    elif event == "socket.connect":
        address = args[1]
        if isinstance(address, tuple) and address and not _loopback(address[0]):
            _write({"event": "connect", "host": str(address[0])})
            raise PermissionError(f"test: no connection to {address!r}")


def _watch_httpx() -> None:
    try:
        import httpx  # noqa: PLC0415 - only when the process has it
    except ImportError:
        return
    send = httpx.Client.send

    def watched(self: httpx.Client, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        _write(
            {
                "event": "request",
                "method": request.method,
                "url": str(request.url),
                "key": request.headers.get("X-PCK"),
            }
        )
        return send(self, request, **kwargs)

    httpx.Client.send = watched  # type: ignore[method-assign]


if _LOG:
    sys.addaudithook(_hook)
    _watch_httpx()
