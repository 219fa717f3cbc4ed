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


def main() -> int:
    """Write one CSV per profile into ``--out``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=3)
    parser.add_argument("--out", type=Path, default=Path("src/btcbot/sim/data"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for index, profile in enumerate(PROFILES):
        rng = random.Random(SEED + index)
        rows = generate(profile, args.days * 1440, rng)
        path = args.out / f"{profile.symbol}.csv"
        path.write_text("ts,open,high,low,close,volume\n" + "\n".join(rows) + "\n", "utf-8")
        print(f"wrote {path} ({len(rows)} candles, {path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
