"""Structured logging: one JSON object per line on stderr, UTC timestamps, secrets redacted.

Every line carries ``timestamp`` (ISO 8601 UTC), ``level``, ``event``, ``role``,
``instance_id`` and ``cycle_id`` (``None`` outside a cycle). Lines from the standard library's
``logging`` (httpx, filelock, ...) go through the same processors, so redaction has no side door.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

MASK = "***"
# Any key that looks like it holds a credential is masked whatever its value is.
SENSITIVE_KEY = re.compile(
    r"secret|signature|passw(or)?d|api[_-]?key|apikey|token|authorization|x-stamp|credential",
    re.IGNORECASE,
)
# Shorter configured values are not substituted: masking "ab" everywhere would shred the log.
_MIN_SECRET_LENGTH = 6
_HANDLER_NAME = "btcbot-structlog"


class Redactor:
    """A structlog processor masking credential-named keys and configured secret values.

    Values are searched recursively in dicts, lists and tuples, and inside strings (an
    exception text quoting a header is masked too).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted(
            {s for s in secrets if len(s) >= _MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def __call__(self, _logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        """Return ``event_dict`` with every secret masked."""
        return {key: self._clean(key, value) for key, value in event_dict.items()}

    def _clean(self, key: object, value: Any) -> Any:
        if isinstance(key, str) and SENSITIVE_KEY.search(key) and value is not None:
            return MASK
        if isinstance(value, str):
            return self.mask_text(value)
        if isinstance(value, Mapping):
            return {k: self._clean(k, v) for k, v in value.items()}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._clean(None, v) for v in value]
        if isinstance(value, bool | int | float) or value is None:
            return value
        # Unknown objects are rendered with str() by the JSON renderer: mask that text now.
        return self.mask_text(str(value))

    def mask_text(self, text: str) -> str:
        """Replace every configured secret value inside ``text``."""
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text


def _static_fields(role: str, instance_id: str, mode: str | None) -> Processor:
    def add(_logger: WrappedLogger, _name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("role", role)
        event_dict.setdefault("instance_id", instance_id)
        if mode is not None:
            event_dict.setdefault("mode", mode)
        event_dict.setdefault("cycle_id", None)
        return event_dict

    return add


def _level_name(_logger: WrappedLogger, name: str, event_dict: EventDict) -> EventDict:
    event_dict.setdefault("level", name if name != "warn" else "warning")
    return event_dict


def configure_logging(
    *,
    role: str,
    instance_id: str,
    level: str = "INFO",
    fmt: str = "json",
    secrets: Iterable[str] = (),
    stream: TextIO | None = None,
    mode: str | None = None,
) -> Redactor:
    """Route structlog and stdlib logging through one redacting pipeline to ``stream``.

    Calling it again replaces the previous configuration (tests and the CLI both do). Returns
    the redactor so callers can mask text they print themselves (error messages).
    """
    redactor = Redactor(secrets)
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        _level_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True, key="timestamp"),
        _static_fields(role, instance_id, mode),
    ]
    renderer: Processor = (
        structlog.dev.ConsoleRenderer(colors=False)
        if fmt == "console"
        else structlog.processors.JSONRenderer(default=str)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            redactor,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    # httpx logs every request URL at INFO; keep it for DEBUG runs only.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return redactor


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger; ``name`` is the module, shown as ``logger`` in each line."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger


@contextmanager
def bound_context(**fields: object) -> Iterator[None]:
    """Bind ``fields`` (e.g. ``cycle_id``) to every log line emitted inside the block."""
    tokens = structlog.contextvars.bind_contextvars(**fields)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
