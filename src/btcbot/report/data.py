"""What a report is made from, read from a backtest's output directory or a LIVE database.

Both sources become one ``ReportData``: the equity series (one point per cycle), the fills with
their strategy and reason where known, and a price series per symbol (the marks the books were
valued at in a backtest; the fill prices for a LIVE database, which keeps no price per cycle).
Any problem - a missing or malformed file, a database of the wrong role or that never traded,
a range with no data - is a ``ReportInputError`` naming it.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from btcbot.domain.errors import BtcbotError
from btcbot.state.history import History, read_history


class ReportInputError(ValueError):
    """The report's input cannot be used; the message names what and why."""


@dataclass(frozen=True, slots=True)
class Point:
    """The books at the end of one cycle."""

    at: datetime
    equity: Decimal
    cash: Decimal
    realized: Decimal
    unrealized: Decimal
    fees: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True)
class FillRow:
    """One fill, with the strategy and reason of its order where known."""

    at: datetime
    symbol: str
    side: str
    price: Decimal
    quantity: Decimal
    fee: Decimal
    tax: Decimal
    order_id: str
    strategy: str = ""
    reason: str = ""


@dataclass
class ReportData:
    """Everything one report shows."""

    kind: str  # backtest, or the LIVE mode (sim, paper, live)
    source: str
    start_equity: Decimal
    points: list[Point]
    fills: list[FillRow]
    prices: dict[str, list[tuple[datetime, Decimal]]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    orders: list[dict[str, str | None]] = field(default_factory=list)


def _dec(value: str | None, where: str) -> Decimal:
    if value is None:  # DictReader's value for a cell the row does not have
        raise ReportInputError(f"{where}: the row has fewer cells than the header (cut short?)")
    try:
        number = Decimal(value or "")
    except InvalidOperation:
        raise ReportInputError(f"{where}: {value!r} is not a number") from None
    if not number.is_finite():
        raise ReportInputError(f"{where}: {value!r} is not a finite number")
    return number


def _time(value: str | None, where: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value or "")
    except ValueError:
        raise ReportInputError(f"{where}: {value!r} is not a time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _csv(path: Path, columns: tuple[str, ...]) -> list[dict[str, str]]:
    """The rows of a backtest's CSV file, whose header must hold ``columns``."""
    if not path.is_file():
        raise ReportInputError(f"{path}: missing (a backtest's --out holds summary.json, ...)")
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            header = reader.fieldnames or []
            lacking = [c for c in columns if c not in header]
            if lacking:
                raise ReportInputError(
                    f"{path}:1: the header lacks {', '.join(lacking)}: not a backtest's file"
                )
            return list(reader)
    except UnicodeDecodeError:
        raise ReportInputError(f"{path}: not UTF-8 text: not a backtest's file") from None
    except (csv.Error, OSError) as exc:
        raise ReportInputError(f"{path}: cannot be read ({exc})") from None


def _symbols(summary: object, path: Path) -> list[str]:
    """``settings.symbols`` of a backtest's summary: a list of symbols, or a refusal."""
    settings = summary.get("settings") if isinstance(summary, dict) else None
    symbols = settings.get("symbols") if isinstance(settings, dict) else None
    if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
        raise ReportInputError(f"{path}: no settings.symbols list: not a backtest's summary.json")
    return symbols


# The columns a report reads from a backtest's files (outputs.py writes more).
_EQUITY = ("time", "equity", "cash", "realized_pnl", "unrealized_pnl", "fees", "tax")
_TRADES = ("time", "symbol", "side", "price", "quantity", "fee", "tax")


def _within(at: datetime, start: datetime | None, end: datetime | None) -> bool:
    return (start is None or at >= start) and (end is None or at < end)


def from_backtest(
    directory: Path, *, start: datetime | None = None, end: datetime | None = None
) -> ReportData:
    """A backtest's ``summary.json``, ``equity.csv`` and ``trades.csv``."""
    summary_path = directory / "summary.json"
    if not summary_path.is_file():
        raise ReportInputError(f"{summary_path}: missing; pass a backtest's --out directory")
    try:
        summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportInputError(f"{summary_path}: not JSON ({exc})") from None
    symbols = _symbols(summary, summary_path)
    points: list[Point] = []
    prices: dict[str, list[tuple[datetime, Decimal]]] = {s: [] for s in symbols}
    equity_path = directory / "equity.csv"
    for n, row in enumerate(_csv(equity_path, _EQUITY), start=2):
        where = f"{equity_path}:{n}"
        at = _time(row.get("time"), where)
        if not _within(at, start, end):
            continue
        points.append(
            Point(
                at,
                *(_dec(row.get(k), where) for k in _EQUITY[1:]),
            )
        )
        for s in symbols:
            mark = row.get(f"{s}_mark")
            if mark:
                prices[s].append((at, _dec(mark, where)))
    trades_path = directory / "trades.csv"
    fills = []
    for n, row in enumerate(_csv(trades_path, _TRADES), start=2):
        where = f"{trades_path}:{n}"
        at = _time(row.get("time"), where)
        if _within(at, start, end):
            fills.append(_fill(row, at, where))
    ids: dict[str, str] = {
        k: str(summary[k]) for k in ("fingerprint", "input_sha256") if k in summary
    }
    return ReportData(
        kind="backtest",
        source=str(directory),
        start_equity=_dec(str(summary.get("start_equity", "")), str(summary_path)),
        points=_nonempty(points, f"{equity_path}", start, end),
        fills=fills,
        prices=prices,
        ids=ids,
    )


def _fill(row: dict[str, str], at: datetime, where: str) -> FillRow:
    return FillRow(
        at=at,
        symbol=row.get("symbol", ""),
        side=row.get("side", ""),
        price=_dec(row.get("price"), where),
        quantity=_dec(row.get("quantity"), where),
        fee=_dec(row.get("fee"), where),
        tax=_dec(row.get("tax"), where),
        order_id=row.get("order_id", ""),
        strategy=row.get("strategy", ""),
        reason=row.get("reason", ""),
    )


def _nonempty(
    points: list[Point], where: str, start: datetime | None, end: datetime | None
) -> list[Point]:
    if not points:
        span = (
            f" between {start.isoformat() if start else 'the start'} and "
            f"{end.isoformat() if end else 'the end'}"
        )
        raise ReportInputError(f"{where}: no valuations{span}: nothing to report")
    return points


def from_database(
    path: Path, *, mode: str, start: datetime | None = None, end: datetime | None = None
) -> ReportData:
    """The LIVE database at ``path`` (read-only, no lock: the loop may be running)."""
    try:
        history = read_history(
            path,
            start=start.strftime("%Y-%m-%dT%H:%M:%S") if start else None,
            end=end.strftime("%Y-%m-%dT%H:%M:%S") if end else None,
        )
    except BtcbotError as exc:
        raise ReportInputError(str(exc)) from None
    return _from_history(history, mode, start, end)


def _from_history(
    history: History, mode: str, start: datetime | None, end: datetime | None
) -> ReportData:
    where = str(history.path)
    points = [
        Point(
            _time(v["taken_at"], where),
            *(
                _dec(v[k], where)
                for k in ("equity", "cash", "realized_pnl", "unrealized_pnl", "fees", "tax")
            ),
        )
        for v in history.valuations
        if v["equity"] is not None
    ]
    points = _nonempty(points, f"{where} (valuations)", start, end)
    fills = [
        FillRow(
            at=_time(f["traded_at"], where),
            symbol=f["symbol"] or "",
            side=f["side"] or "",
            price=_dec(f["price"], where),
            quantity=_dec(f["quantity"], where),
            fee=_dec(f["fee"], where),
            tax=_dec(f["tax"], where),
            order_id=f["exchange_order_id"] or "",
        )
        for f in history.fills
    ]
    prices: dict[str, list[tuple[datetime, Decimal]]] = {}
    for fill in fills:
        prices.setdefault(fill.symbol, []).append((fill.at, fill.price))
    # The first valuation is the opening: capital before any fill of the range is booked.
    start_equity = points[0].equity
    ids = {"config_hash": history.config_hash} if history.config_hash else {}
    return ReportData(
        kind=mode,
        source=str(history.path),
        start_equity=start_equity,
        points=points,
        fills=fills,
        prices=prices,
        ids=ids,
        orders=history.orders,
    )


def symbols_of(data: ReportData) -> list[str]:
    """Every symbol with a price or a fill, sorted."""
    names: Iterable[str] = {*data.prices, *(f.symbol for f in data.fills)}
    return sorted(n for n in names if n)
