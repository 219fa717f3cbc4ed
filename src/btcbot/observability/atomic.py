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


def atomic_write_text(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so a concurrent reader sees the old or the new file, whole.

    The temp file lives in the same directory because a rename is only atomic within one
    filesystem; ``os.replace`` overwrites on Windows too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        _replace(Path(tmp), path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
