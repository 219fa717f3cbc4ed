"""A real third-party client, ccxt's ``btcturk`` class, against ``btcbot sim serve`` on loopback.

Where ccxt and BtcTurk's documentation disagree (API.md section 9) the emulator follows BtcTurk;
the comments below point out each place ccxt's behaviour is the odd one out.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import ccxt
import pytest

from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET
from btcbot.sim.serve import READY_PREFIX


def _start(*extra: str) -> tuple[subprocess.Popen[str], str]:
    """Run ``btcbot sim serve`` on a free loopback port; return it and its announced URL."""
    command = [sys.executable, "-m", "btcbot", "sim", "serve", "--port", "0", *extra]
    if sys.platform == "win32":
        # Its own process group, so CTRL+BREAK reaches only the emulator.
        flags = subprocess.CREATE_NEW_PROCESS_GROUP
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, creationflags=flags)
    else:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith(READY_PREFIX), line
    return proc, line[len(READY_PREFIX) :].strip()


def _stop(proc: subprocess.Popen[str]) -> None:
    # The server must stop cleanly with exit code 0: SIGTERM here, CTRL+BREAK on Windows.
    if sys.platform == "win32":
        proc.send_signal(signal.CTRL_BREAK_EVENT)
    else:
        proc.terminate()
    code = proc.wait(timeout=10)
    if proc.stdout is not None:
        proc.stdout.close()
    assert code == 0


def _client(url: str, **config: Any) -> Any:
    """A ccxt client pointed at the emulator through its documented ``urls.api`` override."""
    api = {"public": f"{url}/api/v2", "private": f"{url}/api/v1", "graph": f"{url}/graph/v1"}
    exchange = ccxt.btcturk(
        {"apiKey": DEFAULT_API_KEY, "secret": DEFAULT_API_SECRET, "urls": {"api": api}, **config}
    )
    exchange.session.trust_env = False  # no proxy from the environment may carry a request away
    # ccxt must never reach the internet: every base URL it will use is the loopback emulator.
    for base in exchange.urls["api"].values():
        assert urlparse(base).hostname == "127.0.0.1", base
    return exchange


@pytest.fixture(scope="module")
def exchange() -> Iterator[Any]:
    """One ccxt client and one emulator process for the whole module."""
    proc, url = _start()
    try:
        yield _client(url)
    finally:
        _stop(proc)


def test_ccxt_loads_markets_with_btcturk_rules(exchange: Any) -> None:
    """Markets load from exchangeinfo: BTC/TRY with 8 amount decimals and 99.91 TRY min cost."""
    markets = exchange.load_markets()
    btc = markets["BTC/TRY"]
    assert {"BTC/TRY", "ETH/TRY"} <= set(markets)
    assert btc["id"] == "BTCTRY"
    assert btc["precision"]["amount"] == pytest.approx(1e-8)
    assert btc["limits"]["cost"]["min"] == pytest.approx(99.91)


def test_ccxt_fetches_ticker_and_order_book(exchange: Any) -> None:
    """The ticker and order book parse from the emulator's numbers and string levels."""
    ticker = exchange.fetch_ticker("BTC/TRY")
    book = exchange.fetch_order_book("BTC/TRY")
    assert ticker["bid"] < ticker["last"] < ticker["ask"]
    # The two calls happen at different instants of a moving (real-time) market.
    assert book["bids"][0][0] == pytest.approx(ticker["bid"], rel=1e-3)
    assert book["asks"][0][0] == pytest.approx(ticker["ask"], rel=1e-3)
    assert book["bids"][0][0] < book["asks"][0][0]
    assert len(book["bids"]) == 100


def test_ccxt_fetches_balance_and_open_orders(exchange: Any) -> None:
    """Balance maps balance/free/locked and open orders read both asks and bids."""
    balance = exchange.fetch_balance()
    assert balance["TRY"]["total"] == balance["TRY"]["free"] + balance["TRY"]["used"]
    assert balance["TRY"]["total"] > 0
    assert isinstance(exchange.fetch_open_orders("BTC/TRY"), list)


