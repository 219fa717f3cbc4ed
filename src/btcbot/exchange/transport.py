"""``EmulatorTransport``: the emulator's WSGI app in process, with its simulated network faults.

The emulator marks a response it wants lost with ``X-Sim-Fault: timeout`` or ``reset`` (after
applying the request's effect, for timeout-after-accept). Over a real socket ``btcbot sim serve``
turns that into a stall or a dropped connection; here it becomes the exception httpx would raise
for the same thing, so the client's real error handling runs either way.
"""

from __future__ import annotations

from typing import Any

import httpx

FAULT_HEADER = "X-Sim-Fault"


class EmulatorTransport(httpx.BaseTransport):
    """``httpx.WSGITransport`` over the emulator app, raising the faults it asks for."""

    def __init__(self, app: Any) -> None:
        self._inner = httpx.WSGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Serve ``request`` in process; a faulted response is replaced by the matching error."""
        response = self._inner.handle_request(request)
        fault = response.headers.get(FAULT_HEADER, "").strip().lower()
        if fault == "timeout":
            response.close()
            raise httpx.ReadTimeout("simulated timeout (emulator fault)", request=request)
        if fault == "reset":
            response.close()
            raise httpx.RemoteProtocolError(
                "simulated connection reset (emulator fault)", request=request
            )
        return response

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
