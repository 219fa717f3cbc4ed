"""Where a research command's results go: an ``--out`` directory, on a disk that may fill up."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from btcbot.domain.errors import ConfigError, OutputError


def a_directory(out: Path, resuming: str) -> None:
    """Refuse an ``--out`` that is a file (exit 2): the results are a directory of files.

    ``resuming`` says which directories the command takes (a new one, or its own to resume).
    """
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out} is a file: pass a directory ({resuming})")


@contextmanager
def writing(out: Path, kept: str) -> Iterator[None]:
    """Turn an ``OSError`` inside into an ``OutputError`` (exit 1) naming ``out``.

    ``kept`` says what is left and what to do. The operating system's own message ("No space
    left on device") names no path and says nothing of what was kept.
    """
    try:
        yield
    except OSError as exc:
        raise OutputError(
            f"--out {out}: cannot be written ({exc.strerror or exc}); {kept}"
        ) from None
