"""Test-only crash points: SIGKILL this process at the riskiest moments of an order POST.

Not part of btcbot: ``crash_entry.py`` (beside this file) runs the real ``btcbot`` command with
this transport injected through the wiring (``build_live(..., transport=...)``), so the
production client never reads an environment variable to kill itself. Grammar of the spec::

    before_post:P,after_timeout:P,seed=N

``before_post`` kills the process right before an order POST leaves — after execution has
committed the intent, so the restarted bot must find it PENDING_SUBMIT and resolve it.
``after_timeout`` kills it right after an order POST timed out or lost its connection - with
the emulator's ``timeout_after_accept`` fault the exchange has accepted the order, so the
restarted bot must find it by client order id and never send it again. ``P`` is a probability
in 0..1.
"""

from __future__ import annotations

import os
import random
import signal
import sys

import httpx

_WHAT = "crash points"  # what a bad spec is reported as
_ORDER_PATH = "/api/v1/order"


class CrashPlan:
    """Which points kill the process, and how likely; a seeded, reproducible stream."""

    def __init__(self, spec: str) -> None:
        self.odds: dict[str, float] = {}
        seed = 0
        for item in (part.strip() for part in spec.split(",") if part.strip()):
            name, _, raw = item.partition(":") if ":" in item else item.partition("=")
            if name == "seed":
                seed = int(raw)
            elif name in ("before_post", "after_timeout"):
                self.odds[name] = float(raw)
            else:
                raise ValueError(f"{_WHAT}: unknown crash point {name!r}")
        # Seeded by the spec alone, so a failing run can be replayed exactly.
        self._random = random.Random(seed)

    def hit(self, point: str) -> bool:
        """True when ``point`` should kill the process this time."""
        odds = self.odds.get(point, 0.0)
        return odds > 0 and self._random.random() < odds


def _die(point: str) -> None:
    # One line first, so the test can tell which point fired; then SIGKILL: no handler, no
    # flush, no cleanup - exactly what a power cut leaves behind.
    sys.stderr.write(f'{{"event": "test_crash_point", "point": "{point}"}}\n')
    sys.stderr.flush()
    os.kill(os.getpid(), getattr(signal, "SIGKILL", signal.SIGTERM))


class CrashPointTransport(httpx.BaseTransport):
    """Forwards every request; kills the process at the planned points of an order POST."""

    def __init__(self, inner: httpx.BaseTransport, plan: CrashPlan) -> None:
        self._inner = inner
        self._plan = plan

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` (or die just before / just after a timed-out order POST)."""
        is_post = request.method == "POST" and request.url.path.endswith(_ORDER_PATH)
        if is_post and self._plan.hit("before_post"):
            _die("before_post")
        try:
            return self._inner.handle_request(request)
        except httpx.TransportError:
            # A timeout or a dropped connection: the emulator may well have accepted the order.
            if is_post and self._plan.hit("after_timeout"):
                _die("after_timeout")
            raise

    def close(self) -> None:
        """Close the wrapped transport."""
        self._inner.close()
