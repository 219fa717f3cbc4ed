"""The kill file as the pure layer sees it: a probe it can ask.

Trading stops when either source says so: the ``KILL_SWITCH`` setting (fixed for the process
life; the wiring hands it to the decision core as the risk context's ``kill_switch_reason``) or
the kill file in ``CONTROL_DIR`` (written by ``btcbot disarm`` from either role, at any time;
the cycle asks the probe first and decides nothing while it answers). The file is read through
a ``KillSwitchProbe`` injected by the wiring (``btcbot.adapters.control_dir.KillFileProbe``), so
this module stays free of I/O.
"""

from __future__ import annotations

from typing import Protocol


class KillSwitchProbe(Protocol):
    """Returns the kill file's reason when one is present, ``None`` otherwise.

    Implementations must fail safe: an unreadable kill file is reported as present.
    """

    def __call__(self) -> str | None:
        """Look now; never cached."""
        ...
