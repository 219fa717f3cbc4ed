"""``btcbot report``: the same report for a backtest's output and a LIVE database (docs/REPORT.md).

The LIVE database is opened read-only and without its lock, so a report may run beside the loop;
``--db`` names it, else the session's STATE_DB_PATH. The page, the CSV files and the JSON are
written atomically (a temporary file renamed), so a failure leaves no partial file.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import sys
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path

from btcbot.commands.exit_codes import EXIT_OK
from btcbot.domain.errors import ConfigError, OutputError
from btcbot.domain.fingerprint import plain
from btcbot.observability.atomic import SHARED_READABLE, atomic_write_text
from btcbot.report import page
from btcbot.report.charts import MissingExtraError
from btcbot.report.data import ReportData, ReportInputError, from_backtest, from_database
from btcbot.report.metrics import metrics


def _day(raw: str | None, flag: str, *, end: bool) -> datetime | None:
    if raw is None:
        return None
    try:
        d = date.fromisoformat(raw)
    except ValueError:
        raise ConfigError(f"{flag} {raw!r}: expected a date like 2025-01-31") from None
    moment = datetime(d.year, d.month, d.day, tzinfo=UTC)
    if not end:
        return moment
    try:
        return moment + timedelta(days=1)
    except OverflowError:  # --to 9999-12-31: nothing lies after it, so no bound
        return None


def _mode(environ: dict[str, str]) -> str:
    exchange = environ.get("EXCHANGE", "").strip().lower()
    if exchange == "sim":
        return "sim"
    if exchange == "btcturk":
        live = environ.get("LIVE_TRADING", "").strip().lower() in ("1", "true", "yes")
        return "live" if live else "paper"
    return "LIVE database"


def _write(path: Path, text: str, what: str) -> None:
    """``text`` into ``path`` through a temporary file beside it; a one-line error otherwise.

    Exit 1, as every research command says a result it could not write (a full disk, a path
    under a file): the report reads its input only, so nothing else is lost.
    """
    try:
        atomic_write_text(path, text, mode=SHARED_READABLE)  # a report is a document
    except OSError as exc:
        raise OutputError(
            f"{what} {path}: cannot be written ({exc.strerror or exc}); the input is "
            "unchanged: free space there or pass another path"
        ) from None


def _csv_text(head: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(head)
    w.writerows(rows)
    return out.getvalue()


def export_csv(data: ReportData, directory: Path) -> None:
    """trades.csv (fills), orders.csv (LIVE only), equity.csv."""
    d = plain
    fills = [
        [f.at.isoformat(), f.symbol, f.side, d(f.price), d(f.quantity), d(f.fee), d(f.tax),
         f.order_id, f.strategy, f.reason]
        for f in data.fills
    ]  # fmt: skip
    head = ["time", "symbol", "side", "price", "quantity", "fee", "tax", "order_id"]
    _write(directory / "fills.csv", _csv_text([*head, "strategy", "reason"], fills), "--csv")
    equity = [
        [p.at.isoformat(), d(p.equity), d(p.cash), d(p.realized), d(p.unrealized), d(p.fees),
         d(p.tax)]
        for p in data.points
    ]  # fmt: skip
    eq_head = ["time", "equity", "cash", "realized_pnl", "unrealized_pnl", "fees", "tax"]
    _write(directory / "equity.csv", _csv_text(eq_head, equity), "--csv")
    if data.orders:
        keys = list(data.orders[0])
        rows = [[_plain_text(o.get(k)) for k in keys] for o in data.orders]
        _write(directory / "orders.csv", _csv_text(keys, rows), "--csv")


def _plain_text(value: str | None) -> str:
    """A stored value for the CSV: a decimal in exponent form (``0E-16``) made plain."""
    if value is None:
        return ""
    try:
        number = Decimal(value)
    except InvalidOperation:
        return value
    return plain(number) if number.is_finite() and "E" in value.upper() else value


def metrics_json(data: ReportData) -> str:
    """The metrics as JSON (NaN as null), keys sorted."""
    out: dict[str, dict[str, float | str | None]] = {}
    for m in metrics(data):
        value: float | str | None = m.value
        if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
            value = None
        out[m.key] = {"value": value, "unit": m.unit, "convention": m.convention}
    document = {"kind": data.kind, "source": data.source, "ids": data.ids, "metrics": out}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def _session_db(environ: dict[str, str]) -> Path | None:
    raw = environ.get("STATE_DB_PATH", "").strip()
    return Path(raw) if raw else None


def _span(args: argparse.Namespace) -> tuple[datetime | None, datetime | None]:
    """``--from`` (its day's start) and ``--to`` (its day's end), in order."""
    start, end = _day(args.start, "--from", end=False), _day(args.end, "--to", end=True)
    if start is not None and end is not None and start >= end:
        raise ConfigError(f"--from {args.start} is after --to {args.end}: no day lies between")
    return start, end


def run_report_command(args: argparse.Namespace) -> int:
    """Build the report; write the page, the CSV files, the JSON."""
    start, end = _span(args)
    environ = dict(os.environ)
    try:
        if args.backtest is not None:
            data = from_backtest(args.backtest, start=start, end=end)
        else:
            db = args.db or (
                Path(environ["STATE_DB_PATH"]) if environ.get("STATE_DB_PATH") else None
            )
            if db is None:
                raise ConfigError(
                    "pass --backtest DIR or --db STATE_DB_PATH (or set STATE_DB_PATH)"
                )
            data = from_database(db, mode=_mode(environ), start=start, end=end)
    except ReportInputError as exc:
        raise ConfigError(str(exc)) from None
    if args.out is None and args.csv is None and not args.json:
        raise ConfigError("pass --out report.html, --csv DIR or --json")
    if args.out is not None:
        try:
            text = page.render(data)
        except MissingExtraError as exc:
            raise ConfigError(str(exc)) from None
        _write(args.out, text, "--out")
    if args.csv is not None:
        export_csv(data, args.csv)
    if args.json:
        sys.stdout.write(metrics_json(data))
    elif args.out is not None:
        counts = f"{len(data.points)} valuations, {len(data.fills)} fills"
        print(f"btcbot report: {data.kind}, {counts} -> {args.out}")
    return EXIT_OK
