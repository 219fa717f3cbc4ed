"""What the every-minute commands import: ``btcbot health`` and ``--help`` stay off the heavy stack.

Each check runs a fresh interpreter (imports are process-wide), so the answer is the truth
of a cold start, as the scheduler sees it. Speed itself is measured by tools/bench_startup.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

HEAVY = ("httpx", "httpcore", "tenacity", "structlog", "btcbot.exchange.client")


def _imported_after(code: str) -> set[str]:
    script = textwrap.dedent(code) + "\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))\n"
    done = subprocess.run(  # our own interpreter, our own script
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(done.stdout.strip().splitlines()[-1]))


def test_the_health_command_module_imports_none_of_the_trading_stack() -> None:
    """Loading health and building the MONITOR's checks pulls in no HTTP client nor structlog."""
    loaded = _imported_after(
        """
        import btcbot.cli
        import btcbot.commands.health
        from btcbot.observability.logging import configure_logging, get_logger
        configure_logging(role="monitor", instance_id="i")
        get_logger("quiet")
        """
    )
    assert [m for m in HEAVY if m in loaded] == []


def test_structlog_arrives_with_the_first_line_and_the_line_is_written() -> None:
    """The deferred pipeline is built by the first log call and writes it, redacted, as JSON."""
    done = subprocess.run(  # our own interpreter, our own script
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys
                from btcbot.observability.logging import configure_logging, get_logger
                configure_logging(role="monitor", instance_id="i", secrets=["s3cr3t-value"])
                log = get_logger("first")
                assert "structlog" not in sys.modules
                log.warning("hello", detail="s3cr3t-value")
                assert "structlog" in sys.modules
                """
            ),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (line,) = [json.loads(x) for x in done.stderr.splitlines() if x.startswith("{")]
    assert line["event"] == "hello"
    assert line["detail"] == "***"
    assert line["role"] == "monitor"


def test_help_imports_no_more_than_argparse_and_the_command_table() -> None:
    """``btcbot --help`` loads neither the settings nor pydantic (the handlers import lazily)."""
    loaded = _imported_after(
        """
        import contextlib, io
        import btcbot.cli
        with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):
            btcbot.cli.main(["--help"])
        """
    )
    assert [m for m in ("pydantic", "pydantic_settings", "btcbot.settings") if m in loaded] == []
