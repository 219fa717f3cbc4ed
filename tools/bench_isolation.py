"""Benchmark what running a strategy of your own in its own process costs LIVE.

Usage: ``python tools/bench_isolation.py [--calls 200] [--rounds 5] [--candles 25,105]``.

For each candle count: the example breakout (``examples/``, window 20) started and loaded
through ``btcbot.isolation.host.Isolation`` (wall time to its first answer), then the time of one
``evaluate`` asked through its process (``--rounds`` rounds of ``--calls`` calls: fastest and
slowest round) against the same call in process. A LIVE cycle asks each such strategy twice
per symbol (``decide_with_books`` decides again on the book).

Not a test: figures depend on the machine; docs/PERFORMANCE.md records them with the machine.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from btcbot.domain.enums import OrderMethod
from btcbot.domain.market import MarketSnapshot
from btcbot.domain.models import BookLevel, Candle, OrderBook, SymbolRules, Ticker
from btcbot.domain.trading import ZERO, PositionView
from btcbot.isolation.host import Isolation
from btcbot.settings import SECRET_VARIABLES
from btcbot.strategy.plugins import load_strategy
from btcbot.strategy.protocols import Strategy, StrategyInput

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "examples"))
ENTRY = "btcbot_examples.breakout:Breakout"
PARAMS = {"window": 20}
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def _input(candles: int) -> StrategyInput:
    """One symbol's input over ``candles`` closed minutes of a small zig-zag."""
    closes = [Decimal(100 + i % 7) for i in range(candles)]
    bars = tuple(
        Candle(START + timedelta(minutes=i), c, c, c, c, Decimal(1)) for i, c in enumerate(closes)
    )
    at = START + timedelta(minutes=candles)
    last = closes[-1]
    rules = SymbolRules(
        symbol="BTCTRY", base="BTC", quote="TRY", pair_id=1, status="TRADING",
        numerator_scale=8, denominator_scale=2, has_fraction=True, tick_size=None,
        min_price=None, max_price=None, min_notional=Decimal(100), min_limit_price=None,
        max_limit_price=None, order_methods=frozenset({OrderMethod.LIMIT}),
    )  # fmt: skip
    book = OrderBook(
        "BTCTRY", (BookLevel(last, Decimal(1)),), (BookLevel(last + 1, Decimal(1)),), at
    )
    ticker = Ticker("BTCTRY", last, last, last + 1, last, last, last, Decimal(1), last, at)
    snapshot = MarketSnapshot("BTCTRY", rules, ticker, book, bars, at, at, None)
    return StrategyInput(snapshot, PositionView("BTCTRY", ZERO, ZERO))


def _per_call(strategy: Strategy, inp: StrategyInput, calls: int) -> float:
    """Microseconds one ``evaluate`` took, over ``calls`` calls."""
    started = time.perf_counter()
    for _ in range(calls):
        strategy.evaluate(inp)
    return (time.perf_counter() - started) / calls * 1e6


def main() -> None:
    """Print one line per candle count."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--candles", default="25,105", help="comma-separated window sizes")
    args = parser.parse_args()
    print(f"machine: {platform.platform()}, Python {platform.python_version()}")
    local = load_strategy(ENTRY, PARAMS)
    for candles in (int(n) for n in args.candles.split(",")):
        inp = _input(candles)
        started = time.perf_counter()
        with Isolation(secret_names=SECRET_VARIABLES) as isolation:
            remote = isolation.load(ENTRY, PARAMS)
            remote.evaluate(inp)
            first = (time.perf_counter() - started) * 1000
            rounds = [_per_call(remote, inp, args.calls) for _ in range(args.rounds)]
        here = min(_per_call(local, inp, args.calls * 10) for _ in range(args.rounds))
        print(
            f"{candles} candles: start, load and first answer {first:.0f} ms; "
            f"a call through its process {min(rounds):.0f}-{max(rounds):.0f} us; "
            f"in process {here:.1f} us"
        )


if __name__ == "__main__":
    main()
