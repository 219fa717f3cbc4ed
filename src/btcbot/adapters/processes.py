"""Is a pid alive, and is it really a btcbot started when the status file says it was?"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import psutil


@dataclass(frozen=True, slots=True)
class ProcessFacts:
    """What the process table says about one pid."""

    alive: bool
    is_btcbot: bool = False
    started_at: datetime | None = None


def inspect_process(pid: int) -> ProcessFacts:
    """Look ``pid`` up; a zombie counts as dead, an inaccessible command line as not btcbot."""
    try:
        proc = psutil.Process(pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return ProcessFacts(alive=False)
        started = datetime.fromtimestamp(proc.create_time(), UTC)
        try:
            cmdline = proc.cmdline()
        except psutil.AccessDenied:
            return ProcessFacts(alive=True, is_btcbot=False, started_at=started)
    except (psutil.NoSuchProcess, ValueError):
        return ProcessFacts(alive=False)
    # The console script (bin/btcbot, Scripts\btcbot.exe) or `python -m btcbot` both name it.
    is_btcbot = any("btcbot" in part.lower() for part in cmdline)
    return ProcessFacts(alive=True, is_btcbot=is_btcbot, started_at=started)
