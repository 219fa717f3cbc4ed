"""The emulator's WSGI app: routing, rate limits, HMAC check, faults, state saving.

Bases: public ``/api/v2``, private ``/api/v1`` (HMAC), graph ``/graph/v1`` (BtcTurk serves the
graph API on its own host as ``/v1``; here it shares the port under a prefix). Paths match
case-insensitively (``/api/v2/orderBook`` works). Unknown path: 404 with an empty body; known
path, wrong method: 405 with an empty body.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from btcbot.sim import routes_admin, routes_graph, routes_private, routes_public
from btcbot.sim.auth import Credentials
from btcbot.sim.exchange import SimExchange
from btcbot.sim.faults import FaultInjector, FaultKind, FaultPlan
from btcbot.sim.messages import Request, Response, json_response
from btcbot.sim.ratelimit import RateLimiter
from btcbot.sim.validation import SimRejectError
from btcbot.sim.wire import error

Handler = Callable[["SimApp", Request], Response]
StartResponse = Callable[..., Any]

ROUTES: dict[tuple[str, str], Handler] = {
    ("GET", "/api/v2/server/time"): routes_public.server_time,
    ("GET", "/api/v2/server/ping"): routes_public.ping,
    ("GET", "/api/v2/server/exchangeinfo"): routes_public.exchange_info,
    ("GET", "/api/v2/ticker"): routes_public.ticker,
    ("GET", "/api/v2/ticker/currency"): routes_public.ticker_currency,
    ("GET", "/api/v2/orderbook"): routes_public.orderbook,
    ("GET", "/api/v2/trades"): routes_public.trades,
    ("GET", "/api/v2/ohlc"): routes_public.ohlc,
    ("GET", "/api/v1/users/balances"): routes_private.balances,
    ("POST", "/api/v1/order"): routes_private.submit,
    ("DELETE", "/api/v1/order"): routes_private.cancel,
    ("GET", "/api/v1/order/{id}"): routes_private.single_order,
    ("GET", "/api/v1/openOrders"): routes_private.open_orders,
    ("GET", "/api/v1/allOrders"): routes_private.all_orders,
    ("GET", "/api/v1/users/transactions/trade"): routes_private.own_trades,
    ("GET", "/api/v1/users/transactions/crypto"): routes_private.crypto_transactions,
    ("GET", "/api/v1/users/transactions/fiat"): routes_private.fiat_transactions,
    ("GET", "/graph/v1/klines/history"): routes_graph.klines_history,
    ("GET", "/graph/v1/ohlcs"): routes_graph.ohlcs,
    ("POST", "/sim/v1/deposit"): routes_admin.deposit,
    ("POST", "/sim/v1/withdraw"): routes_admin.withdraw,
}

_HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


def _match(path: str) -> tuple[str, dict[str, str]] | None:
    """The route template of ``path`` and its path parameters (case-insensitive)."""
    parts = path.rstrip("/").lower().split("/")
    for _method, template in ROUTES:
        tparts = template.lower().split("/")
        if len(tparts) != len(parts):
            continue
        params = {}
        for t, p in zip(tparts, parts, strict=True):
            if t.startswith("{"):
                params[t.strip("{}")] = p
            elif t != p:
                break
        else:
            return template, params
    return None


class SimApp:
    """A WSGI callable over one :class:`SimExchange`.

    ``faults`` may be replaced between requests (tests switch plans); ``state_path`` makes every
    request that changed the exchange save it atomically; ``sleep`` is what "slow" faults call.
    """

    def __init__(
        self,
        sim: SimExchange,
        *,
        faults: FaultPlan | None = None,
        credentials: Credentials | None = None,
        rate_limits: bool = True,
        state_path: Path | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.sim = sim
        self.credentials = credentials or Credentials()
        self.limiter = RateLimiter() if rate_limits else None
        self.state_path = state_path
        self._sleep = sleep
        self.faults = faults or FaultPlan()

    @property
    def faults(self) -> FaultPlan:
        """The fault plan in force."""
        return self._injector.plan

    @faults.setter
    def faults(self, plan: FaultPlan) -> None:
        self._injector = FaultInjector(plan)
        self.sim.skew_seconds = plan.skew_seconds

    def server_ms(self) -> int:
        """Server time in ms, including the plan's clock skew."""
        return self.sim.ms()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """Serve one WSGI request."""
        req = _request(environ)
        delay = 0.0
        with self.sim.lock:
            fault = self._injector.decide(req.method, req.path)
            response = self._before(fault)
            if response is None:
                response = self._handle(req)
                response = self._after(fault, response)
            if fault is FaultKind.SLOW:
                delay = self.faults.slow_seconds
            if self.state_path is not None and self.sim.dirty:
                self.sim.save(self.state_path)
        if delay:
            self._sleep(delay)
        status = f"{response.status} {HTTPStatus(response.status).phrase}"
        headers = [*response.headers, ("Content-Length", str(len(response.body)))]
        start_response(status, headers)
        return [response.body]

    def _before(self, fault: FaultKind | None) -> Response | None:
        """Faults that strike instead of the request (it has no effect)."""
        if fault is FaultKind.RATE_LIMIT:
            return self._too_many(self.faults.retry_after, "120", "1m", "ip")
        if fault is FaultKind.SERVER_ERROR:
            status = (500, 503)[self._injector.pick(2)]
            return json_response(
                status, error("INTERNAL_ERROR", "INTERNAL_ERROR", status=status, full=False)
            )
        if fault is FaultKind.HTML_502:
            return Response(502, _HTML_502, [("Content-Type", "text/html")])
        if fault in (FaultKind.TIMEOUT, FaultKind.RESET):
            return Response(
                504, b"", [("X-Sim-Fault", "timeout" if fault is FaultKind.TIMEOUT else "reset")]
            )
        return None

    def _after(self, fault: FaultKind | None, response: Response) -> Response:
        """Faults that strike after the request took effect."""
        if fault is FaultKind.MALFORMED:
            return Response(200, response.body[: len(response.body) // 2], response.headers)
        if fault is FaultKind.TIMEOUT_AFTER_ACCEPT:
            return Response(504, b"", [("X-Sim-Fault", "timeout")])
        if fault is FaultKind.SERVER_ERROR_AFTER_ACCEPT:
            return json_response(
                500, error("INTERNAL_ERROR", "INTERNAL_ERROR", status=500, full=False)
            )
        return response

    @staticmethod
    def _too_many(retry_after: int, limit: str, period: str, policy: str) -> Response:
        body = {
            "message": "TOO_MANY_REQUESTS",
            "success": False,
            "code": 429,
            "details": f"Quota exceeded. Maximum allowed: {limit} per {period}.",
            "limit": limit,
            "period": period,
            "policy": policy,
        }
        return json_response(429, body, headers=[("Retry-After", str(retry_after))])

    def _handle(self, req: Request) -> Response:
        found = _resolve(req)
        if isinstance(found, Response):
            return found
        handler, template, params = found
        refused = self._gate(req, template)
        if refused is not None:
            return refused
        self.sim.advance()
        req = Request(req.method, req.path, req.query, req.headers, req.body, params)
        try:
            return handler(self, req)
        except SimRejectError as exc:
            body = error(exc.message, exc.code, status=exc.status, full=exc.full)
            return json_response(exc.status, body)
        except Exception:  # noqa: BLE001 -- an emulator bug must still answer like BtcTurk would
            traceback.print_exc(file=sys.stderr)
            body = error("INTERNAL_ERROR", "INTERNAL_ERROR", status=500, full=False)
            return json_response(500, body)

    def _gate(self, req: Request, template: str) -> Response | None:
        """Quota first (BtcTurk counts refused calls too), then the HMAC of private calls."""
        if self.limiter is not None:
            refusal = self.limiter.hit(req.method, template, self.sim.epoch())
            if refusal is not None:
                q = refusal.quota
                return self._too_many(refusal.retry_after, str(q.limit), q.period_text, q.policy)
        if template.startswith(("/api/v1/", "/sim/v1/")):
            problem = self.credentials.check(req.headers, server_ms=self.server_ms())
            if problem is not None:
                return json_response(401, error(problem, 1037, status=401, full=False))
        return None


def _resolve(req: Request) -> tuple[Handler, str, dict[str, str]] | Response:
    """The handler of ``req``, or the empty 404 / 405 BtcTurk answers."""
    matched = _match(req.path)
    if matched is None:
        return Response(404)
    template, params = matched
    handler = ROUTES.get((req.method, template))
    if handler is None:
        allowed = sorted(m for m, t in ROUTES if t == template)
        return Response(405, b"", [("Allow", ", ".join(allowed))])
    return handler, template, params


def _request(environ: dict[str, Any]) -> Request:
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    return Request(
        method=str(environ.get("REQUEST_METHOD", "GET")).upper(),
        path=str(environ.get("PATH_INFO", "/")),
        query=parse_qs(str(environ.get("QUERY_STRING", "")), keep_blank_values=True),
        headers=headers,
        body=body,
    )


def create_app(sim: SimExchange, faults: FaultPlan | None = None, **options: Any) -> SimApp:
    """The WSGI app over ``sim`` (see :class:`SimApp` for ``options``)."""
    return SimApp(sim, faults=faults, **options)
