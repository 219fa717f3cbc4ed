"""Length-prefixed frames over a pipe: how LIVE and a strategy's own process talk."""

from __future__ import annotations

import struct
from typing import IO

_HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024
"""Far above any request (a symbol's snapshot is kilobytes); a larger header is a broken pipe."""


class BrokenFrameError(ValueError):
    """The stream holds something that is not a frame: the other side is not ours to trust."""


def write_frame(stream: IO[bytes], payload: bytes) -> None:
    """Send ``payload`` as one frame."""
    stream.write(_HEADER.pack(len(payload)) + payload)
    stream.flush()


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame; ``None`` at the end of the stream (the other side closed or ended)."""
    head = _read_exactly(stream, _HEADER.size)
    if head is None:
        return None
    (size,) = _HEADER.unpack(head)
    if size > MAX_FRAME:
        raise BrokenFrameError(f"a frame of {size} bytes (at most {MAX_FRAME})")
    return _read_exactly(stream, size)


def _read_exactly(stream: IO[bytes], size: int) -> bytes | None:
    """``size`` bytes, or ``None`` when the stream ends first (a frame cut short is no frame)."""
    parts: list[bytes] = []
    left = size
    while left > 0:
        part = stream.read(left)
        if not part:
            return None
        parts.append(part)
        left -= len(part)
    return b"".join(parts)
