"""``btcbot data fetch``: candles for backtests from BtcTurk's graph API (docs/BACKTEST.md).

No credentials and no role: it reads public data only, through an unsigned client. The hosts
are BTCTURK_BASE_URL and BTCTURK_GRAPH_URL (BtcTurk's own by default; a ``btcbot sim serve``
address in tests).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, date, datetime

from btcbot.commands.exit_codes import EXIT_INTERRUPTED, EXIT_OK
from btcbot.commands.progress import progress
from btcbot.commands.writing import a_directory, writing
from btcbot.data.fetch import (
    MINUTE,
    PAGE_MINUTES,
    FetchReport,
    fetch_symbol,
    missing_ranges,
    pages,
    read_existing,
)
from btcbot.domain.errors import ConfigError
from btcbot.wiring.research import public_client


def _instant(raw: str, flag: str, *, end: bool) -> datetime:
    """``2025-01-31`` (a whole UTC day; ``--to`` includes it) or ``2025-01-31T12:00``."""
    try:
        if len(raw) == len("2025-01-31"):
            day = date.fromisoformat(raw)
            moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
            # The day's last minute, without adding a day (9999-12-31 has no next one).
            return moment.replace(hour=23, minute=59) if end else moment
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ConfigError(
            f"{flag} {raw!r}: expected a date like 2025-01-31 or 2025-01-31T12:00"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _minute(moment: datetime) -> int:
    return int(moment.timestamp()) // MINUTE * MINUTE


# Each file is replaced whole once its pages are in (``write_atomically``).
_RESUMABLE = "what was fetched is kept: free space there and run the same command to resume"


def _asked(args: argparse.Namespace) -> tuple[tuple[str, ...], int, int]:
    """The symbols and the span of minutes asked for, or a ``ConfigError`` (exit 2)."""
    symbols = tuple(
        s.strip().replace("_", "").upper() for s in args.symbols.split(",") if s.strip()
    )
    if not symbols:
        raise ConfigError("--symbols must name at least one pair, e.g. BTCTRY,ETHTRY")
    start = _minute(_instant(args.start, "--from", end=False))
    end = _minute(_instant(args.end, "--to", end=True))
    now = _minute(datetime.now(UTC)) - MINUTE  # the newest minute that can have closed
    end = min(end, now)
    if start < 0:  # the graph API answers HTTP 400 for a time before the Unix epoch
        raise ConfigError(f"--from {args.start} is before 1970: Unix time starts there")
    if start > end:
        raise ConfigError(f"--from {args.start} is after --to {args.end} (or in the future)")
    a_directory(args.out, "an earlier one resumes")
    return symbols, start, end


def run_data_fetch(args: argparse.Namespace) -> int:
    """Fetch every symbol; one report line each; 130 (with what was fetched kept) on Ctrl-C."""
    symbols, start, end = _asked(args)
    client = public_client(os.environ)
    try:
        listed = client.exchange_info().symbols
        unknown = [s for s in symbols if s not in listed]
        if unknown:
            raise ConfigError(
                f"--symbols: {', '.join(unknown)} not listed by the exchange "
                f"(e.g. {', '.join(sorted(listed)[:5])})"
            )
        args.out.mkdir(parents=True, exist_ok=True)
        total = 0
        for symbol in symbols:
            try:
                existing = read_existing(args.out / f"{symbol}.csv")
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
            total += len(pages(missing_ranges(existing, start, end)))
        reports: list[FetchReport] = []
        with (
            progress(total, unit="page", desc=f"fetch ({PAGE_MINUTES} min/page)") as bar,
            writing(args.out, _RESUMABLE),
        ):
            try:
                for symbol in symbols:
                    report = fetch_symbol(client, symbol, start, end, args.out, on_page=bar.step)
                    reports.append(report)
            except KeyboardInterrupt:
                for report in reports:
                    print(report.line())
                print(
                    "interrupted: what was fetched is written; run again to resume", file=sys.stderr
                )
                return EXIT_INTERRUPTED
    finally:
        client.close()
    for report in reports:
        print(report.line())
    return EXIT_OK
