"""Locating and loading candle files: the bundled BTCTRY/ETHTRY set or files the operator names."""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from btcbot.sim.feed import Bar, load_csv
from btcbot.sim.pairs import normalize_symbol

BUNDLED = ("BTCTRY", "ETHTRY")


def bundled_paths() -> list[Path]:
    """The packaged CSVs (synthetic data made by tools/make_candles.py)."""
    root = resources.files("btcbot.sim") / "data"
    return [Path(str(root / f"{name}.csv")) for name in BUNDLED]


def load_feeds(paths: Iterable[Path] | None = None) -> dict[str, list[Bar]]:
    """Symbol (from the file name, ``BTCTRY.csv`` -> ``BTCTRY``) -> candles.

    Raises ValueError naming the file when one is missing, unreadable or malformed.
    """
    feeds: dict[str, list[Bar]] = {}
    for path in paths if paths is not None else bundled_paths():
        if not path.is_file():
            raise ValueError(f"candle file {path} does not exist")
        symbol = normalize_symbol(path.stem)
        if symbol in feeds:
            raise ValueError(f"two candle files for {symbol}")
        feeds[symbol] = load_csv(path)
    return feeds
