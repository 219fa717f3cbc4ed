"""What a backtest writes: trades.csv, equity.csv and summary.json, all or nothing.

The files are written into a fresh temporary directory beside ``--out`` and renamed into place
at the end, so a failed or interrupted run leaves ``--out`` as it was. ``EquityFile`` writes
the equity series there row by row while the replay runs, so the series is never held. Every
byte depends only on the inputs (no wall-clock time, keys sorted, numbers as plain decimal
strings): the same candles and settings give byte-identical files.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
from decimal import Decimal
from operator import is_
from pathlib import Path
from typing import Any, Self

from btcbot.backtest.engine import EquityRow, ReplayResult
from btcbot.backtest.plan import Plan
from btcbot.domain.fingerprint import fill_fingerprint, in_order, plain
from btcbot.domain.ledger.valuation import Valuation

FILL_CONVENTION = (
    "a decision at instant t sees the candles closed (and settled 2 s) by t and the book and "
    "ticker at t; a marketable limit order fills at t against the emulator's synthetic book as "
    "taker; a resting limit order fills as maker, at its own price, when the replayed price "
    "path of a later minute crosses it (at most 25% of that minute's volume); the same as a "
    "sim-mode dry run"
)


_DRAWDOWN_QUANTUM = Decimal("0.000001")
_FLAT = (Decimal(0), Decimal(0))

TRADE_COLUMNS = (
    "time", "symbol", "side", "price", "quantity", "fee", "tax", "order_id", "strategy", "reason",
)  # fmt: skip


def summary(plan: Plan, result: ReplayResult, settings: dict[str, Any]) -> dict[str, Any]:
    """The ``summary.json`` document."""
    final = result.final
    assert final is not None  # noqa: S101 -- run() always values the books at the end
    start_equity = plan.setup.sim.start_balance
    max_dd = result.max_drawdown_pct
    return {
        "fingerprint": fill_fingerprint(result.fills),
        "input_sha256": plan.input_sha256,
        "fill_convention": FILL_CONVENTION,
        "span": {
            "first_cycle": plan.first_traded.isoformat(),
            "last_cycle": plan.last_traded.isoformat(),
            "cycle_seconds": plan.setup.cycle_seconds,
        },
        "counts": {
            "cycles": result.cycles,
            "candles": plan.candles,
            "candles_filled": plan.filled,
            "signals": result.signals,
            "risk_rejections": result.risk_rejections,
            "undecided_cycles": result.undecided,
            "orders_submitted": result.submitted,
            "orders_rejected": result.rejected,
            "cancels": result.canceled,
            "fills": len(result.fills),
        },
        "start_equity": plain(start_equity),
        "final_equity": plain(final.equity),
        "cash": plain(final.cash),
        "realized_pnl": plain(final.realized_pnl),
        "unrealized_pnl": plain(final.unrealized_pnl),
        "fees": plain(final.fees),
        "tax": plain(final.tax),
        "max_drawdown_pct": plain(max_dd.quantize(Decimal("0.0001"))),
        "return_pct": plain(((final.equity / start_equity - 1) * 100).quantize(Decimal("0.0001"))),
        "settings": settings,
    }


def trades_csv(result: ReplayResult) -> str:
    """One row per fill, oldest first."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(TRADE_COLUMNS)
    for f in in_order(result.fills):
        strategy, reason = result.intents.get(f.order_id, ("", ""))
        w.writerow(
            [
                f.timestamp.isoformat(),
                f.symbol,
                f.side.value,
                plain(f.price),
                plain(f.quantity),
                plain(f.fee),
                plain(f.tax),
                f.order_id,
                strategy,
                reason,
            ]
        )
    return out.getvalue()


def equity_header(symbols: tuple[str, ...]) -> list[str]:
    """The columns of ``equity.csv``."""
    head = ["time", "cash", "equity", "realized_pnl", "unrealized_pnl", "fees", "tax"]
    head += ["drawdown_pct"]
    head += [f"{s}_{k}" for s in symbols for k in ("quantity", "cost", "mark")]
    return head


