"""Atomic file replacement: write a temp file beside the target, fsync, then rename over it."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

# On Windows a reader that has the target open makes os.replace fail with PermissionError for
# a moment (Python opens files without FILE_SHARE_DELETE); retry briefly instead of failing.
_REPLACE_ATTEMPTS = 40
_REPLACE_PAUSE_S = 0.025


def _replace(tmp: Path, target: Path) -> None:
    for attempt in range(_REPLACE_ATTEMPTS):
        try:
            tmp.replace(target)
        except PermissionError:
            if attempt == _REPLACE_ATTEMPTS - 1:
                raise
            time.sleep(_REPLACE_PAUSE_S)
        else:
            return


# Files another process on the host must read (the MONITOR, a node exporter running as another
# user): the status file, the kill file, the .prom file. Everything holding state stays 0600.
SHARED_READABLE = 0o644


def atomic_write_text(
    path: Path, text: str, *, mode: int | None = None, create_dir: bool = True
) -> None:
    """Replace ``path`` with ``text`` so a concurrent reader sees the old or the new file, whole.

    The temp file lives in the same directory because a rename is only atomic within one
    filesystem; ``os.replace`` overwrites on Windows too. ``mode`` (e.g. ``SHARED_READABLE``)
    replaces the temp file's private 0600 before the rename; ``create_dir=False`` refuses a
    missing directory instead of creating it (a kill file in a mistyped directory protects
    nothing).
    """
    if create_dir:
        path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if mode is not None:
            Path(tmp).chmod(mode)
        _replace(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
