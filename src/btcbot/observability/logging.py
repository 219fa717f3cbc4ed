"""Structured logging: one JSON object per line on stderr, UTC timestamps, secrets redacted.

Every line carries ``timestamp`` (ISO 8601 UTC), ``level``, ``event``, ``role``,
``instance_id`` and ``cycle_id`` (``None`` outside a cycle). Lines from the standard library's
``logging`` (httpx, filelock, ...) go through the same processors, so redaction has no side door.

structlog is imported when the first line is written, not before: ``btcbot health`` runs every
minute, usually logs nothing, and importing structlog (with its optional console extras) was a
sixth of its start-up. ``configure_logging`` installs a stdlib handler at once that builds the
pipeline on its first record; ``get_logger`` hands out a stand-in that builds it on first use.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
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
    the redactor so callers can mask text they print themselves (error messages). The pipeline
    itself (and structlog) is built when the first line is written (see the module).
    """
    redactor = Redactor(secrets)
    out = stream if stream is not None else sys.stderr
    handler = _PipelineHandler(lambda: _build_pipeline(role, instance_id, mode, fmt, redactor, out))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    _CURRENT.handler = handler
    numeric = logging.getLevelName(level.upper())
    root.setLevel(numeric if isinstance(numeric, int) else logging.INFO)
    # httpx logs every request URL at INFO; keep it for DEBUG runs only.
    logging.getLogger("httpx").setLevel(max(root.level, logging.WARNING))
    return redactor


class _PipelineHandler(logging.Handler):
    """The root handler: builds the structlog pipeline on its first record, then writes with it."""

    def __init__(self, build: Callable[[], logging.Handler]) -> None:
        super().__init__()
        self.set_name(_HANDLER_NAME)
        self._build: Callable[[], logging.Handler] | None = build
        self._inner: logging.Handler | None = None

    def ready(self) -> logging.Handler:
        """The built pipeline's stream handler (built now if this is the first call)."""
        if self._inner is None:
            build, self._build = self._build, None
            if build is None:  # pragma: no cover - _build is only cleared once _inner is set
                raise RuntimeError("logging pipeline lost")
            self._inner = build()
        return self._inner

    def emit(self, record: logging.LogRecord) -> None:
        """Write ``record`` through the pipeline."""
        self.ready().handle(record)

    def close(self) -> None:
        """Close the stream handler too (it never closes a stream it did not open)."""
        if self._inner is not None:
            self._inner.close()
        super().close()


class _Current:
    """The handler the last ``configure_logging`` installed."""

    handler: _PipelineHandler | None = None


_CURRENT = _Current()


def _ensure_pipeline() -> None:
    """Build the configured pipeline now if it is still pending (imports structlog)."""
    if _CURRENT.handler is not None:
        _CURRENT.handler.ready()


def _build_pipeline(  # noqa: PLR0917 - configure_logging's own arguments, passed on once
    role: str, instance_id: str, mode: str | None, fmt: str, redactor: Redactor, out: TextIO
) -> logging.Handler:
    """Configure structlog; the stdlib handler that renders every line through the pipeline."""
    import structlog  # noqa: PLC0415 - deferred on purpose (module docstring)

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
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(formatter)
    structlog.configure(
        processors=[
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    return handler


class _DeferredLogger:
    """What ``get_logger`` returns: becomes structlog's logger for ``name`` on first use."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._real: structlog.stdlib.BoundLogger | None = None

    def __getattr__(self, attribute: str) -> Any:
        real = self._real
        if real is None:
            import structlog  # noqa: PLC0415 - deferred on purpose (module docstring)

            _ensure_pipeline()
            real = structlog.stdlib.get_logger(self._name)
            self._real = real
        return getattr(real, attribute)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structlog logger; ``name`` is the module, shown as ``logger`` in each line."""
    return cast("structlog.stdlib.BoundLogger", _DeferredLogger(name))


@contextmanager
def bound_context(**fields: object) -> Iterator[None]:
    """Bind ``fields`` (e.g. ``cycle_id``) to every log line emitted inside the block."""
    import structlog  # noqa: PLC0415 - deferred on purpose (module docstring)

    tokens = structlog.contextvars.bind_contextvars(**fields)
    try:
        yield
    finally:
        structlog.contextvars.reset_contextvars(**tokens)
