"""Running a sweep's tasks on an existing engine, with a journal that makes it resumable.

- **Local processes** (``--workers N``, default the machine's cores, at most the sweep's
  backtests: ``btcbot.commands.sweep``): the standard library's ``ProcessPoolExecutor``.
- **Dask distributed** (``--scheduler tcp://HOST:PORT``, or ``local`` for a ``LocalCluster`` of
  ``--workers`` processes): tasks go through ``Client.map`` with retries, so a task on a worker
  that dies is run again elsewhere. Dask is imported only here, and only when asked for (the
  ``cluster`` extra).

Either way every finished task is appended to ``journal.jsonl`` in ``--out`` (one JSON line,
flushed and synced) before the next is awaited; a sweep started again over the same ``--out``
reads the journal and submits only the tasks it lacks. Ctrl-C stops submitting, keeps what is
journaled, and leaves the rest for the next run.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from btcbot.domain.errors import ConfigError, WorkerLostError
from btcbot.sweep.tasks import ROW_FIELDS, STOPPED, Task, run_task

JOURNAL = "journal.jsonl"
Row = dict[str, Any]

_LOST_BECAUSE = (
    "a strategy that ends or crashes its process (os._exit, a fault in C code) or the machine "
    "out of memory; the journal keeps what finished, and the same command resumes"
)


def read_journal(out: Path) -> dict[str, Row]:
    """Rows already computed, by task key.

    A line that is not a whole row - torn by a crash, not UTF-8, lacking a field - is ignored,
    so its task runs again (tasks are deterministic: the same row comes back).
    """
    path = out / JOURNAL
    if not path.exists():
        return {}
    try:
        lines = path.read_bytes().splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc}); pass another --out") from None
    rows: dict[str, Row] = {}
    for line in lines:
        try:
            row = json.loads(line)  # bytes: what is not UTF-8 is a ValueError too
        except ValueError:
            continue
        if isinstance(row, dict) and row.keys() >= ROW_FIELDS and isinstance(row["key"], str):
            rows.setdefault(row["key"], row)
    return rows


class Journal:
    """Appends each finished row to ``journal.jsonl``, durably, in completion order."""

    def __init__(self, out: Path) -> None:
        out.mkdir(parents=True, exist_ok=True)
        self._fh = (out / JOURNAL).open("a", encoding="utf-8", newline="\n")

    def add(self, row: Row) -> None:
        """One row, flushed and synced before returning."""
        self._fh.write(json.dumps(row, sort_keys=True) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        """Close the file."""
        self._fh.close()


@contextmanager
def _local(workers: int) -> Iterator[Callable[[Sequence[Task]], Iterator[Row]]]:
    pool = ProcessPoolExecutor(max_workers=workers)

    def run(tasks: Sequence[Task]) -> Iterator[Row]:
        futures: list[Future[Row]] = [pool.submit(run_task, t) for t in tasks]
        try:
            for future in as_completed(futures):
                try:
                    row = future.result()
                except BrokenProcessPool:
                    # Every pending task fails with it: which one ended its process is unknown.
                    raise WorkerLostError(
                        "a worker process ended while running a backtest (btcbot backtest on "
                        f"a point the journal lacks finds which): {_LOST_BECAUSE}"
                    ) from None
                yield row
        finally:
            for future in futures:
                future.cancel()

    try:
        yield run
    except BaseException:
        # The sweep stops (a backtest that stopped, a lost worker, Ctrl-C): the backtests still
        # running would be computed to their end and thrown away, holding the line that says
        # why for up to a backtest's length. The pool cannot stop a running task (Python 3.14
        # adds terminate_workers), so its processes are ended here; nothing they held is kept.
        for process in list((pool._processes or {}).values()):  # noqa: SLF001 - see above
            process.terminate()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def _dask(address: str, workers: int) -> Iterator[Callable[[Sequence[Task]], Iterator[Row]]]:
    try:
        from distributed import Client, KilledWorker, LocalCluster  # noqa: PLC0415 - the extra
        from distributed import as_completed as dask_completed  # noqa: PLC0415
    except ImportError:
        raise ConfigError("--scheduler needs Dask: pip install 'btcbot[cluster]'") from None
    cluster = None
    try:
        if address == "local":
            cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                # Its workers log to our stderr and would bury the one line that says why the
                # sweep stopped: warnings about the tasks we cancel, and, when a worker is still
                # closing as the scheduler goes, an ERROR and a traceback for its heartbeat
                # (seen on a loaded machine). What matters reaches us anyway: a task's failure
                # as its exception, a dead worker as KilledWorker.
                silence_logs=logging.CRITICAL,
            )
            client = Client(cluster)
        else:
            client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        if cluster is not None:
            cluster.close()
        raise ConfigError(
            f"--scheduler {address}: cannot connect ({type(exc).__name__}: {exc}); "
            "start `dask scheduler` and `dask worker` there, or use --workers"
        ) from None

    def run(tasks: Sequence[Task]) -> Iterator[Row]:
        futures = client.map(run_task, list(tasks), key=[t.key for t in tasks], retries=3)
        by_key = {t.key: t for t in tasks}
        try:
            for future in dask_completed(futures):
                try:
                    row = future.result()
                except KilledWorker:
                    raise WorkerLostError(
                        f"{by_key[future.key].named} ended every worker process that ran it "
                        f"(4 tries): {_LOST_BECAUSE}"
                    ) from None
                yield row
        finally:
            client.cancel(futures)

    try:
        yield run
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def engine(
    *, workers: int, scheduler: str | None
) -> Any:  # a context manager yielding run(tasks) -> rows
    """The execution engine asked for."""
    return _dask(scheduler, workers) if scheduler else _local(workers)


def execute(
    tasks: Sequence[Task],
    run: Callable[[Sequence[Task]], Iterator[Row]],
    journal: Journal,
    done: dict[str, Row],
    on_row: Callable[[Row], None] = lambda _row: None,
) -> int:
    """Run the tasks ``done`` lacks, journaling each; return how many were computed."""
    todo = [t for t in tasks if t.key not in done]
    computed = 0
    for row in run(todo) if todo else iter(()):
        if STOPPED in row:  # a backtest that stopped: one line, as btcbot backtest says it
            raise ConfigError(str(row[STOPPED]))
        journal.add(row)
        done[str(row["key"])] = row
        computed += 1
        on_row(row)
    return computed
