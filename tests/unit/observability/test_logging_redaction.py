"""Structured JSON logging and secret redaction."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from btcbot.observability.logging import (
    MASK,
    Redactor,
    bound_context,
    configure_logging,
    get_logger,
)

CANARY = "CANARY-c2VjcmV0LXZhbHVlLTEyMzQ1"


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A StringIO receiving this test's log lines; the configuration is undone afterwards."""
    buf = io.StringIO()
    configure_logging(role="monitor", instance_id="inst-1", secrets=[CANARY], stream=buf)
    yield buf
    structlog.reset_defaults()
    root = logging.getLogger()
    for handler in list(root.handlers):
        if handler.get_name() == "btcbot-structlog":
            root.removeHandler(handler)


def _lines(buf: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in buf.getvalue().splitlines() if line.strip()]


def test_each_line_is_json_with_time_event_role_instance_and_cycle(stream: io.StringIO) -> None:
    """Every log line is a JSON object carrying UTC time, event, role, instance and cycle id."""
    get_logger("t").info("hello", n=1)
    (line,) = _lines(stream)
    assert line["event"] == "hello"
    assert line["role"] == "monitor"
    assert line["instance_id"] == "inst-1"
    assert line["cycle_id"] is None
    assert str(line["timestamp"]).endswith("Z") or "+00:00" in str(line["timestamp"])
    assert line["level"] == "info"


def test_bound_context_adds_the_cycle_id_only_inside_the_block(stream: io.StringIO) -> None:
    """A cycle id bound with bound_context appears on lines inside the block and not after."""
    log = get_logger("t")
    with bound_context(cycle_id="c-42"):
        log.info("inside")
    log.info("outside")
    inside, outside = _lines(stream)
    assert inside["cycle_id"] == "c-42"
    assert outside["cycle_id"] is None


def test_secret_named_keys_are_masked_at_any_depth(stream: io.StringIO) -> None:
    """Keys named like secret/signature/password/api_key are masked, nested or not."""
    get_logger("t").info(
        "req",
        api_key="k-visible-otherwise",
        headers={"X-Signature": "sig", "X-PCK": "public"},
        items=[{"password": "pw"}],
    )
    (line,) = _lines(stream)
    assert line["api_key"] == MASK
    assert line["headers"] == {"X-Signature": MASK, "X-PCK": "public"}
    assert line["items"] == [{"password": MASK}]


def test_configured_secret_values_are_masked_inside_text(stream: io.StringIO) -> None:
    """A configured secret value is masked inside event text and arbitrary field values."""
    get_logger("t").warning(f"leaked {CANARY} here", detail=f"x{CANARY}y")
    text = stream.getvalue()
    assert CANARY not in text
    (line,) = _lines(stream)
    assert line["event"] == f"leaked {MASK} here"
    assert line["detail"] == f"x{MASK}y"


def _fail() -> None:
    raise RuntimeError(f"boom {CANARY}")


def test_stdlib_logging_goes_through_the_same_redaction(stream: io.StringIO) -> None:
    """A plain stdlib logger's message and exception text are JSON and redacted."""
    std = logging.getLogger("some.library")
    try:
        _fail()
    except RuntimeError:
        std.exception("failed with %s", CANARY)
    assert CANARY not in stream.getvalue()
    (line,) = _lines(stream)
    assert line["logger"] == "some.library"
    assert line["role"] == "monitor"
    assert "RuntimeError" in str(line["exception"])


def test_short_values_are_not_treated_as_secrets() -> None:
    """Values shorter than six characters are not substituted (they would shred the text)."""
    redactor = Redactor(["abc", "longsecret"])
    assert redactor.mask_text("abc longsecret") == f"abc {MASK}"


def test_reconfiguring_replaces_the_handler_instead_of_duplicating_it(stream: io.StringIO) -> None:
    """Calling configure_logging twice leaves one handler, so lines are not written twice."""
    second = io.StringIO()
    configure_logging(role="live", instance_id="i2", stream=second)
    get_logger("t").info("once")
    assert stream.getvalue() == ""
    assert len(_lines(second)) == 1
