"""Injected emulator faults reach the client as their typed errors, and no POST is ever resent."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sim_venue import KINDS, Venue, open_venue

from btcbot.domain.enums import Side
from btcbot.domain.errors import (
    AmbiguousOrderError,
    ExchangeError,
    ExchangeUnavailableError,
    MalformedResponseError,
    RateLimitedError,
)
from btcbot.domain.models import OrderRequest
from btcbot.domain.quantize import quantize_limit
from btcbot.exchange.session import RetryPolicy

BALANCES = "/api/v1/users/balances"
ORDER = "/api/v1/order"


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    """Every test here runs once in process and once over a real socket."""
    return str(request.param)


def _limit_buy(venue: Venue, cid: str) -> OrderRequest:
    rules = venue.client.exchange_info().rules_for("BTCTRY")
    assert rules is not None
    bid = venue.client.ticker("BTCTRY").bid
    return quantize_limit(rules, Side.BUY, bid * Decimal("0.9"), Decimal(150) / bid).to_request(cid)


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("429", RateLimitedError),
        ("5xx", ExchangeUnavailableError),
        ("502html", ExchangeUnavailableError),
        ("timeout", ExchangeUnavailableError),
        ("reset", ExchangeUnavailableError),
        ("malformed", MalformedResponseError),
    ],
)
def test_each_fault_on_a_get_is_classified(
    kind: str, fault: str, error: type[ExchangeError]
) -> None:
    """With retries off, each fault on GET balances surfaces as exactly its error class."""
    with open_venue(kind, faults=f"{fault}:#2@{BALANCES}") as venue:
        assert venue.client.balances()  # first request: no fault (and the clock sync)
        with pytest.raises(ExchangeError) as exc:
            venue.client.balances()
        assert type(exc.value) is error
        assert exc.value.endpoint == f"GET {BALANCES}"


@pytest.mark.parametrize("fault", ["429", "5xx", "502html", "timeout", "reset", "slow"])
def test_gets_recover_from_transient_faults_by_retrying(kind: str, fault: str) -> None:
    """A GET struck once by a transient fault succeeds on its retry."""
    policy = RetryPolicy(attempts=3)
    with open_venue(kind, faults=f"{fault}:#1@{BALANCES}", retry_policy=policy) as venue:
        assert venue.client.balances()
        assert venue.tally.requests[f"GET {BALANCES}"] == (1 if fault == "slow" else 2)


@pytest.mark.parametrize("fault", ["timeout_after_accept", "5xx_after_accept"])
def test_a_post_accepted_then_lost_is_ambiguous_and_found_by_client_id(
    kind: str, fault: str
) -> None:
    """The order was placed but the answer lost: AmbiguousOrderError, then found in open orders."""
    policy = RetryPolicy(attempts=5)
    with open_venue(kind, faults=f"{fault}:#1", retry_policy=policy) as venue:
        request = _limit_buy(venue, "ambiguous-1")
        with pytest.raises(AmbiguousOrderError) as exc:
            venue.client.submit_order(request)
        assert exc.value.client_order_id == "ambiguous-1"
        found = [
            o for o in venue.client.open_orders("BTCTRY") if o.client_order_id == "ambiguous-1"
        ]
        assert len(found) == 1
        assert found[0].quantity == request.quantity
        assert venue.tally.posts_by_client_id["ambiguous-1"] == 1


@pytest.mark.parametrize("fault", ["timeout", "reset", "5xx", "502html", "malformed"])
def test_a_post_lost_before_or_after_the_venue_is_never_resent(kind: str, fault: str) -> None:
    """Whether or not the emulator executed it, a faulted POST is ambiguous and reached it once."""
    with open_venue(
        kind, faults=f"{fault}:#1@{ORDER}", retry_policy=RetryPolicy(attempts=5)
    ) as venue:
        request = _limit_buy(venue, f"lost-{fault}")
        with pytest.raises(AmbiguousOrderError):
            venue.client.submit_order(request)
        assert venue.tally.posts_by_client_id[f"lost-{fault}"] == 1
        placed = [o.client_order_id for o in venue.client.open_orders()]
        assert placed == ([f"lost-{fault}"] if fault == "malformed" else [])


def test_a_cancel_lost_after_acceptance_is_ambiguous_and_took_effect(kind: str) -> None:
    """DELETE answered by a timeout after acceptance: ambiguous, and the order ends Canceled."""
    with open_venue(kind, faults="timeout_after_accept:#2") as venue:
        ack = venue.client.submit_order(_limit_buy(venue, "cancel-me"))
        with pytest.raises(AmbiguousOrderError):
            venue.client.cancel_order(ack.order_id)
        assert venue.client.open_orders() == []
        assert venue.tally.requests[f"DELETE {ORDER}"] == 1


def test_no_post_is_ever_sent_twice_under_a_storm_of_faults() -> None:
    """Forty submits under random faults and generous GET retries: each POST reached it once."""
    spec = (
        "timeout:0.15,reset:0.1,5xx:0.1,502html:0.05,malformed:0.05,429:0.05,"
        "timeout_after_accept:0.15,seed=11"
    )
    with open_venue(
        "in_process", faults=spec, retry_policy=RetryPolicy(attempts=6), rate_limits=False
    ) as venue:
        outcomes: dict[str, str] = {}
        for n in range(40):
            cid = f"storm-{n}"
            try:
                request = _limit_buy(venue, cid)
            except ExchangeError:
                continue  # the GETs that build the order ran out of retries: nothing was sent
            try:
                venue.client.submit_order(request)
                outcomes[cid] = "accepted"
            except AmbiguousOrderError:
                outcomes[cid] = "ambiguous"
            except ExchangeError as exc:
                outcomes[cid] = type(exc).__name__
        assert outcomes
        assert "ambiguous" in outcomes.values()
        assert all(count == 1 for count in venue.tally.posts_by_client_id.values())
        assert set(venue.tally.posts_by_client_id) == set(outcomes)
