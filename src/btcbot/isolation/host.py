"""LIVE's side: each strategy of your own in a child process, asked with a deadline.

``Isolation.load`` is the ``StrategyLoader`` the LIVE wiring hands the decision core in place
of ``load_strategy``: it starts ``python -m btcbot.isolation``, has the child load the entry
(the same refusals, exit 2, as in process) and returns an ``IsolatedStrategy`` that the
strategy engine calls like any other. What changes is what a stuck strategy costs:

- an answer not back within ``ANSWER_SECONDS`` (wall time; the child still holds the strategy
  to ``TIME_LIMIT_SECONDS`` of CPU, as in process) stops the child, and from then on the
  strategy is a fault on every call: its symbols observe only, the cycle goes on, and the log
  says why each cycle (``strategy_failed``) until btcbot restarts;
- a child that ends (``os._exit``, a crash, memory) is the same fault.

A stopped strategy is not started again: the hang may come back on the next candle, and each
try would cost the cycle ``ANSWER_SECONDS``. The child runs without the API key and secret in
its environment. Built-in strategies stay in process: they are ours, and tested.
"""

from __future__ import annotations

import contextlib
import json
import os
import pickle
import queue
import subprocess
import sys
import threading
from collections.abc import Collection, Mapping
from datetime import datetime
from decimal import Decimal
from types import TracebackType
from typing import IO, Any, Self

from btcbot.domain.enums import Side
from btcbot.domain.errors import ConfigError
from btcbot.domain.trading import Signal
from btcbot.isolation.frames import BrokenFrameError, read_frame, write_frame
from btcbot.strategy.engine import TIME_LIMIT_SECONDS, StrategyProblemError
from btcbot.strategy.protocols import Strategy, StrategyInput

ANSWER_SECONDS = 5.0
"""Wall seconds LIVE waits for one answer: five times the CPU limit, so only a host five times
too busy could be taken for a stuck strategy, and far below a minute's cycle."""
LOAD_SECONDS = 60.0
"""Wall seconds a strategy may take to import and build (a heavy library can take seconds)."""
CLOSE_SECONDS = 2.0


class ProcessGoneError(Exception):
    """The child did not answer: it was stopped for its deadline, or it ended."""


