"""Pair metadata the emulator lists in exchangeinfo and validates orders against."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

# Quote currencies recognised when a CSV's file name is split into numerator/denominator.
_QUOTES = ("USDT", "USDC", "TRY", "BTC", "EUR")

# The minimum notional BtcTurk lists per quote currency (exchangeinfo, 2026 captures).
_MIN_NOTIONAL = {"TRY": Decimal("99.91"), "USDT": Decimal("9.91"), "USDC": Decimal("9.91")}

ASSET_NAMES = {
    "TRY": "Türk Lirası",  # noqa: RUF001 -- the Turkish name, as BtcTurk sends it
    "BTC": "Bitcoin",
    "ETH": "Ethereum",
    "USDT": "Tether",
    "USDC": "USD Coin",
    "EUR": "Euro",
}


@dataclass(frozen=True, slots=True)
class PairSpec:
    """What the emulator knows about one pair, in BtcTurk's own terms."""

    symbol: str
    pair_id: int
    numerator: str
    denominator: str
    numerator_scale: int
    denominator_scale: int
    has_fraction: bool
    tick_size: Decimal
    min_exchange_value: Decimal
    order_methods: tuple[str, ...] = ("MARKET", "LIMIT", "STOP_MARKET", "STOP_LIMIT")
    display_format: str = "#,###"
    order: int = 1000

    @property
    def normalized(self) -> str:
        """``BTC_TRY`` style name."""
        return f"{self.numerator}_{self.denominator}"

    @property
    def price_quantum(self) -> Decimal:
        """Smallest price step allowed by the scale rules (1 when hasFraction is false)."""
        scale = self.denominator_scale if self.has_fraction else 0
        quantum = _QUANTA.get(scale)
        return quantum if quantum is not None else Decimal(1).scaleb(-scale)


# Every price the emulator quotes is rounded to one of these: asked several times a minute.
_QUANTA = {scale: Decimal(1).scaleb(-scale) for scale in range(19)}


# Values copied from BtcTurk's exchangeinfo where known (BTCTRY is the captured sample);
# ETHTRY's scales are our choice (integer TRY prices, like BTCTRY) and documented.
_KNOWN = {
    "BTCTRY": PairSpec(
        "BTCTRY",
        1,
        "BTC",
        "TRY",
        8,
        0,
        has_fraction=False,
        tick_size=Decimal(10),
        min_exchange_value=Decimal("99.91"),
    ),
    "ETHTRY": PairSpec(
        "ETHTRY",
        2,
        "ETH",
        "TRY",
        8,
        0,
        has_fraction=False,
        tick_size=Decimal(1),
        min_exchange_value=Decimal("99.91"),
        order=1001,
    ),
    "BTCUSDT": PairSpec(
        "BTCUSDT",
        19,
        "BTC",
        "USDT",
        8,
        0,
        has_fraction=False,
        tick_size=Decimal(1),
        min_exchange_value=Decimal("9.91"),
        order=2000,
    ),
}


def normalize_symbol(raw: str) -> str:
    """``btc_try`` / ``BTC_TRY`` / ``BTCTRY`` -> ``BTCTRY`` (BtcTurk is case-insensitive)."""
    return raw.replace("_", "").strip().upper()


def spec_for(symbol: str, *, reference_price: Decimal, pair_id: int) -> PairSpec:
    """The spec of ``symbol``: BtcTurk's values when known, otherwise derived from its price."""
    symbol = normalize_symbol(symbol)
    if symbol in _KNOWN:
        return _KNOWN[symbol]
    quote = next((q for q in _QUOTES if symbol.endswith(q) and len(symbol) > len(q)), None)
    if quote is None:
        raise ValueError(
            f"cannot tell the quote currency of {symbol!r}; name the CSV <BASE><QUOTE>.csv "
            f"with a quote among {', '.join(_QUOTES)}"
        )
    base = symbol[: -len(quote)]
    # Enough price decimals for ~6 significant digits, as BtcTurk lists for cheap coins.
    digits = len(str(int(reference_price))) if reference_price >= 1 else 0
    scale = max(0, 6 - digits)
    return PairSpec(
        symbol,
        pair_id,
        base,
        quote,
        8,
        scale,
        has_fraction=True,
        tick_size=Decimal(1).scaleb(-scale),
        min_exchange_value=_MIN_NOTIONAL.get(quote, Decimal("0.0001")),
        order=1000 + pair_id,
    )
