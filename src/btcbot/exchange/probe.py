"""The health probe's one request, ``GET /api/v2/server/time``, on the standard library alone.

``btcbot health`` runs every minute or few, forever, and asks the exchange one public question.
Building the full client for it (httpx, httpcore, tenacity, the wire models) cost more start-up
than the rest of the check together (docs/PERFORMANCE.md), so the probe speaks HTTP itself:
no credentials exist here, no retry (the probe answers within the health deadline or is an
outage), no environment proxy (like the client's ``trust_env=False``), certificate checks on.
The answer is read as the client reads it: a bare ``{"serverTime": <ms>}`` (API.md 3.1), the
number as a JSON number or a numeric string.
"""

from __future__ import annotations

import http.client
import json
import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from btcbot.domain.errors import ExchangeUnavailableError, MalformedResponseError

ENDPOINT = "GET /api/v2/server/time"
_PATH = "/api/v2/server/time"
_MAX_BODY = 64 * 1024  # the answer is a few dozen bytes; anything larger is not it


def server_time(base_url: str, timeout: float) -> datetime:
    """The exchange's clock from ``base_url`` (``BTCTURK_BASE_URL``), within ``timeout`` seconds.

    Raises:
        ExchangeUnavailableError: no connection, a timeout, or a status other than 200.
        MalformedResponseError: a 200 whose body is not ``{"serverTime": <ms>}``.
    """
    parts = urlsplit(base_url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ExchangeUnavailableError(
            f"cannot probe {base_url!r}: not an http(s) URL", endpoint=ENDPOINT
        )
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = connection_type(parts.hostname, parts.port, timeout=timeout)
    try:
        conn.request("GET", parts.path.rstrip("/") + _PATH, headers={"Accept": "application/json"})
        response = conn.getresponse()
        body = response.read(_MAX_BODY)
    except (OSError, http.client.HTTPException) as exc:
        raise ExchangeUnavailableError(
            f"transport failure ({type(exc).__name__})", endpoint=ENDPOINT
        ) from exc
    finally:
        conn.close()
    if response.status != 200:  # noqa: PLR2004 - HTTP OK
        raise ExchangeUnavailableError(f"HTTP {response.status}", endpoint=ENDPOINT)
    return _parse(body)


def _parse(body: bytes) -> datetime:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedResponseError("body is not JSON", endpoint=ENDPOINT) from exc
    return server_time_of(data, ENDPOINT)


def server_time_of(data: Any, endpoint: str) -> datetime:
    """The instant in a decoded server/time body; the client's mapper reads it here too.

    Raises:
        MalformedResponseError: ``serverTime`` is missing, not a number, or not a time.
    """
    raw = data.get("serverTime") if isinstance(data, dict) else None
    ms: float | None = None
    if isinstance(raw, int | float | str) and not isinstance(raw, bool):
        try:
            ms = float(raw)
        except ValueError:
            ms = None
    if ms is None or not math.isfinite(ms):
        raise MalformedResponseError("serverTime is missing or not a number", endpoint=endpoint)
    try:
        return datetime.fromtimestamp(ms / 1000, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise MalformedResponseError(f"serverTime {ms} is not a time", endpoint=endpoint) from exc
