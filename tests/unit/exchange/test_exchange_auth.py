"""HMAC auth headers exactly as API.md §2, the clock offset, and secrets kept out of sight."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import timedelta

import httpx
import pytest
from exchange_fakes import API_KEY, API_SECRET, START, build_client, envelope, new_fake

from btcbot.adapters.clock import ManualClock
from btcbot.domain.errors import AuthenticationError, ConfigError, ExchangeRejectError
from btcbot.exchange.auth import Signer


def _expected_signature(stamp: str) -> str:
    key = base64.b64decode(API_SECRET)
    digest = hmac.new(key, f"{API_KEY}{stamp}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def test_signer_matches_an_independent_hmac() -> None:
    """X-Signature is base64(HMAC-SHA256(b64decode(secret), key + stamp)), 44 characters."""
    headers = Signer(API_KEY, API_SECRET).headers(1790133600027)
    assert headers["X-PCK"] == API_KEY
    assert headers["X-Stamp"] == "1790133600027"
    assert headers["X-Signature"] == _expected_signature("1790133600027")
    assert len(headers["X-Signature"]) == 44


# "c2VjcmV0!": valid base64 with one stray character pasted after it. A lenient decoder drops
# the "!" and signs with a key the operator never gave: every private call would then fail 401.
@pytest.mark.parametrize("secret", ["not base64!!", "abc", "", "  ", "c2VjcmV0!", "c2Vj cmV0"])
def test_a_non_base64_secret_is_a_config_error_naming_the_variable(secret: str) -> None:
    """A secret that is not base64 fails with a one-line ConfigError naming BTCTURK_API_SECRET."""
    with pytest.raises(ConfigError) as exc:
        Signer(API_KEY, secret)
    assert "BTCTURK_API_SECRET" in str(exc.value)
    assert exc.value.__cause__ is None
    if secret.strip():
        assert secret not in str(exc.value)


def test_half_configured_credentials_are_refused() -> None:
    """A key without a secret is a configuration error, not a client that fails later."""
    with pytest.raises(ConfigError):
        build_client(new_fake(), api_secret=None)


def test_secrets_never_appear_in_repr() -> None:
    """Neither the signer nor the client shows the key or the secret in its repr."""
    client = build_client(new_fake())
    signer = Signer(API_KEY, API_SECRET)
    for text in (repr(signer), str(signer), repr(client)):
        assert API_SECRET not in text
        assert API_KEY not in text


def test_private_calls_are_signed_with_the_server_clock_offset() -> None:
    """A client whose clock is 30 s behind stamps requests with the server's time after syncing."""
    fake = new_fake()
    fake.json("GET", "/api/v1/users/balances", envelope([]))
    behind = ManualClock(START - timedelta(seconds=30))
    client = build_client(fake, clock=behind)
    client.balances()
    (sent,) = fake.sent("GET", "/api/v1/users/balances")
    stamp = sent.headers["X-Stamp"]
    assert abs(int(stamp) - int(START.timestamp() * 1000)) <= 1
    assert sent.headers["X-PCK"] == API_KEY
    assert sent.headers["X-Signature"] == _expected_signature(stamp)
    assert client.clock_offset == timedelta(seconds=30)


def test_public_calls_carry_no_auth_headers() -> None:
    """Public endpoints are sent without X-PCK, X-Stamp or X-Signature."""
    fake = new_fake()
    fake.json("GET", "/api/v2/ticker", envelope([]))
    with pytest.raises(ExchangeRejectError):  # data [] is an unknown pair; the request matters
        build_client(fake).ticker("BTCTRY")
    (sent,) = fake.sent("GET", "/api/v2/ticker")
    assert not {"x-pck", "x-stamp", "x-signature", "content-type"} & set(sent.headers.keys())
    assert sent.headers["Accept"] == "application/json"


def test_a_signed_get_sends_exactly_the_documented_headers() -> None:
    """API.md section 9: private calls send X-PCK, X-Stamp, X-Signature and a JSON content type."""
    fake = new_fake()
    fake.json("GET", "/api/v1/users/balances", envelope([]))
    build_client(fake).balances()
    (sent,) = fake.sent("GET", "/api/v1/users/balances")
    assert sent.headers["Content-Type"] == "application/json"
    assert {"x-pck", "x-stamp", "x-signature"} <= set(sent.headers.keys())
    assert sent.content == b""


def test_auth_failure_messages_never_contain_the_secret() -> None:
    """A 401 surfaces as AuthenticationError whose message holds neither key nor secret."""
    fake = new_fake()
    fake.route("GET", "/api/v1/users/balances", lambda _r: httpx.Response(401))
    with pytest.raises(AuthenticationError) as exc:
        build_client(fake).balances()
    assert API_SECRET not in str(exc.value)
    assert API_KEY not in str(exc.value)
    assert exc.value.endpoint == "GET /api/v1/users/balances"


def test_the_clock_offset_is_measured_again_after_ten_minutes() -> None:
    """Signed calls re-sync the clock once the last measurement is over ten minutes old.

    ``RESYNC_INTERVAL`` is the age a measurement may reach: at exactly ten minutes it is used.
    """
    fake = new_fake()
    fake.json("GET", "/api/v1/users/balances", envelope([]))
    client = build_client(fake)
    client.balances()
    client.balances()
    assert len(fake.sent("GET", "/api/v2/server/time")) == 1
    fake.clock.advance(600)
    client.balances()
    assert len(fake.sent("GET", "/api/v2/server/time")) == 1
    fake.clock.advance(0.001)
    client.balances()
    assert len(fake.sent("GET", "/api/v2/server/time")) == 2


def test_the_offset_is_taken_at_the_midpoint_of_the_round_trip() -> None:
    """The server answers 1 s into a 2 s round trip with a time 8 s ahead: the offset is 8 s."""
    fake = new_fake()

    def server_time(_r: httpx.Request) -> httpx.Response:
        fake.clock.advance(1)
        answer = fake.server_time()  # the fake's clock, read mid-way
        fake.clock.advance(1)
        ms = answer.json()["serverTime"] + 8000
        return httpx.Response(200, json={"serverTime": ms})

    fake.route("GET", "/api/v2/server/time", server_time)
    reading = build_client(fake).measure_clock()
    assert reading.offset == timedelta(seconds=8)
    assert reading.round_trip == timedelta(seconds=2)
    assert reading.measured_at == START + timedelta(seconds=2)


def test_a_trailing_slash_in_a_configured_url_changes_no_path() -> None:
    """``BTCTURK_BASE_URL=https://host/`` must not make ``//api/...`` paths."""
    fake = new_fake()
    fake.json("GET", "/api/v1/users/balances", envelope([]))
    fake.json("GET", "/v1/klines/history", {"s": "no_data"})
    client = build_client(
        fake, base_url="https://api.btcturk.test/", graph_url="https://graph.btcturk.test/"
    )
    client.balances()
    client.klines("BTCTRY", 1, START - timedelta(hours=1), START)
    assert [r.url.path for r in fake.requests] == [
        "/api/v2/server/time",
        "/api/v1/users/balances",
        "/v1/klines/history",
    ]
