"""``btcbot sim serve`` option handling: bad input is one ConfigError; --state resumes."""

from __future__ import annotations

from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest
from sim_helpers import new_clock, wsgi_call

from btcbot.domain.errors import ConfigError
from btcbot.domain.network import is_loopback_host as is_loopback
from btcbot.sim.serve import ServeOptions, build_app, serve


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (ServeOptions(faults="boom:1"), "--faults"),
        (ServeOptions(api_secret="not base64!"), "--api-secret"),  # noqa: S106 -- a bad test value
        (ServeOptions(start_balance=Decimal(-1)), "--start-balance"),
        (ServeOptions(data=(Path("missing/BTCTRY.csv"),)), "--data"),
        (ServeOptions(api_key=" "), "--api-key"),
        (ServeOptions(api_secret=""), "--api-secret"),
        (ServeOptions(cancel_delay=-1.0), "--cancel-delay must be zero or more seconds"),
        (ServeOptions(stall_seconds=float("nan")), "--stall-seconds must be zero or more"),
    ],
)
def test_bad_options_raise_one_config_error(options: ServeOptions, fragment: str) -> None:
    """Each bad option is a ConfigError naming that option."""
    with pytest.raises(ConfigError, match=fragment):
        build_app(options)


def test_non_loopback_host_is_refused_before_binding() -> None:
    """A public --host is refused unless --allow-remote is given."""
    with pytest.raises(ConfigError, match="--allow-remote"):
        serve(ServeOptions(host="0.0.0.0"))  # noqa: S104 -- the point of the test
    assert is_loopback("127.0.0.2")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("10.0.0.1")


def test_state_file_lets_a_restarted_emulator_resume(tmp_path: Path) -> None:
    """An order placed before a restart is still open after building the app again."""
    clock = new_clock()
    options = ServeOptions(state=tmp_path / "sim.json", start_balance=Decimal(50_000))
    call = partial(wsgi_call, clock)
    first = build_app(options, now=clock.now)
    body = {"pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "limit",
            "price": str(first.sim.price("BTCTRY") // 2), "quantity": "0.001"}  # fmt: skip
    placed = call(first, "POST", "/api/v1/order", body=body, signed=True).json()["data"]["id"]
    second = build_app(options, now=clock.now)
    orders = call(second, "GET", "/api/v1/openOrders", signed=True).json()["data"]["bids"]
    assert [o["id"] for o in orders] == [placed]
    assert second.sim.account.total("TRY") == Decimal(50_000)


def test_csv_named_for_no_pair_is_a_config_error(tmp_path: Path) -> None:
    """A candle file whose name is not <BASE><QUOTE>.csv is refused naming --data."""
    path = tmp_path / "prices.csv"
    path.write_text("ts,open,high,low,close,volume\n1,10,11,9,10,1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="--data: cannot tell the quote currency"):
        build_app(ServeOptions(data=(path,)))


def test_unwritable_state_file_is_refused_at_start(tmp_path: Path) -> None:
    """A --state path that cannot be written is a ConfigError before the server listens."""
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="--state: cannot write"):
        serve(ServeOptions(state=blocker / "sim.json"))