def test_ccxt_creates_and_cancels_a_limit_order(exchange: Any) -> None:
    """A resting limit buy appears in open orders, and after cancel shows up canceled."""
    price = int(exchange.fetch_ticker("BTC/TRY")["bid"] * 0.9) // 10 * 10
    # ccxt sends ``newClientOrderId`` where BtcTurk documents ``newOrderClientId``; the
    # emulator, like BtcTurk presumably, ignores ccxt's field and assigns a GUID instead.
    order = exchange.create_order("BTC/TRY", "limit", "buy", 0.001, price)
    assert int(order["id"]) > 2**31
    open_ids = [o["id"] for o in exchange.fetch_open_orders("BTC/TRY")]
    assert order["id"] in open_ids
    exchange.cancel_order(order["id"], "BTC/TRY")  # DELETE ?id=, answered 200 at once
    # BtcTurk cancels asynchronously: the order is gone from open orders on a later request.
    assert order["id"] not in [o["id"] for o in exchange.fetch_open_orders("BTC/TRY")]
    history = {o["id"]: o["status"] for o in exchange.fetch_orders("BTC/TRY")}
    assert history[order["id"]] == "canceled"


def test_ccxt_sees_insufficient_funds_by_btcturk_message(exchange: Any) -> None:
    """An order beyond the balance (1122) becomes ccxt's InsufficientFunds by its message."""
    price = int(exchange.fetch_ticker("BTC/TRY")["bid"] * 0.9) // 10 * 10
    with pytest.raises(ccxt.InsufficientFunds):
        exchange.create_order("BTC/TRY", "limit", "buy", 100, price)


def test_ccxt_wrong_secret_is_refused() -> None:
    """A bad signature is a 401 with a JSON body; ccxt matches the body first, so ExchangeError.

    (Only a body-less 401 would become ccxt's AuthenticationError; API.md section 5.)
    """
    proc, url = _start()
    try:
        client = _client(url, secret="d3Jvbmcgc2VjcmV0IGZvciB0ZXN0aW5n")  # noqa: S106 -- a wrong test key
        with pytest.raises(ccxt.ExchangeError):
            client.fetch_balance()
    finally:
        _stop(proc)


def test_ccxt_gets_network_errors_from_injected_resets_and_timeouts() -> None:
    """The real server turns X-Sim-Fault into a dropped connection and a stall past the timeout."""
    faults = "reset:#1@/api/v2/ticker,timeout:#2@/api/v2/ticker"
    proc, url = _start("--faults", faults, "--stall-seconds", "10")
    try:
        client = _client(url, timeout=1000)
        with pytest.raises(ccxt.NetworkError):
            client.fetch_ticker("BTC/TRY")
        with pytest.raises(ccxt.RequestTimeout):
            client.fetch_ticker("BTC/TRY")
        assert client.fetch_ticker("BTC/TRY")["last"] > 0  # the third call is served normally
    finally:
        _stop(proc)


def test_ccxt_candles_need_since_as_on_btcturk(exchange: Any) -> None:
    """With ``since`` candles load; without it ccxt sends a negative ``from``, refused with 400.

    ccxt and BtcTurk disagree here (API.md section 9): a real request with ccxt's negative
    ``from`` got HTTP 400, and the emulator deliberately answers the same way.
    """
    hour_ago = exchange.milliseconds() - 3_600_000
    candles = exchange.fetch_ohlcv("BTC/TRY", "1m", since=hour_ago)
    assert len(candles) >= 59
    assert all(c[2] >= c[3] for c in candles)  # high >= low
    with pytest.raises(ccxt.BaseError, match="400"):
        exchange.fetch_ohlcv("BTC/TRY", "1h")
