"""``btcbot health``: run the MONITOR checks under a watchdog and answer like a Nagios plugin."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from pathlib import Path

from btcbot.commands.common import configure_command_logging
from btcbot.commands.exit_codes import HEALTH_UNKNOWN
from btcbot.domain.errors import BtcbotError, ConfigError, StateError
from btcbot.domain.records import HealthLevel
from btcbot.services.health import EXIT_CODES, CheckResult, Deadline, HealthReport, run_checks
from btcbot.settings import load_settings
from btcbot.wiring import build_monitor, monitor_health_checks

MAX_TIMEOUT = 600.0


def run_health(args: argparse.Namespace) -> int:
    """The whole command; the exit code is the overall Nagios status."""
    if not 1.0 <= args.timeout <= MAX_TIMEOUT:
        raise ConfigError(
            f"--timeout must be between 1 and {MAX_TIMEOUT:g} s (got {args.timeout:g})"
        )
    deadline = Deadline(args.timeout, lambda: _expired(args)).start()
    try:
        report = _report(deadline)
    except BtcbotError as exc:
        deadline.cancel()
        _emit_unknown(args, str(exc))
        return HEALTH_UNKNOWN
    deadline.cancel()
    if args.prom_file is not None:
        try:
            _write_prom(args.prom_file, report)
        except OSError as exc:
            # The scheduler still gets its line; the collector's blindness is a WARNING.
            report = report.with_check(
                CheckResult(
                    "prom_file",
                    HealthLevel.WARNING,
                    f"cannot write --prom-file {args.prom_file}: {exc.strerror or exc}",
                    "point --prom-file at a writable file in the collector's directory",
                )
            )
    if args.json:
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        print(report.nagios_line())
    return report.exit_code


def _report(deadline: Deadline) -> HealthReport:
    settings = load_settings()
    app = build_monitor(settings)
    configure_command_logging(settings, app.instance_id)
    with contextlib.ExitStack() as stack:
        try:
            runtime = stack.enter_context(app.startup("health"))
        except StateError as exc:
            # Damaged, full or read-only storage is a finding, not a broken check: CRITICAL,
            # with every other check (the disk check among them) still run.
            report = run_checks(monitor_health_checks(app, deadline.remaining), app.clock)
            return report.with_check(
                CheckResult("database", HealthLevel.CRITICAL, str(exc), "see docs/RUNBOOK.md")
            )
        report = run_checks(monitor_health_checks(app, deadline.remaining), app.clock)
        try:
            with runtime.unit_of_work() as uow:
                uow.health.add(report.snapshot())
                uow.commit()
        except BtcbotError as exc:
            # Storing the snapshot is the writability check of the MONITOR database.
            report = report.with_check(
                CheckResult(
                    "database",
                    HealthLevel.CRITICAL,
                    f"cannot write the health snapshot: {exc}",
                    "check disk space and permissions of STATE_DB_PATH",
                )
            )
    return report


def _emit_unknown(args: argparse.Namespace, reason: str) -> None:
    line = f"BTCBOT UNKNOWN - {reason}".replace("\n", " ")
    if args.json:
        doc = {"status": "unknown", "code": HEALTH_UNKNOWN, "summary": line, "checks": []}
        print(json.dumps(doc, sort_keys=True))
    else:
        print(line)
    if args.prom_file is not None:
        with contextlib.suppress(OSError):
            _write_prom(args.prom_file, None)


def _expired(args: argparse.Namespace) -> None:
    """Watchdog: the run overran ``--timeout``; answer UNKNOWN and end the process now."""
    _emit_unknown(args, f"health check timed out after {args.timeout:g} s")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(HEALTH_UNKNOWN)


def _write_prom(path: Path, report: HealthReport | None) -> None:
    # prometheus_client is imported only when a .prom file is asked for.
    from btcbot.observability.metrics import HealthMetrics, write_textfile  # noqa: PLC0415

    metrics = HealthMetrics()
    metrics.last_run.set_to_current_time()
    if report is None:
        metrics.status.set(HEALTH_UNKNOWN)
    else:
        metrics.status.set(report.exit_code)
        metrics.duration.set(report.duration_seconds)
        for check in report.checks:
            metrics.check_status.labels(check=check.name).set(EXIT_CODES[check.status])
            offset = check.details.get("offset_seconds")
            if check.name == "exchange" and isinstance(offset, float | int):
                metrics.clock_offset.set(offset)
    write_textfile(path, metrics.registry)
