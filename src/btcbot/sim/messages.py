"""The small request/response types the emulator's routes speak, independent of WSGI."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Request:
    """One parsed HTTP request; header names lower-case, query values as lists."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes = b""
    path_params: dict[str, str] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        """First value of query parameter ``name`` (names match case-insensitively)."""
        for key, values in self.query.items():
            if key.lower() == name.lower() and values:
                return values[0]
        return None

    def args(self, name: str) -> list[str]:
        """Every value of a repeatable query parameter (``type=buy&type=sell``)."""
        return [v for k, vs in self.query.items() if k.lower() == name.lower() for v in vs]


@dataclass(slots=True)
class Response:
    """Status, body bytes and headers; build JSON ones with :func:`json_response`."""

    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)


def json_response(
    status: int, payload: Any, *, headers: list[tuple[str, str]] | None = None
) -> Response:
    """Serialise ``payload`` compactly as UTF-8 JSON (non-ASCII kept, like BtcTurk's)."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return Response(
        status,
        body,
        [("Content-Type", "application/json; charset=utf-8"), *(headers or [])],
    )