def equity_cells(row: EquityRow, symbols: tuple[str, ...]) -> list[str]:
    """One cycle: cash, PnL, fees, equity, drawdown, and each symbol's holding."""
    amounts = _amount_cells(row.valuation)
    return _cells(row, amounts, _held_cells(row.holdings, symbols), symbols)


def _amount_cells(v: Valuation) -> list[str]:
    cells = [plain(x) for x in (v.cash, v.equity, v.realized_pnl, v.unrealized_pnl, v.fees)]
    cells += [plain(v.tax), plain(v.drawdown_pct.quantize(_DRAWDOWN_QUANTUM))]
    return cells


def _held_cells(
    holdings: tuple[tuple[str, Decimal, Decimal], ...], symbols: tuple[str, ...]
) -> list[tuple[str, str]]:
    held = {sym: (qty, cost) for sym, qty, cost in holdings}
    return [(plain(qty), plain(cost)) for qty, cost in (held.get(s, _FLAT) for s in symbols)]


def _cells(
    row: EquityRow, amounts: list[str], held: list[tuple[str, str]], symbols: tuple[str, ...]
) -> list[str]:
    cells = [row.at.isoformat(), *amounts]
    marks = dict(row.marks)
    for symbol, (qty, cost) in zip(symbols, held, strict=True):
        mark = marks.get(symbol)
        cells += [qty, cost, "" if mark is None else plain(mark)]
    return cells


def equity_csv(result: ReplayResult) -> str:
    """One row per cycle (of a result that kept its rows)."""
    symbols = result.setup.symbols
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(equity_header(symbols))
    for row in result.rows:
        w.writerow(equity_cells(row, symbols))
    return out.getvalue()


class EquityFile:
    """``equity.csv`` written row by row as the replay makes them (``Replay.run(on_row=)``).

    The bytes are ``equity_csv``'s for the same rows.
    """

    def __init__(self, path: Path, symbols: tuple[str, ...]) -> None:
        self._symbols = symbols
        self._file = path.open("w", encoding="utf-8", newline="\n")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self._writer.writerow(equity_header(symbols))
        self._last: tuple[tuple[object, ...], list[str], list[tuple[str, str]]] | None = None

    def __call__(self, row: EquityRow) -> None:
        """Write one cycle's row."""
        self._writer.writerow(self._cells(row))

    def _cells(self, row: EquityRow) -> list[str]:
        """``equity_cells``, reusing the row before's text for the very same objects.

        A replay's minutes between two fills hold the same books, and on flat books the same
        valuation but for its instant: the text of those amounts and holdings was most of a
        row's cost.
        """
        v = row.valuation
        amounts = (v.cash, v.equity, v.realized_pnl, v.unrealized_pnl, v.fees, v.tax)
        key = (*amounts, v.drawdown_pct, row.holdings)
        last = self._last
        if last is None or not all(map(is_, key, last[0])):
            # The key holds the objects, so no id it compares can be reused by another.
            last = self._last = (key, _amount_cells(v), _held_cells(row.holdings, self._symbols))
        return _cells(row, last[1], last[2], self._symbols)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._file.close()


def check_out(out: Path) -> None:
    """Refuse an ``--out`` that exists and holds anything (``ValueError``)."""
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"--out {out} already exists and is not empty: pass a new directory")


def write_all(out: Path, files: dict[str, str]) -> None:
    """Write ``files`` (name -> text) as the directory ``out``, atomically.

    ``out`` must not exist or be an empty directory: a backtest never overwrites earlier
    results (``ValueError`` otherwise, before anything is written).
    """
    publish(staging_for(out), out, files)


def staging_for(out: Path) -> Path:
    """A fresh temporary directory beside ``out`` (``check_out`` first); ``publish`` it."""
    check_out(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out.name}-", dir=out.parent))


def publish(staging: Path, out: Path, files: dict[str, str]) -> None:
    """Add ``files`` to ``staging`` and rename it to ``out``; on any failure remove it."""
    try:
        for name, text in files.items():
            (staging / name).write_text(text, encoding="utf-8", newline="\n")
        if out.exists():
            out.rmdir()
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def render(document: dict[str, Any]) -> str:
    """``summary.json`` text: sorted keys, two-space indent, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
