"""Pure matching arithmetic: walking the synthetic book, fees and tax."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from btcbot.sim.book import Level

FEE_QUANTUM = Decimal("0.00000001")


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """Commission rates; ``tax_rate`` is the VAT-like tax charged on the commission."""

    maker: Decimal = Decimal("0.0010")
    taker: Decimal = Decimal("0.0015")
    tax_rate: Decimal = Decimal("0.20")

    def charges(self, notional: Decimal, *, maker: bool) -> tuple[Decimal, Decimal]:
        """Fee and tax on ``notional`` (quote currency), truncated to 8 decimals."""
        fee = (notional * (self.maker if maker else self.taker)).quantize(
            FEE_QUANTUM, rounding=ROUND_DOWN
        )
        return fee, (fee * self.tax_rate).quantize(FEE_QUANTUM, rounding=ROUND_DOWN)

    def buy_lock(self, notional: Decimal) -> Decimal:
        """What a buy of ``notional`` locks: notional plus the maximum commission and tax.

        With the default rates 1 BTC at 50,000 TRY locks 50,090 TRY, BtcTurk's FAQ example.
        """
        return notional * (1 + self.taker * (1 + self.tax_rate))


def walk(
    levels: tuple[Level, ...],
    *,
    base: Decimal | None,
    quote: Decimal | None,
    limit: Decimal,
    is_buy: bool,
    base_quantum: Decimal,
) -> list[tuple[Decimal, Decimal]]:
    """Take liquidity from ``levels`` up to ``limit`` price; give (price, base qty) pieces.

    Exactly one of ``base`` (base quantity wanted) or ``quote`` (quote amount to spend, market
    buys) is set. Quantities are cut to ``base_quantum`` so a fill never exceeds the budget.
    """
    pieces: list[tuple[Decimal, Decimal]] = []
    for level in levels:
        if (is_buy and level.price > limit) or (not is_buy and level.price < limit):
            break
        if base is not None:
            take = min(level.quantity, base)
            base -= take
        else:
            assert quote is not None  # noqa: S101 -- exactly one budget is given, by contract
            take = min(level.quantity, (quote / level.price).quantize(base_quantum, ROUND_DOWN))
            quote -= take * level.price
        if take > 0:
            pieces.append((level.price, take))
        if (base is not None and base <= 0) or (quote is not None and take < level.quantity):
            break
    return pieces
