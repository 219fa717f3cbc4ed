"""Every combination of the trading facts, through the real wiring, judged where requests land.

The process is built exactly as ``btcbot run`` builds it (``load_settings`` -> ``build_live`` ->
``LiveApp.venue``) with API credentials always present (the worst case), then made to read
balances, submit, cancel and read open orders. What counts is what reaches httpx's *network*
transport — the last stop before a socket — recorded by replacing its ``handle_request`` with a
recorder that answers server time and fails every other request as a refused
connection. A signed or order request may reach
a host outside loopback only in the one armed-live combination; an order POST not even there
while a kill file is present.
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from btcbot.adapters.clock import ManualClock
from btcbot.adapters.control_dir import KillRecord, write_kill
from btcbot.domain.enums import OrderMethod, RequestKind, Side
from btcbot.domain.errors import BtcbotError, ConfigError
from btcbot.domain.models import OrderRequest
from btcbot.domain.network import is_loopback_host
from btcbot.exchange.egress import request_kind
from btcbot.settings import load_settings
from btcbot.wiring import build_live

KEY = "combination-test-key"
SECRET = "Y29tYmluYXRpb24tdGVzdC1zZWNyZXQtMTIzNDU2Nzg="  # noqa: S105 - a test key
URLS = {"unset": None, "loopback": "http://127.0.0.1:9", "remote": "https://api.btcturk.com"}
ORDER = OrderRequest(
    symbol="BTCTRY",
    side=Side.BUY,
    method=OrderMethod.LIMIT,
    quantity=Decimal("0.001"),
    price=Decimal(1_000_000),
    client_order_id="bb-1-0-BTCTRY-b",
)
COMBINATIONS = list(
    itertools.product(
        ("sim", "btcturk"),  # EXCHANGE
        (False, True),  # LIVE_TRADING
        (False, True),  # LIVE_TRADING_ACK given
        (False, True),  # armed in the database
        (False, True),  # SAFE_MODE
        (False, True),  # KILL_SWITCH
        (False, True),  # kill file present
        tuple(URLS),  # BTCTURK_BASE_URL
    )
)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> list[httpx.Request]:
    """Every request that reached the network transport; none of them is really sent."""
    reached: list[httpx.Request] = []

    def record(_self: httpx.HTTPTransport, request: httpx.Request) -> httpx.Response:
        reached.append(request)
        if request.url.path == "/api/v2/server/time":
            # Answered, so a signed call gets past its clock sync and really tries to leave.
            now = datetime(2026, 1, 5, 9, tzinfo=UTC)
            return httpx.Response(200, json={"serverTime": int(now.timestamp() * 1000)})
        raise httpx.ConnectError("recorded, not sent", request=request)

    monkeypatch.setattr(httpx.HTTPTransport, "handle_request", record)
    return reached


def _environ(root: Path, combination: tuple[str, bool, bool, bool, bool, str]) -> dict[str, str]:
    exchange, live, ack, safe, kill, url = combination
    env = {
        "APP_ROLE": "live",
        "STATE_DB_PATH": str(root / "live" / "state.db"),
        "CONTROL_DIR": str(root / "control"),
        "EXCHANGE": exchange,
        "LIVE_TRADING": str(live).lower(),
        "SAFE_MODE": str(safe).lower(),
        "KILL_SWITCH": str(kill).lower(),
        "BTCTURK_API_KEY": KEY,
        "BTCTURK_API_SECRET": SECRET,
    }
    if ack:
        env["LIVE_TRADING_ACK"] = "I_UNDERSTAND"
    if URLS[url] is not None:
        env["BTCTURK_BASE_URL"] = str(URLS[url])
    return env


def _drive(root: Path, env: dict[str, str], armed: bool) -> bool:
    """Run the client's private calls the way a cycle would; False if settings refuse to start."""
    try:
        settings = load_settings(env)
    except ConfigError:
        return False
    app = build_live(settings, clock=ManualClock(datetime(2026, 1, 5, 9, tzinfo=UTC)))
    (root / "live").mkdir(parents=True, exist_ok=True)
    try:
        venue = app.venue(armed=armed)
    except ConfigError:
        return False
    calls = (
        venue.client.server_time,
        venue.client.balances,
        lambda: venue.client.submit_order(ORDER),
        lambda: venue.client.cancel_order(123),
        venue.client.open_orders,
    )
    try:
        for call in calls:
            # Blocked, refused or unreachable: what matters is where the requests went.
            with contextlib.suppress(BtcbotError):
                call()
    finally:
        venue.close()
    return True


def _remote(reached: list[httpx.Request], *kinds: RequestKind) -> list[httpx.Request]:
    return [r for r in reached if not is_loopback_host(r.url.host) and request_kind(r) in kinds]


@pytest.mark.parametrize(
    ("exchange", "live", "ack", "armed", "safe", "kill_switch", "kill_file", "url"), COMBINATIONS
)
def test_signed_and_order_requests_leave_only_when_armed_live(  # noqa: PLR0917 - one per fact
    tmp_path: Path,
    network: list[httpx.Request],
    exchange: str,
    live: bool,
    ack: bool,
    armed: bool,
    safe: bool,
    kill_switch: bool,
    kill_file: bool,
    url: str,
) -> None:
    """Only EXCHANGE=btcturk + LIVE_TRADING + ack + armed (+ no safe mode, no kill switch)."""
    (tmp_path / "control").mkdir()
    if kill_file:
        write_kill(
            tmp_path / "control",
            KillRecord("test", "tester", datetime.now(UTC), pid=1, hostname="h"),
        )
    env = _environ(tmp_path, (exchange, live, ack, safe, kill_switch, url))
    started = _drive(tmp_path, env, armed)
    armed_live = exchange == "btcturk" and live and ack and armed and not safe and not kill_switch
    private = _remote(network, RequestKind.PRIVATE_READ, RequestKind.ORDER_CANCEL)
    posts = _remote(network, RequestKind.ORDER_POST)
    if armed_live and started and url != "loopback":
        # The positive control: the guard lets the armed process reach BtcTurk at all.
        assert private, "armed live never reached BtcTurk: the test could not fail"
        assert bool(posts) is not kill_file
    else:
        assert private == [], [f"{r.method} {r.url}" for r in private]
        assert posts == [], [f"{r.method} {r.url}" for r in posts]
