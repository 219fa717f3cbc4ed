"""The progress bar of the long research commands: tqdm on a terminal, nothing otherwise."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any


class Progress:
    """Counts steps on a tqdm bar drawn on stderr; silent when stderr is a file or a pipe."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def step(self, *_done: object) -> None:
        """One more step done (any arguments are ignored, so it fits any callback)."""
        if self._bar is not None:
            self._bar.update(1)


@contextmanager
def progress(total: int, *, unit: str, desc: str) -> Iterator[Progress]:
    """A bar of ``total`` steps, closed on leaving, whatever happened."""
    bar = None
    if sys.stderr.isatty() and total > 0:
        from tqdm import tqdm  # noqa: PLC0415 - only when a bar is drawn

        bar = tqdm(total=total, unit=unit, desc=desc)
    try:
        yield Progress(bar)
    finally:
        if bar is not None:
            bar.close()
