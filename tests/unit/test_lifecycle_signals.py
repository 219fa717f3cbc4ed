"""Graceful stop: signals set the StopToken; a second signal forces exit 130."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from btcbot.domain.enums import Role
from btcbot.domain.errors import RoleMismatchError
from btcbot.lifecycle import (
    RoleCheck,
    StopToken,
    require_role,
    stop_handling,
    stop_signals,
)


def test_token_starts_clear_and_records_the_first_reason() -> None:
    """A new token is not set; the first request wins and later ones report False."""
    token = StopToken()
    assert not token.is_set()
    assert token.reason is None
    assert token.request("SIGTERM") is True
    assert token.request("SIGINT") is False
    assert token.stop_requested
    assert token.reason == "SIGTERM"


def test_wait_returns_at_once_when_stop_is_requested_from_another_thread() -> None:
    """wait() wakes as soon as another thread requests a stop, returning True."""
    token = StopToken()
    threading.Timer(0.05, token.request, args=("test",)).start()
    assert token.wait(30) is True


def test_wait_times_out_false_without_a_request() -> None:
    """wait() returns False when nothing asked for a stop within the time."""
    assert StopToken().wait(0) is False


def test_windows_break_signal_is_included_when_the_platform_has_it() -> None:
    """SIGINT and SIGTERM always request a stop; SIGBREAK too where it exists."""
    sigs = stop_signals()
    assert signal.SIGINT in sigs
    assert signal.SIGTERM in sigs
    assert (getattr(signal, "SIGBREAK", None) in sigs) == hasattr(signal, "SIGBREAK")


def test_ctrl_break_is_a_stop_request_on_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where the platform has SIGBREAK (Windows: CTRL+BREAK), it requests a stop too."""
    monkeypatch.setattr(signal, "SIGBREAK", 21, raising=False)
    assert stop_signals() == (signal.SIGINT, signal.SIGTERM, 21)


def test_first_signal_requests_a_stop_and_second_forces_exit_130() -> None:
    """SIGTERM sets the token; a second signal calls the force-exit hook with 130."""
    exits: list[int] = []
    with stop_handling(force_exit=exits.append) as token:
        os.kill(os.getpid(), signal.SIGTERM)
        assert token.stop_requested
        assert token.reason == "SIGTERM"
        assert exits == []
        os.kill(os.getpid(), signal.SIGINT)
        assert exits == [130]


def test_previous_handlers_are_restored_after_the_block() -> None:
    """Leaving stop_handling restores whatever handler was installed before."""
    before = signal.getsignal(signal.SIGTERM)
    with stop_handling(force_exit=lambda _code: None):
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before


def test_wrong_role_is_refused_with_the_fix_in_the_message() -> None:
    """A LIVE-only command under APP_ROLE=monitor raises RoleMismatchError naming the role."""
    require_role(Role.LIVE, RoleCheck("arm", Role.LIVE))
    with pytest.raises(
        RoleMismatchError,
        match="'btcbot arm' needs APP_ROLE=live \\(got monitor\\): run it from the LIVE session",
    ):
        require_role(Role.MONITOR, RoleCheck("arm", Role.LIVE))
