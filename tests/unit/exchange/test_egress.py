"""The egress guard: what it calls a request, what it calls loopback, and that it refuses first."""

from __future__ import annotations

import httpx
import pytest

from btcbot.domain.enums import RequestKind
from btcbot.domain.errors import TradeBlockedError
from btcbot.domain.network import is_loopback_host
from btcbot.exchange.egress import EgressGuard, deny_remote, request_kind


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("LOCALHOST", True),
        ("api.btcturk.com", False),
        ("127.0.0.1.example.com", False),
        ("localhost.example.com", False),
        ("Xlocalhost", False),
        ("10.0.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - the wildcard address is not loopback
        ("", False),
    ],
)
def test_only_loopback_hosts_count_as_loopback(host: str, loopback: bool) -> None:
    """127.0.0.0/8, ::1 and localhost are loopback; a name merely starting like one is not."""
    assert is_loopback_host(host) is loopback


@pytest.mark.parametrize(
    ("method", "path", "headers", "kind"),
    [
        ("GET", "/api/v2/ticker", {}, RequestKind.PUBLIC),
        ("GET", "/v1/klines/history", {}, RequestKind.PUBLIC),
        ("GET", "/api/v2/ticker", {"X-PCK": "k"}, RequestKind.PRIVATE_READ),
        ("GET", "/api/v2/ticker", {"X-Signature": "s"}, RequestKind.PRIVATE_READ),
        ("GET", "/API/V1/users/balances", {}, RequestKind.PRIVATE_READ),
        ("DELETE", "/api/v1/order", {}, RequestKind.ORDER_CANCEL),
        ("POST", "/api/v1/order", {}, RequestKind.ORDER_POST),
        ("PUT", "/anything", {}, RequestKind.ORDER_POST),
        ("PATCH", "/api/v2/ticker", {}, RequestKind.ORDER_POST),
    ],
)
def test_request_kind_is_read_from_what_the_request_carries(
    method: str, path: str, headers: dict[str, str], kind: RequestKind
) -> None:
    """Auth headers, the /api/v1 prefix and the method decide; anything unknown is an order."""
    request = httpx.Request(method, f"https://api.btcturk.com{path}", headers=headers)
    assert request_kind(request) is kind


class _Counting(httpx.BaseTransport):
    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(200, json={})


def test_a_blocked_request_never_reaches_the_inner_transport() -> None:
    """The default answer refuses a signed request to a remote host before any I/O."""
    inner = _Counting()
    guard = EgressGuard(inner, deny_remote)
    with pytest.raises(TradeBlockedError) as refused:
        guard.handle_request(httpx.Request("GET", "https://api.btcturk.com/api/v1/users/balances"))
    assert str(refused.value) == (
        "private read to api.btcturk.com blocked at the transport: "
        "this process is not armed for live trading"
    )
    with pytest.raises(TradeBlockedError, match="order post"):
        guard.handle_request(httpx.Request("POST", "https://api.btcturk.com/api/v1/order"))
    assert inner.seen == []


def test_public_data_and_loopback_pass_the_default_guard() -> None:
    """Public GETs go anywhere; anything at all goes to loopback (the emulator)."""
    inner = _Counting()
    guard = EgressGuard(inner, deny_remote)
    guard.handle_request(httpx.Request("GET", "https://api.btcturk.com/api/v2/ticker"))
    guard.handle_request(
        httpx.Request("POST", "http://127.0.0.1:8080/api/v1/order", headers={"X-PCK": "k"})
    )
    assert [r.method for r in inner.seen] == ["GET", "POST"]


def test_the_answer_is_asked_per_request() -> None:
    """The guard asks its answer at each request, so a disarm takes effect at once."""
    allowed = {"post": True}
    inner = _Counting()

    def blockers(kind: RequestKind) -> list[str]:
        return [] if allowed["post"] else [f"{kind.value} refused", "kill file present"]

    guard = EgressGuard(inner, blockers)
    guard.handle_request(httpx.Request("POST", "https://api.btcturk.com/api/v1/order"))
    allowed["post"] = False
    with pytest.raises(TradeBlockedError, match=r"order post refused; kill file present$"):
        guard.handle_request(httpx.Request("POST", "https://api.btcturk.com/api/v1/order"))
    assert len(inner.seen) == 1
