"""The inspect verdict: what the operator reads to know whether the bot will trade."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from pathlib import Path

import pytest

from btcbot.adapters.control_dir import KillRecord, write_kill
from btcbot.domain.enums import ExchangeKind, Role
from btcbot.domain.records import ArmingState
from btcbot.observability.status_file import LiveStatus, status_path, write_status
from btcbot.risk.policies import TradingFacts
from btcbot.services.inspect import build_view
from btcbot.services.inspect_trading import plain

NOW = datetime(2026, 5, 1, tzinfo=UTC)
LIVE = TradingFacts(
    role=Role.LIVE,
    live_trading=True,
    ack=True,
    safe_mode=False,
    kill_switch=False,
    armed=True,
    kill_file_present=False,
    exchange=ExchangeKind.BTCTURK,
)
ARMED = ArmingState(armed=True, reason="r", changed_by="op", changed_at=NOW)


def test_fully_armed_live_says_armed(tmp_path: Path) -> None:
    """Every flag right and armed: the verdict says orders go to BtcTurk."""
    view = build_view(facts=LIVE, control_dir=tmp_path, arming=ARMED)
    assert view.verdict == "ARMED: live orders will be sent to BtcTurk"
    assert view.as_dict()["armed_in_db"] is True


def test_dry_run_says_emulator_only(tmp_path: Path) -> None:
    """A dry run on the emulator is named as such, not as armed."""
    facts = dataclasses.replace(
        LIVE, live_trading=False, ack=False, armed=False, exchange=ExchangeKind.SIM
    )
    view = build_view(facts=facts, control_dir=tmp_path, arming=None)
    assert view.verdict == "DRY RUN (sim mode): orders go to the emulator only"


def test_paper_mode_says_where_its_data_and_orders_come_from(tmp_path: Path) -> None:
    """EXCHANGE=btcturk with LIVE_TRADING=false is paper mode, and inspect says so."""
    facts = dataclasses.replace(LIVE, live_trading=False, ack=False, armed=False)
    view = build_view(facts=facts, control_dir=tmp_path, arming=None)
    assert view.verdict.startswith("DRY RUN (paper mode)")


def test_kill_file_and_unarmed_are_both_listed(tmp_path: Path) -> None:
    """Every blocker is listed in the verdict, in the policy's order."""
    write_kill(tmp_path, KillRecord(reason="drill", by="op", at=NOW, pid=1, hostname="h"))
    facts = dataclasses.replace(LIVE, armed=False, kill_file_present=True)
    view = build_view(facts=facts, control_dir=tmp_path, arming=None)
    assert view.verdict.startswith("NOT TRADING: a kill file is present")
    assert "not armed" in view.verdict
    assert view.as_dict()["kill_file"] == {"reason": "drill", "by": "op", "at": NOW.isoformat()}


def test_monitor_view_reads_only_the_status_file(tmp_path: Path) -> None:
    """The MONITOR's verdict comes from the status file; with none, LIVE's state is unknown."""
    facts = dataclasses.replace(LIVE, role=Role.MONITOR)
    assert build_view(facts=facts, control_dir=tmp_path, arming=None).verdict == (
        "LIVE state unknown"
    )
    write_status(
        status_path(tmp_path),
        LiveStatus(
            pid=1,
            hostname="h",
            instance_id="i",
            started_at=NOW,
            written_at=NOW,
            state="running",
            mode="live",
            cycle_seconds=60,
            armed=False,
            kill_switch=False,
        ),
    )
    view = build_view(facts=facts, control_dir=tmp_path, arming=None)
    assert view.verdict == "LIVE reports NOT ARMED (from the status file)"
    assert view.blockers == ()


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        ("0E-16", "0"),
        ("99996.8173293700000000", "99996.81732937"),
        ("0.0031826706300", "0.00318267"),
        ("-1.38273920", "-1.3827392"),
        ("1E+3", "1000"),
        (None, ""),
        ("BTCTRY", "BTCTRY"),
    ],
)
def test_inspect_shows_plain_decimals(stored: str | None, shown: str) -> None:
    """Text inspect never prints exponents or 16-digit tails; --json keeps the exact strings."""
    assert plain(stored) == shown