class StrategyProcess:
    """One child process and the thread that reads its answers."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._proc = subprocess.Popen(  # noqa: S603 -- our interpreter, our module, our pid
            [sys.executable, "-m", "btcbot.isolation", str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=dict(env),
            **_detached(),
        )
        self._answers: queue.Queue[bytes | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, name="strategy-answers", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        """The child's process id."""
        return self._proc.pid

    def ask(self, request: bytes, seconds: float) -> dict[str, Any]:
        """The child's answer to ``request``; ``ProcessGoneError`` if none came in ``seconds``."""
        stdin = self._pipe(self._proc.stdin)
        try:
            write_frame(stdin, request)
        except (OSError, ValueError):  # the child has ended, or was stopped and released
            raise ProcessGoneError(self._ended()) from None
        try:
            frame = self._answers.get(timeout=seconds)
        except queue.Empty:
            self.stop()
            raise ProcessGoneError(
                f"did not answer within {seconds:g} s, so its process was stopped"
            ) from None
        if frame is None:
            raise ProcessGoneError(self._ended())
        try:
            answer = json.loads(frame)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            self.stop()
            raise ProcessGoneError("answered with something that is not an answer; stopped")
        return answer

    def stop(self) -> None:
        """End the child now (a strategy stuck in a loop cannot be asked to)."""
        if self._proc.poll() is None:
            self._proc.kill()
        self._proc.wait()
        self._release()

    def close(self) -> None:
        """Let the child end by closing its input; stop it if it does not."""
        self._release()
        try:
            self._proc.wait(timeout=CLOSE_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
        self._reader.join(CLOSE_SECONDS)

    def _release(self) -> None:
        with contextlib.suppress(OSError):  # a pipe the child's end already broke
            self._pipe(self._proc.stdin).close()

    def _read(self) -> None:
        stdout = self._pipe(self._proc.stdout)
        try:
            while (frame := read_frame(stdout)) is not None:
                self._answers.put(frame)
        except (OSError, BrokenFrameError):
            pass
        finally:
            stdout.close()
            self._answers.put(None)

    def _ended(self) -> str:
        try:
            code = self._proc.wait(timeout=CLOSE_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
            return "closed its answers without ending, so its process was stopped"
        return f"its process ended (exit code {code})"

    @staticmethod
    def _pipe(stream: IO[bytes] | None) -> IO[bytes]:
        assert stream is not None  # noqa: S101 -- both pipes are asked for in __init__
        return stream


class IsolatedStrategy:
    """A strategy of your own, asked through its process: the ``Strategy`` protocol."""

    def __init__(
        self, process: StrategyProcess, name: str, required_candles: int, seconds: float
    ) -> None:
        self._process = process
        self._name = name
        self._required = required_candles
        self._seconds = seconds
        self._stopped: str | None = None

    @property
    def name(self) -> str:
        """The strategy's own name, as its process read it at load."""
        return self._name

    @property
    def required_candles(self) -> int:
        """The strategy's own count, as its process read it at load."""
        return self._required

    @property
    def stopped(self) -> str | None:
        """Why the strategy is no longer asked (``None`` while it is)."""
        return self._stopped

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """The strategy's answer from its process; a fault is ``StrategyProblemError``."""
        if self._stopped is not None:
            raise StrategyProblemError(self._stopped)
        try:
            answer = self._process.ask(pickle.dumps(inp, pickle.HIGHEST_PROTOCOL), self._seconds)
        except ProcessGoneError as exc:
            self._stopped = f"{exc}; it is not run again until btcbot restarts"
            raise StrategyProblemError(self._stopped) from None
        if "problem" in answer:
            raise StrategyProblemError(str(answer["problem"]))
        fields = answer.get("signal")
        try:
            return None if fields is None else _signal(fields)
        except (KeyError, TypeError, ValueError, ArithmeticError):
            self._process.stop()
            self._stopped = "answered a signal that does not read back; its process was stopped"
            raise StrategyProblemError(self._stopped) from None


class Isolation:
    """Every strategy of your own one LIVE process loads; their processes end with it."""

    def __init__(
        self,
        *,
        secret_names: Collection[str],
        answer_seconds: float = ANSWER_SECONDS,
        load_seconds: float = LOAD_SECONDS,
        cpu_limit: float = TIME_LIMIT_SECONDS,
    ) -> None:
        hidden = {name.upper() for name in secret_names}
        # The upper-case test because Windows names are case-blind.
        self._env = {k: v for k, v in os.environ.items() if k.upper() not in hidden}
        self._answer_seconds = answer_seconds
        self._load_seconds = load_seconds
        self._cpu_limit = cpu_limit
        self._processes: list[StrategyProcess] = []

    def load(self, entry: str, params: Mapping[str, Any]) -> Strategy:
        """``entry`` built with ``params`` in a process of its own (a ``StrategyLoader``)."""
        try:
            process = StrategyProcess(self._env)
        except OSError as exc:  # the machine's fault: no process could be started
            raise ConfigError(
                f"STRATEGIES: {entry}: its process could not start "
                f"({exc.strerror or type(exc).__name__}); check free memory and process limits"
            ) from None
        self._processes.append(process)
        request = (entry, dict(params), list(sys.path), self._cpu_limit)
        try:
            answer = process.ask(pickle.dumps(request), self._load_seconds)
        except ProcessGoneError as exc:
            raise ConfigError(
                f"STRATEGIES: {entry} did not load: {exc}; check that it imports and builds "
                f"within {self._load_seconds:g} s"
            ) from None
        if "refused" in answer:
            raise ConfigError(str(answer["refused"]))
        name, required = answer.get("name"), answer.get("required_candles")
        if not isinstance(name, str) or not isinstance(required, int):
            process.stop()
            raise ConfigError(f"STRATEGIES: {entry} did not load: its process answered {answer}")
        return IsolatedStrategy(process, name, required, self._answer_seconds)

    @property
    def pids(self) -> tuple[int, ...]:
        """The process id of every strategy's process, in load order."""
        return tuple(p.pid for p in self._processes)

    def close(self) -> None:
        """End every strategy's process."""
        for process in self._processes:
            process.close()
        self._processes.clear()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _signal(fields: Mapping[str, Any]) -> Signal:
    return Signal(
        symbol=str(fields["symbol"]),
        side=Side(fields["side"]),
        size_hint=Decimal(str(fields["size_hint"])),
        reason=str(fields["reason"]),
        strategy=str(fields["strategy"]),
        as_of=datetime.fromisoformat(str(fields["as_of"])),
    )


def _detached() -> dict[str, Any]:
    """Keep the terminal's Ctrl-C from the child: LIVE alone decides when it stops."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}
