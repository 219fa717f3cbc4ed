"""``BtcturkClient``: every BtcTurk REST endpoint btcbot uses, returning domain objects.

Sync httpx; the transport is injectable (``httpx.MockTransport`` in unit tests, the emulator's
``EmulatorTransport`` in process, nothing for the real network). Requests our own validation
refuses raise before any I/O (``btcbot.exchange.requests``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from btcbot.adapters.clock import Clock
from btcbot.domain.account import Transfer
from btcbot.domain.errors import ConfigError, ExchangeRejectError, MalformedResponseError
from btcbot.domain.models import (
    Balance,
    Candle,
    ExchangeInfo,
    Fill,
    Order,
    OrderAck,
    OrderBook,
    OrderRequest,
    PublicTrade,
    Ticker,
)
from btcbot.exchange import mappers, order_mappers
from btcbot.exchange import requests as rq
from btcbot.exchange.auth import Signer
from btcbot.exchange.clock import ClockReading
from btcbot.exchange.egress import EgressBlockers, EgressGuard, deny_remote
from btcbot.exchange.rate_limit import BTCTURK_LIMITS, RateLimiter
from btcbot.exchange.session import Call, RetryPolicy, Session

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ORDER = "/api/v1/order"
# Clocks drift; BtcTurk allows +-5 s. Re-measuring every 10 min costs one unlimited GET.
RESYNC_INTERVAL = timedelta(minutes=10)


class BtcturkClient:
    """The BtcTurk REST client; see docs/EXCHANGE.md for its error and retry policy.

    ``base_url`` is the REST host (``https://api.btcturk.com``), ``graph_url`` the candle host
    (``https://graph-api.btcturk.com``); the client appends ``/api/v2``, ``/api/v1`` and ``/v1``.
    Signed calls measure the server clock offset first, and again every ``RESYNC_INTERVAL``,
    unless ``auto_sync_clock`` is false. ``egress`` says which non-public requests may go to a
    host outside loopback (``btcbot.exchange.egress``); by default none may.
    """

    def __init__(
        self,
        *,
        base_url: str,
        graph_url: str,
        api_key: str | None,
        api_secret: str | None,
        clock: Clock,
        transport: httpx.BaseTransport | None = None,
        timeout: float = 10.0,
        retry_policy: RetryPolicy | None = None,
        rate_limiter: RateLimiter | None = None,
        auto_sync_clock: bool = True,
        egress: EgressBlockers | None = None,
    ) -> None:
        self._base = base_url.rstrip("/")
        self._graph = graph_url.rstrip("/")
        self._clock = clock
        if (api_key is None) != (api_secret is None):
            raise ConfigError("set both BTCTURK_API_KEY and BTCTURK_API_SECRET, or neither")
        self._signer = (
            Signer(api_key, api_secret) if api_key is not None and api_secret is not None else None
        )
        self._offset: timedelta | None = None if auto_sync_clock else timedelta(0)
        self._auto_sync = auto_sync_clock
        self._synced_at: datetime | None = None
        # Every request passes the egress guard (btcbot.exchange.egress); without an ``egress``
        # answer only public market data may reach a remote host. trust_env=False: an
        # environment proxy would be mounted beside the guarded transport and bypass it.
        guarded = EgressGuard(transport or httpx.HTTPTransport(), egress or deny_remote)
        self._http = httpx.Client(transport=guarded, timeout=timeout, trust_env=False)
        limiter = rate_limiter or RateLimiter(
            BTCTURK_LIMITS, now=lambda: clock.now().timestamp(), sleep=clock.sleep
        )
        self._session = Session(
            self._http,
            limiter=limiter,
            policy=retry_policy or RetryPolicy(),
            sleep=clock.sleep,
            sign=self._auth_headers,
        )

    def __repr__(self) -> str:
        return f"BtcturkClient(base_url={self._base!r}, signed={self._signer is not None})"

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    # ------------------------------------------------------------------ clock and auth
    def server_time(self) -> datetime:
        """``GET /api/v2/server/time`` (bare body, no envelope)."""
        call = self._public("/api/v2/server/time", None)
        return mappers.to_server_time(self._session.send(call), call.endpoint)

    def sync_clock(self) -> timedelta:
        """Measure server minus local time and apply it to X-Stamp; the offset."""
        return self.measure_clock().offset

    def measure_clock(self) -> ClockReading:
        """Measure server minus local time (midpoint of the round trip), apply it to X-Stamp.

        The LIVE cycle's ``ExchangeClock`` takes its readings from here, so the candle clock
        and the signature stamps always share one measurement.
        """
        before = self._clock.now()
        server = self.server_time()
        after = self._clock.now()
        self._offset = server - (before + (after - before) / 2)
        self._synced_at = after
        return ClockReading(offset=self._offset, round_trip=after - before, measured_at=after)

    @property
    def clock_offset(self) -> timedelta | None:
        """The offset applied to X-Stamp, ``None`` until measured."""
        return self._offset

    def _auth_headers(self) -> dict[str, str]:
        if self._signer is None:
            raise ConfigError("BTCTURK_API_KEY and BTCTURK_API_SECRET are required for this call")
        if self._auto_sync and (
            self._synced_at is None or self._clock.now() - self._synced_at > RESYNC_INTERVAL
        ):
            self.sync_clock()
        offset = self._offset or timedelta(0)
        stamp_ms = (self._clock.now() + offset - _EPOCH) // timedelta(milliseconds=1)
        return self._signer.headers(stamp_ms)

    # ------------------------------------------------------------------ public market data
    def exchange_info(self) -> ExchangeInfo:
        """Every pair's rules from ``/api/v2/server/exchangeinfo``."""
        call = self._public("/api/v2/server/exchangeinfo", None)
        data = _data(self._session.send(call), call.endpoint)
        return mappers.to_exchange_info(data, call.endpoint, self._clock.now())

    def ticker(self, symbol: str) -> Ticker:
        """The ticker of ``symbol``; an unlisted pair (BtcTurk answers ``data: []``) is a reject."""
        pair = rq.pair(symbol)
        call = self._public("/api/v2/ticker", "ticker", {"pairSymbol": pair})
        tickers = mappers.to_tickers(_data(self._session.send(call), call.endpoint), call.endpoint)
        for ticker in tickers:
            if ticker.symbol == pair:
                return ticker
        raise ExchangeRejectError(
            f"no ticker for {pair}", endpoint=call.endpoint, code=None, name="UNKNOWN_PAIR"
        )

    def tickers(self) -> list[Ticker]:
        """Every pair's ticker in one request (``/api/v2/ticker`` without ``pairSymbol``).

        An item that does not parse is left out (its pair then has no ticker and observes
        only); an answer that is not an array of them is still malformed as a whole.
        """
        call = self._public("/api/v2/ticker", "ticker")
        data = _data(self._session.send(call), call.endpoint)
        return mappers.to_tickers(data, call.endpoint, drop_malformed=True)

    def order_book(self, symbol: str, limit: int = 100) -> OrderBook:
        """Up to ``limit`` levels a side (BtcTurk caps at 100)."""
        pair = rq.pair(symbol)
        params = {"pairSymbol": pair, "limit": rq.bounded(limit, "limit", 1, 100)}
        call = self._public("/api/v2/orderbook", "orderbook", params)
        data = _data(self._session.send(call), call.endpoint)
        return mappers.to_order_book(data, pair, call.endpoint)

    def trades(self, symbol: str, last: int = 50) -> list[PublicTrade]:
        """The last ``last`` public trades (BtcTurk documents a max of 50)."""
        params = {"pairSymbol": rq.pair(symbol), "last": rq.bounded(last, "last", 1, 50)}
        call = self._public("/api/v2/trades", "trades", params)
        return mappers.to_public_trades(
            _data(self._session.send(call), call.endpoint), call.endpoint
        )

    def klines(
        self, symbol: str, resolution_minutes: int, start: datetime, end: datetime
    ) -> list[Candle]:
        """Candles from the graph API's ``/v1/klines/history`` (``from``/``to`` in seconds)."""
        params = rq.kline_params(symbol, resolution_minutes, start, end)
        url = f"{self._graph}/v1/klines/history"
        call = Call("GET", url, "GET /v1/klines/history", "graph", params)
        return mappers.to_candles(self._session.send(call), call.endpoint)

    # ------------------------------------------------------------------ private reads
    def balances(self) -> list[Balance]:
        """Every asset of the account."""
        call = self._private("GET", "/api/v1/users/balances", "balances")
        return mappers.to_balances(_data(self._session.send(call), call.endpoint), call.endpoint)

    def open_orders(self, symbol: str | None = None) -> list[Order]:
        """Open (Untouched/Partial) orders, buys then sells; all pairs when ``symbol`` is None.

        Filtered to ``symbol`` here too, as own trades are: reconciliation's per-symbol pass
        concatenates these lists, so an order of another pair must not come back in one.
        """
        pair = None if symbol is None else rq.pair(symbol)
        params = None if pair is None else {"pairSymbol": pair}
        call = self._private("GET", "/api/v1/openOrders", "orders_list", params)
        data = _data(self._session.send(call), call.endpoint)
        orders = order_mappers.to_open_orders(data, call.endpoint)
        return orders if pair is None else [o for o in orders if o.symbol == pair]

    def all_orders(
        self,
        symbol: str,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 100,
    ) -> list[Order]:
        """Orders of ``symbol`` in any status; ``startTime``/``endTime`` sent in ms (see docs)."""
        params = rq.all_orders_params(symbol, start, end, limit)
        call = self._private("GET", "/api/v1/allOrders", "orders_list", params)
        return order_mappers.to_orders(
            _data(self._session.send(call), call.endpoint), call.endpoint
        )

    def get_order(self, order_id: int) -> Order:
        """One order by id; an unknown id raises ``OrderNotFoundError``."""
        oid = rq.order_id(order_id)
        url = f"{self._base}{_ORDER}/{oid}"
        call = Call("GET", url, f"GET {_ORDER}/{{orderId}}", "order_get", signed=True)
        return order_mappers.to_order(_data(self._session.send(call), call.endpoint), call.endpoint)

    def own_trades(
        self,
        symbol: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        order_id: int | None = None,
    ) -> list[Fill]:
        """Our fills; filtered to ``symbol`` here too, since the server's filters are loose."""
        params = rq.own_trades_params(start, end, order_id)
        call = self._private("GET", "/api/v1/users/transactions/trade", "user_trades", params)
        fills = order_mappers.to_fills(
            _data(self._session.send(call), call.endpoint), call.endpoint
        )
        if symbol is not None:
            pair = rq.pair(symbol)
            fills = [f for f in fills if f.symbol == pair]
        return fills

    def transfers(self, start: datetime, end: datetime) -> list[Transfer]:
        """Deposits and withdrawals, crypto then fiat, between ``start`` and ``end``."""
        params = rq.own_trades_params(start, end, None)
        out: list[Transfer] = []
        for kind in ("crypto", "fiat"):
            path = f"/api/v1/users/transactions/{kind}"
            call = self._private("GET", path, "transfers", params)
            data = _data(self._session.send(call), call.endpoint)
            rows = mappers.to_transfers(data, kind, call.endpoint)
            # The window is filtered here too (the server's filters are loose, as for trades).
            out.extend(t for t in rows if start <= t.at <= end)
        return out

    # ------------------------------------------------------------------ order mutations
    def submit_order(self, request: OrderRequest) -> OrderAck:
        """``POST /api/v1/order``, sent exactly once; an unknown outcome is AmbiguousOrderError."""
        body = rq.order_body(request)  # validates before any I/O
        call = Call(
            "POST",
            self._base + _ORDER,
            f"POST {_ORDER}",
            "order_post",
            json_body=body,
            signed=True,
            client_order_id=request.client_order_id,
        )
        data = _data(self._session.send(call), call.endpoint)
        return order_mappers.to_order_ack(data, call.endpoint, self._clock.now())

    def cancel_order(self, order_id: int) -> None:
        """``DELETE /api/v1/order?id=``; BtcTurk cancels asynchronously after this 200."""
        oid = rq.order_id(order_id)
        call = Call(
            "DELETE",
            self._base + _ORDER,
            f"DELETE {_ORDER}",
            "order_delete",
            params={"id": str(oid)},
            signed=True,
        )
        self._session.send(call)

    # ------------------------------------------------------------------ helpers
    def _public(self, path: str, key: str | None, params: dict[str, Any] | None = None) -> Call:
        return Call("GET", self._base + path, f"GET {path}", key, params)

    def _private(
        self, method: str, path: str, key: str, params: dict[str, Any] | None = None
    ) -> Call:
        return Call(method, self._base + path, f"{method} {path}", key, params, signed=True)


def _data(body: Any, endpoint: str) -> Any:
    """The envelope's ``data`` (success was already checked by the error table)."""
    if not isinstance(body, dict):
        raise MalformedResponseError("body is not a JSON object envelope", endpoint=endpoint)
    return body.get("data")
