"""One HTTP exchange with BtcTurk: rate limit, send, classify, and retry GETs only.

Transport failures are translated here, once, into the domain error tree:

* a GET that fails with a retryable error (5xx, timeout, reset, 429) is retried by tenacity --
  bounded attempts, jittered exponential backoff, at least ``Retry-After`` after a 429;
* an order POST/DELETE is sent exactly once. If its outcome is unknown -- a timeout or reset
  after the request may have left, a 5xx, ``INTERNAL_ERROR`` or an unreadable 2xx body -- the
  caller gets ``AmbiguousOrderError`` and must reconcile by client order id. A connect failure is
  not ambiguous: no byte of the request reached the server, so it is ``ExchangeUnavailableError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from btcbot.domain.errors import (
    AmbiguousOrderError,
    ExchangeError,
    ExchangeUnavailableError,
    MalformedResponseError,
    RateLimitedError,
)
from btcbot.exchange.errors import Outcome, classify, is_retryable
from btcbot.exchange.rate_limit import RateLimiter
from btcbot.exchange.wire import decode_json

# Exceptions that prove the request never left this machine.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How GETs are retried: ``attempts`` in total, backoff capped at ``max_backoff`` seconds.

    A 429 whose ``Retry-After`` exceeds ``max_retry_after`` is not waited out here; the caller
    gets ``RateLimitedError`` and decides (a trading cycle should rather skip than stall).
    """

    attempts: int = 3
    initial_backoff: float = 0.25
    max_backoff: float = 4.0
    max_retry_after: float = 30.0


@dataclass(frozen=True, slots=True)
class Call:
    """One request: ``endpoint`` is the name used in errors and logs (``GET /api/v2/ticker``)."""

    method: str
    url: str
    endpoint: str
    limit_key: str | None
    params: Mapping[str, str | int | list[str]] | None = None
    json_body: Mapping[str, Any] | None = None
    signed: bool = False
    client_order_id: str | None = None  # set on order mutations: they are never retried

    @property
    def is_order_mutation(self) -> bool:
        """True for POST/DELETE /api/v1/order."""
        return self.method in {"POST", "DELETE"}


class Session:
    """Sends ``Call``s over an ``httpx.Client``; auth headers come from ``sign``."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        limiter: RateLimiter,
        policy: RetryPolicy,
        sleep: Callable[[float], None],
        sign: Callable[[], dict[str, str]],
    ) -> None:
        self._http = http
        self._limiter = limiter
        self._policy = policy
        self._sleep = sleep
        self._sign = sign

    def send(self, call: Call) -> Any:
        """The decoded JSON body of a successful call, or a typed ``ExchangeError``."""
        if call.is_order_mutation:
            return self._send_mutation(call)
        retrying = Retrying(
            stop=stop_after_attempt(max(self._policy.attempts, 1)),
            wait=self._wait,
            retry=retry_if_exception(self._should_retry),
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(self._send_once, call)

    def _should_retry(self, exc: BaseException) -> bool:
        if isinstance(exc, RateLimitedError):
            return exc.retry_after <= self._policy.max_retry_after
        return isinstance(exc, ExchangeError) and is_retryable(exc)

    def _wait(self, state: RetryCallState) -> float:
        backoff = wait_random_exponential(
            multiplier=self._policy.initial_backoff, max=self._policy.max_backoff
        )(state)
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, RateLimitedError):
            return max(exc.retry_after, backoff)
        return backoff

    def _send_mutation(self, call: Call) -> Any:
        # Preparing may itself fail (the first signed call syncs the clock); nothing was sent yet.
        headers = self._prepare(call)
        try:
            return self._transmit(call, headers)
        except (ExchangeUnavailableError, MalformedResponseError) as exc:
            if isinstance(exc, ExchangeUnavailableError) and isinstance(exc.__cause__, _NOT_SENT):
                raise
            raise AmbiguousOrderError(
                f"outcome unknown ({exc}); reconcile by client order id before any resend",
                endpoint=call.endpoint,
                client_order_id=call.client_order_id,
            ) from exc

    def _send_once(self, call: Call) -> Any:
        return self._transmit(call, self._prepare(call))

    def _prepare(self, call: Call) -> dict[str, str]:
        """Wait for the rate limiter, then sign (so the stamp is fresh when the request leaves)."""
        if call.limit_key is not None:
            self._limiter.acquire(call.limit_key)
        headers = {"Accept": "application/json"}
        if call.signed:
            headers.update(self._sign())
        if call.json_body is not None or call.signed:
            headers["Content-Type"] = "application/json"
        return headers

    def _transmit(self, call: Call, headers: dict[str, str]) -> Any:
        try:
            response = self._http.request(
                call.method, call.url, params=call.params, json=call.json_body, headers=headers
            )
        except httpx.TimeoutException as exc:
            raise ExchangeUnavailableError(
                f"timed out ({type(exc).__name__})", endpoint=call.endpoint
            ) from exc
        except httpx.HTTPError as exc:
            raise ExchangeUnavailableError(
                f"transport failure ({type(exc).__name__})", endpoint=call.endpoint
            ) from exc
        return self._interpret(response, call.endpoint)

    @staticmethod
    def _interpret(response: httpx.Response, endpoint: str) -> Any:
        text = response.text
        body: Any = None
        decode_error: MalformedResponseError | None = None
        if text.strip():
            try:
                body = decode_json(text, endpoint)
            except MalformedResponseError as exc:
                decode_error = exc
        outcome = Outcome(response.status_code, body, response.headers.get("Retry-After"))
        error = classify(outcome, endpoint)
        if error is not None:
            raise error
        if decode_error is not None:
            raise decode_error
        if body is None:
            raise MalformedResponseError(
                f"HTTP {response.status_code} with an empty body", endpoint=endpoint
            )
        return body
