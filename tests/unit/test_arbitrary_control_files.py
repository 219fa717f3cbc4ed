"""Arbitrary bytes in the kill file, the status file and the sim state: never a traceback."""

from __future__ import annotations

from pathlib import Path
from tempfile import TemporaryDirectory

from hypothesis import given, settings
from hypothesis import strategies as st

from btcbot.adapters.control_dir import KillFileProbe, kill_path
from btcbot.domain.enums import ExchangeKind, Role
from btcbot.domain.errors import ConfigError
from btcbot.observability.status_file import StatusFileError, read_status
from btcbot.risk.policies import BlockReason, TradingArmedPolicy, TradingFacts
from btcbot.settings import load_settings
from btcbot.wiring.venues import check_venue

CONTENT = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=200).map(lambda t: t.encode("utf-16")),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.sampled_from([b"{}", b"[]", b"null", b'{"reason": 1, "at": []}', b'{"format": 1}']),
)


@settings(max_examples=150, deadline=None)
@given(CONTENT)
def test_any_kill_file_is_present_and_blocks_every_new_order(content: bytes) -> None:
    """Whatever the kill file holds, it counts as present and the policy refuses a submit."""
    with TemporaryDirectory() as tmp:
        control = Path(tmp)
        kill_path(control).write_bytes(content)
        reason = KillFileProbe(control)()
        assert reason is not None
        facts = TradingFacts(
            role=Role.LIVE,
            live_trading=False,
            ack=False,
            safe_mode=False,
            kill_switch=False,
            armed=False,
            kill_file_present=reason is not None,
            exchange=ExchangeKind.SIM,
        )
        assert BlockReason.KILL_FILE in TradingArmedPolicy().submit_blockers(facts)


@settings(max_examples=150, deadline=None)
@given(CONTENT)
def test_any_status_file_reads_or_is_one_status_file_error(content: bytes) -> None:
    """The MONITOR's reader either parses it or raises StatusFileError, nothing else."""
    with TemporaryDirectory() as tmp:
        path = Path(tmp) / "live_status.json"
        path.write_bytes(content)
        problem = ""
        try:
            read_status(path)
        except StatusFileError as exc:
            problem = str(exc)
        assert "\n" not in problem


@settings(max_examples=60, deadline=None)
@given(CONTENT)
def test_any_sim_state_file_is_refused_in_one_line(content: bytes) -> None:
    """A sim state file of arbitrary bytes: one ConfigError naming it, the file untouched."""
    with TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings_ = load_settings(
            {
                "APP_ROLE": "live",
                "STATE_DB_PATH": str(root / "state.db"),
                "CONTROL_DIR": str(root),
                "LIVE_TRADING": "false",
                "SAFE_MODE": "false",
                "KILL_SWITCH": "false",
            }
        )
        state = root / "state.db.sim.json"
        state.write_bytes(content)
        problem = str(state)
        try:
            check_venue(settings_)
        except ConfigError as exc:
            problem = str(exc)
        assert str(state) in problem
        assert "\n" not in problem
        assert state.read_bytes() == content
