"""Benchmark the exchange layer: client -> in-process emulator round trips, engine throughput.

Usage: ``python tools/bench_exchange.py [--seconds 3]``. A script, not a test: it prints
requests (or orders) per second for

- ``ticker``: ``BtcturkClient.ticker`` through ``EmulatorTransport`` (WSGI, no socket);
- ``submit``: ``BtcturkClient.submit_order`` of a resting limit buy, same path;
- ``engine market``: ``SimExchange.submit`` of market buys walking the synthetic book;
- ``engine resting fills``: resting limit orders filled as the replayed price crosses them.

Rate limits are off on both sides (the client's limiter would cap ticker at 10/s otherwise).
Results go in docs/EMULATOR.md together with the machine line this script prints.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from btcbot.adapters.clock import ManualClock, SystemClock
from btcbot.domain.enums import OrderMethod, Side
from btcbot.domain.models import OrderRequest
from btcbot.exchange.client import BtcturkClient
from btcbot.exchange.rate_limit import RateLimiter
from btcbot.exchange.transport import EmulatorTransport
from btcbot.sim.app import create_app
from btcbot.sim.auth import DEFAULT_API_KEY, DEFAULT_API_SECRET
from btcbot.sim.datasets import load_feeds
from btcbot.sim.exchange import SimConfig, SimExchange
from btcbot.sim.validation import parse_order

RICH = Decimal(10) ** 12  # TRY, so no benchmark order ever runs out of balance


def machine() -> str:
    """CPU model, core count and Python version of this machine."""
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model}, nproc={os.cpu_count()}, Python {platform.python_version()}"


def rate(step: Callable[[int], object], seconds: float) -> tuple[float, int]:
    """Run ``step(i)`` repeatedly for about ``seconds``; return (calls per second, calls)."""
    count = 0
    start = time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        step(count)
        count += 1
    return count / elapsed, count


def client_benchmarks(seconds: float) -> dict[str, tuple[float, int]]:
    """Round trips through the real client and EmulatorTransport."""
    clock = SystemClock()
    sim = SimExchange(load_feeds(), now=clock.now, config=SimConfig(start_balance=RICH))
    app = create_app(sim, rate_limits=False)
    client = BtcturkClient(
        base_url="http://127.0.0.1",
        graph_url="http://127.0.0.1/graph",
        api_key=DEFAULT_API_KEY,
        api_secret=DEFAULT_API_SECRET,
        clock=clock,
        transport=EmulatorTransport(app),
        rate_limiter=RateLimiter({}, now=time.time, sleep=time.sleep),
    )
    price = (sim.price("BTCTRY") / 2).quantize(Decimal(10))
    try:
        results = {"client ticker": rate(lambda _i: client.ticker("BTCTRY"), seconds)}

        def submit(i: int) -> None:
            request = OrderRequest(
                symbol="BTCTRY",
                side=Side.BUY,
                method=OrderMethod.LIMIT,
                quantity=Decimal("0.001"),
                price=price,
                client_order_id=f"bench-{i}",
            )
            client.submit_order(request)

        results["client submit (resting limit)"] = rate(submit, seconds)
    finally:
        client.close()
    return results


def engine_benchmarks(seconds: float) -> dict[str, tuple[float, int]]:
    """The matching engine alone, no HTTP and no JSON."""
    clock = ManualClock(datetime(2026, 9, 23, 12, tzinfo=UTC))
    sim = SimExchange(load_feeds(), now=clock.now, config=SimConfig(start_balance=RICH))
    market = {"pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "market"}

    def market_buy(_i: int) -> None:
        sim.advance()
        sim.submit(parse_order({**market, "quantity": "5000"}, sim.pairs))

    results = {"engine market buy (walks book)": rate(market_buy, seconds)}
    resting = SimExchange(load_feeds(), now=clock.now, config=SimConfig(start_balance=RICH))
    price = resting.price("BTCTRY")
    body = {"pairSymbol": "BTCTRY", "orderType": "buy", "orderMethod": "limit"}
    orders = []
    for n in range(2000):
        limit = price - 1000 - 10 * (n % 200)
        orders.append(
            resting.submit(
                parse_order({**body, "price": str(limit), "quantity": "0.001"}, resting.pairs)
            )
        )
    start = time.perf_counter()
    while any(o.is_open for o in orders):
        clock.advance(60)
        resting.advance()
    elapsed = time.perf_counter() - start
    filled = sum(1 for o in orders if not o.is_open)
    results["engine resting limit fills"] = (filled / elapsed, filled)
    return results


def main() -> int:
    """Run every benchmark and print one line each, then the machine."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each timed loop")
    args = parser.parse_args()
    results = {**client_benchmarks(args.seconds), **engine_benchmarks(args.seconds)}
    for name, (per_second, count) in results.items():
        print(f"{name:<34} {per_second:>9.0f} /s  ({count} in the run)")
    print(f"machine: {machine()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
