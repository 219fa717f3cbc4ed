"""A strategy's own process: load it, then answer one request at a time until LIVE closes.

Started by ``btcbot.isolation.host`` as ``python -m btcbot.isolation PARENT_PID``. The first
request is ``(entry, params, sys.path, cpu_limit)``; every later one is a pickled
``StrategyInput``. Answers are JSON, so LIVE never unpickles anything this process - that is,
strategy code - could have written:

- the load: ``{"name": ..., "required_candles": ...}`` or ``{"refused": "<the ConfigError>"}``;
- a request: ``{"signal": null}``, ``{"signal": {<the signal's fields as text>}}`` or
  ``{"problem": "<why there is no signal>"}``, worded by ``evaluate_once`` as in-process.

The strategy cannot write into an answer by printing: file descriptor 1 is pointed at standard
error before it is imported, and answers go to a copy of the original. The process ignores
Ctrl-C (LIVE decides when to stop, at a cycle boundary, and then closes its input) and ends on
its own when LIVE is gone, so a strategy stuck in a loop never outlives the LIVE process.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import sys
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import IO, Any

from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import Signal
from btcbot.isolation.frames import read_frame, write_frame
from btcbot.strategy.engine import evaluate_once, strategy_name
from btcbot.strategy.plugins import load_strategy
from btcbot.strategy.protocols import Strategy

PARENT_POLL_SECONDS = 1.0


def main(argv: Sequence[str]) -> int:
    """Serve one strategy for the LIVE process ``argv[0]`` (its pid); 0 when LIVE closes."""
    _ignore_interrupts()
    answers = os.fdopen(_binary(os.dup(sys.stdout.fileno())), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # a strategy's print() lands on stderr
    _binary(sys.stdin.fileno())
    requests = sys.stdin.buffer
    _end_with(int(argv[0]))
    first = read_frame(requests)
    if first is None:
        return 0
    entry, params, path, cpu_limit = pickle.loads(first)  # noqa: S301 -- from LIVE, our parent
    sys.path[:] = path  # import the strategy from where LIVE itself would have
    try:
        strategy = load_strategy(entry, params)
    except ConfigError as exc:
        _answer(answers, {"refused": str(exc)})
        return 0
    _answer(
        answers, {"name": strategy_name(strategy), "required_candles": strategy.required_candles}
    )
    _serve(strategy, requests, answers, cpu_limit)
    return 0


def _serve(strategy: Strategy, requests: IO[bytes], answers: IO[bytes], cpu_limit: float) -> None:
    while (frame := read_frame(requests)) is not None:
        inp = pickle.loads(frame)  # noqa: S301 -- from LIVE, our parent
        found, problem = evaluate_once(strategy, inp, timer=time.process_time, limit=cpu_limit)
        if problem is not None:
            _answer(answers, {"problem": problem})
        else:
            _answer(answers, {"signal": None if found is None else signal_fields(found)})


def signal_fields(found: Signal) -> dict[str, str]:
    """A checked signal as text.

    Read with the base types' own methods, so a strategy's subclass of ``str``, ``Decimal`` or
    ``datetime`` cannot make the text differ from the value.
    """
    return {
        "symbol": str.__str__(found.symbol),
        "side": found.side.value,
        "size_hint": Decimal.__str__(found.size_hint),
        "reason": str.__str__(found.reason),
        "strategy": str.__str__(found.strategy),
        "as_of": datetime.isoformat(found.as_of),
    }


def _answer(answers: IO[bytes], document: dict[str, Any]) -> None:
    write_frame(answers, json.dumps(document).encode("utf-8"))


def _binary(fd: int) -> int:
    """``fd`` with no newline translation: a frame is bytes, and Windows would add CRs."""
    if sys.platform == "win32":
        import msvcrt  # noqa: PLC0415 - Windows only

        msvcrt.setmode(fd, os.O_BINARY)
    return fd


def _ignore_interrupts() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform == "win32":
        signal.signal(signal.SIGBREAK, signal.SIG_IGN)


def _end_with(parent: int) -> None:
    """End this process once ``parent`` has ended (even while the strategy is stuck)."""
    alive = _parent_check(parent)

    def watch() -> None:
        while alive():
            time.sleep(PARENT_POLL_SECONDS)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _parent_check(parent: int) -> Callable[[], bool]:
    """A test of whether ``parent`` still runs.

    POSIX gives an orphan a new parent, so the parent's pid is the test (no clock in it).
    Windows does not: there, the pid must still name the process started when LIVE did (a pid
    can be reused), by the creation time Windows keeps for it.
    """
    if sys.platform == "win32":
        return _same_process(parent)
    return lambda: os.getppid() == parent


def _same_process(parent: int) -> Callable[[], bool]:
    import psutil  # noqa: PLC0415 - Windows only: a POSIX child starts without it

    try:
        born = psutil.Process(parent).create_time()
    except psutil.Error:
        return lambda: False

    def same() -> bool:
        try:
            return psutil.Process(parent).create_time() == born
        except psutil.Error:
            return False

    return same
