"""HMAC verification (API.md section 2) and the fault spec grammar."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest

from btcbot.sim.auth import Credentials, sign
from btcbot.sim.faults import FaultInjector, FaultKind, FaultPlan

KEY = "public-key"
SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
NOW_MS = 1_790_133_600_027


def headers(stamp: int = NOW_MS, key: str = KEY, secret: str = SECRET) -> dict[str, str]:
    """Lower-case auth headers as the app passes them."""
    return {"x-pck": key, "x-stamp": str(stamp), "x-signature": sign(key, secret, stamp)}


def test_signature_matches_an_independent_computation() -> None:
    """X-Signature is base64(HMAC-SHA256(b64decode(secret), key + stamp))."""
    raw = hmac.new(base64.b64decode(SECRET), f"{KEY}{NOW_MS}".encode(), hashlib.sha256)
    assert sign(KEY, SECRET, NOW_MS) == base64.b64encode(raw.digest()).decode()
    assert len(sign(KEY, SECRET, NOW_MS)) == 44


def test_valid_headers_pass_at_the_edges_of_the_window() -> None:
    """Stamps up to 5000 ms either side of server time are accepted."""
    creds = Credentials(KEY, SECRET)
    for offset in (-5000, 0, 5000):
        assert creds.check(headers(NOW_MS + offset), server_ms=NOW_MS) is None


@pytest.mark.parametrize(
    ("sent", "message"),
    [
        ({"x-pck": KEY, "x-stamp": str(NOW_MS)}, "Unauthorized - Headers are missing"),
        (headers(key="other"), "Unauthorized - Invalid Public key"),
        (headers(NOW_MS - 5001), "Unauthorized - Invalid Nonce"),
        (headers(NOW_MS + 5001), "Unauthorized - Invalid Nonce"),
        ({**headers(), "x-stamp": "12.5"}, "Unauthorized - Invalid Nonce"),
        (headers(secret=base64.b64encode(b"wrong").decode()), "Unauthorized - Invalid Signature"),
        ({**headers(), "x-stamp": str(NOW_MS + 1)}, "Unauthorized - Invalid Signature"),
    ],
)
def test_bad_headers_get_btcturks_messages(sent: dict[str, str], message: str) -> None:
    """Each kind of auth failure is named with BtcTurk's message."""
    assert Credentials(KEY, SECRET).check(sent, server_ms=NOW_MS) == message


def test_secret_must_be_base64() -> None:
    """A secret that is not base64 is refused when the credentials are built."""
    with pytest.raises(ValueError, match="base64"):
        Credentials(KEY, "not base64!!")


def test_fault_spec_parses_rules_and_settings() -> None:
    """Kinds, probabilities, #N triggers, path prefixes and settings all parse."""
    plan = FaultPlan.parse(
        "429:0.1, 5xx:#2+3@/api/v1/order, timeout_after_accept:1, seed=7, skew=-7.5, "
        "retry_after=3, slow=0.5"
    )
    assert [r.kind for r in plan.rules] == [
        FaultKind.RATE_LIMIT,
        FaultKind.SERVER_ERROR,
        FaultKind.TIMEOUT_AFTER_ACCEPT,
    ]
    assert plan.rules[1].nth == frozenset({2, 3})
    assert plan.rules[1].path_prefix == "/api/v1/order"
    assert (plan.seed, plan.skew_seconds, plan.retry_after, plan.slow_seconds) == (7, -7.5, 3, 0.5)
    assert FaultPlan.parse("") == FaultPlan()


@pytest.mark.parametrize(
    ("spec", "fragment"),
    [
        ("boom:0.1", "unknown fault"),
        ("429", "KIND:TRIGGER"),
        ("429:1.5", "within 0..1"),
        ("429:#x", "whole numbers"),
        ("speed=3", "unknown setting"),
        ("skew=abc", "needs a number"),
    ],
)
def test_bad_fault_specs_name_the_problem(spec: str, fragment: str) -> None:
    """A malformed spec raises ValueError saying what is wrong."""
    with pytest.raises(ValueError, match=fragment):
        FaultPlan.parse(spec)


def test_nth_trigger_strikes_exactly_that_request() -> None:
    """``timeout:#2`` strikes only the second eligible request."""
    injector = FaultInjector(FaultPlan.parse("timeout:#2@/api/v2/ticker"))
    hits = [injector.decide("GET", p) for p in ("/api/v2/ticker", "/api/v1/x", "/api/v2/ticker")]
    assert hits == [None, None, FaultKind.TIMEOUT]
    assert injector.decide("GET", "/api/v2/ticker") is None


def test_after_accept_faults_only_touch_order_requests() -> None:
    """``*_after_accept`` kinds never strike anything but POST/DELETE /api/v1/order."""
    injector = FaultInjector(FaultPlan.parse("timeout_after_accept:1"))
    assert injector.decide("GET", "/api/v1/order") is None
    assert injector.decide("GET", "/api/v2/ticker") is None
    assert injector.decide("POST", "/api/v1/order") is FaultKind.TIMEOUT_AFTER_ACCEPT
    assert injector.decide("DELETE", "/api/v1/order") is FaultKind.TIMEOUT_AFTER_ACCEPT


def test_probabilities_are_seeded_and_repeatable() -> None:
    """The same spec gives the same fault sequence; another seed a different one."""

    def run(spec: str) -> list[FaultKind | None]:
        injector = FaultInjector(FaultPlan.parse(spec))
        return [injector.decide("GET", "/api/v2/ticker") for _ in range(200)]

    first = run("5xx:0.3,seed=1")
    assert first == run("5xx:0.3,seed=1")
    assert first != run("5xx:0.3,seed=2")
    assert 30 < first.count(FaultKind.SERVER_ERROR) < 90
