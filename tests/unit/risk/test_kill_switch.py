"""How the kill switch setting and the kill file combine."""

from __future__ import annotations

from btcbot.risk.kill_switch import KillState, current_kill_state, kill_state


def test_neither_source_means_not_engaged() -> None:
    """No setting and no kill file: trading is not killed."""
    assert kill_state(kill_switch_setting=False, kill_file_reason=None) == KillState(False, None)


def test_setting_alone_engages() -> None:
    """KILL_SWITCH=true alone engages the kill switch and says so."""
    assert kill_state(kill_switch_setting=True, kill_file_reason=None) == KillState(
        True, "KILL_SWITCH=true"
    )


def test_kill_file_reason_wins() -> None:
    """The kill file's reason is reported, even when the setting is also on."""
    state = kill_state(kill_switch_setting=True, kill_file_reason="drawdown")
    assert state == KillState(True, "kill file: drawdown")


def test_probe_is_asked_each_time() -> None:
    """current_kill_state asks the probe on every call (no caching)."""
    answers = iter([None, "operator"])
    assert not current_kill_state(kill_switch_setting=False, probe=lambda: next(answers)).engaged
    assert current_kill_state(kill_switch_setting=False, probe=lambda: next(answers)).engaged
