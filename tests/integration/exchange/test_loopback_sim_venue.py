"""Sim mode over a loopback ``btcbot sim serve``: whose key signs, and where requests land."""

from __future__ import annotations

from pathlib import Path

import pytest
from live_environ import dry_run_environ
from sim_venue import open_venue

from btcbot.domain.enums import RequestKind, TradingMode
from btcbot.domain.errors import AuthenticationError
from btcbot.settings import load_settings
from btcbot.sim.auth import DEFAULT_API_SECRET
from btcbot.wiring.venues import open_venue as open_trading_venue


def _unarmed(_kind: RequestKind) -> list[str]:
    return ["LIVE_TRADING is false"]


def _environ(root: Path, url: str) -> dict[str, str]:
    return dry_run_environ(root, EXCHANGE="sim", BTCTURK_BASE_URL=url)


def test_without_keys_the_emulators_published_key_signs(tmp_path: Path) -> None:
    """No BTCTURK_API_KEY: the account is read with the emulator's test key, on loopback."""
    with open_venue("socket") as served:
        venue = open_trading_venue(
            load_settings(_environ(tmp_path, served.url)), wall=served.clock, egress=_unarmed
        )
        try:
            balances = {b.asset: b.total for b in venue.client.balances()}
        finally:
            venue.close()
    assert venue.mode is TradingMode.SIM
    assert balances["TRY"] == served.sim.account.total("TRY")
    assert served.tally.requests["GET /api/v1/users/balances"] == 1


def test_with_keys_the_configured_key_signs_and_is_not_swapped_for_the_emulators(
    tmp_path: Path,
) -> None:
    """The operator's key is what signs: one the emulator does not know is refused by it."""
    environ = _environ(tmp_path, "") | {
        "BTCTURK_API_KEY": "not-the-emulators-key",
        "BTCTURK_API_SECRET": DEFAULT_API_SECRET,
    }
    with open_venue("socket") as served:
        environ["BTCTURK_BASE_URL"] = served.url
        venue = open_trading_venue(load_settings(environ), wall=served.clock, egress=_unarmed)
        try:
            with pytest.raises(AuthenticationError):
                venue.client.balances()
        finally:
            venue.close()
    assert served.tally.requests["GET /api/v1/users/balances"] == 1
