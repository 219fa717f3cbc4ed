"""A research command's results on a disk that cannot take them: one line naming ``--out``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from btcbot.domain.errors import OutputError


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
