"""Generate the emulator's bundled 1-minute candles (synthetic, reproducible, fixed seed).

Usage: ``python tools/make_candles.py [--days 3] [--out src/btcbot/sim/data]``. The data is
NOT market history: a seeded random walk (geometric Brownian motion with mild mean reversion)
at realistic 2026 TRY price levels, so the emulator has plausible prices and volumes to replay.
Running it again with the same arguments rewrites byte-identical files.
"""

from __future__ import annotations

import argparse
import math
import random
from dataclasses import dataclass
from pathlib import Path

START_TS = 1_790_121_600  # 2026-09-23T00:00:00Z: the series' first minute
SEED = 20_260_923


@dataclass(frozen=True)
class Profile:
    """How one pair's synthetic series behaves."""

    symbol: str
    start_price: float  # TRY
    minute_vol: float  # standard deviation of one minute's log return
    wick: float  # typical wick size beyond open/close, as a fraction of price
    volume: float  # median base volume per minute
    decimals: int  # decimals of prices in the file


PROFILES = (
    Profile("BTCTRY", 3_850_000.0, 0.0009, 0.0004, 0.25, 0),
    Profile("ETHTRY", 131_000.0, 0.0012, 0.0005, 4.0, 0),
)


def generate(profile: Profile, minutes: int, rng: random.Random) -> list[str]:
    """CSV rows ``ts,open,high,low,close,volume`` for ``minutes`` consecutive minutes."""
    rows = []
    log_anchor = math.log(profile.start_price)
    log_price = log_anchor
    for n in range(minutes):
        # Mild pull toward the start level keeps a looped replay within a realistic band.
        drift = -0.002 * (log_price - log_anchor)
        step = drift + rng.gauss(0.0, profile.minute_vol)
        open_ = math.exp(log_price)
        log_price += step
        close = math.exp(log_price)
        high = max(open_, close) * (1 + abs(rng.gauss(0.0, profile.wick)))
        low = min(open_, close) * (1 - abs(rng.gauss(0.0, profile.wick)))
        volume = profile.volume * math.exp(rng.gauss(0.0, 0.6)) * (1 + 200 * abs(step))
        o, h, lo, c = (round(x, profile.decimals) for x in (open_, high, low, close))
        h, lo = max(h, o, c), min(lo, o, c)
        rows.append(
            f"{START_TS + 60 * n},{o:.{profile.decimals}f},{h:.{profile.decimals}f},"
            f"{lo:.{profile.decimals}f},{c:.{profile.decimals}f},{volume:.8f}"
        )
    return rows


def profiles(count: int) -> tuple[Profile, ...]:
    """The two bundled profiles, then more synthetic pairs (``C3TRY``...) for wider benchmarks."""
    extra = tuple(
        Profile(f"C{n}TRY", 1_000.0 * (n + 1), 0.001, 0.0005, 50.0, 2) for n in range(3, count + 1)
    )
    return (PROFILES + extra)[:count]


def write(
    out: Path, *, minutes: int, seed: int = SEED, symbols: int = 2, gap_every: int = 0
) -> list[Path]:
    """One CSV per profile; ``gap_every`` > 0 drops every such minute (a missing candle)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, profile in enumerate(profiles(symbols)):
        rng = random.Random(seed + index)
        rows = generate(profile, minutes, rng)
        if gap_every > 0:
            rows = [r for n, r in enumerate(rows) if n == 0 or n % gap_every]
        path = out / f"{profile.symbol}.csv"
        path.write_text("ts,open,high,low,close,volume\n" + "\n".join(rows) + "\n", "utf-8")
        paths.append(path)
    return paths


def main() -> int:
    """Write one CSV per profile into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--minutes", type=int, help="candles per file (overrides --days)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--symbols", type=int, default=2, help="how many pairs (default 2)")
    parser.add_argument("--gap-every", type=int, default=0, help="drop every Nth minute")
    parser.add_argument("--out", type=Path, default=Path("src/btcbot/sim/data"))
    args = parser.parse_args()
    minutes = args.minutes or args.days * 1440
    for path in write(
        args.out, minutes=minutes, seed=args.seed, symbols=args.symbols, gap_every=args.gap_every
    ):
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
