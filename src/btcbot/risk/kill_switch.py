"""The kill switch as the pure layer sees it: a probe it can ask, and how two sources combine.

Trading stops when either source says so: the ``KILL_SWITCH`` setting (fixed for the process
life) or the kill file in ``CONTROL_DIR`` (written by ``btcbot disarm`` from either role, at
any time). The file is read through a ``KillSwitchProbe`` injected by the wiring
(``btcbot.adapters.control_dir.KillFileProbe``), so this module stays free of I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class KillSwitchProbe(Protocol):
    """Returns the kill file's reason when one is present, ``None`` otherwise.

    Implementations must fail safe: an unreadable kill file is reported as present.
    """

    def __call__(self) -> str | None:
        """Look now; never cached."""
        ...


@dataclass(frozen=True, slots=True)
class KillState:
    """Whether trading is killed, and why (``None`` when it is not)."""

    engaged: bool
    reason: str | None


def kill_state(*, kill_switch_setting: bool, kill_file_reason: str | None) -> KillState:
    """Combine the setting and the kill file; the file's reason wins because it is specific."""
    if kill_file_reason is not None:
        return KillState(engaged=True, reason=f"kill file: {kill_file_reason}")
    if kill_switch_setting:
        return KillState(engaged=True, reason="KILL_SWITCH=true")
    return KillState(engaged=False, reason=None)


def current_kill_state(*, kill_switch_setting: bool, probe: KillSwitchProbe) -> KillState:
    """Ask ``probe`` now and combine it with the setting."""
    return kill_state(kill_switch_setting=kill_switch_setting, kill_file_reason=probe())
