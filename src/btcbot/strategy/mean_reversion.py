"""Mean reversion: buy a close far under its rolling mean; exit on take-profit or stop-loss.

- Entry (flat, nothing open): z-score of the newest close over ``window`` closes is at or
  below ``-entry_z``.
- Exits (a sellable position held, no sell open), priced at the best bid against the
  position's average cost: take-profit at ``avg_cost x (1 + take_profit_pct/100)`` or above,
  stop-loss at ``avg_cost x (1 - stop_loss_pct/100)`` or below. Exits need no history.
"""

from __future__ import annotations

import decimal
from dataclasses import dataclass

from btcbot.domain.enums import Side
from btcbot.domain.trading import HUNDRED, Signal
from btcbot.strategy.indicators import zscore
from btcbot.strategy.params import MEAN_REVERSION, MeanReversionParams
from btcbot.strategy.protocols import StrategyInput

_CONTEXT = decimal.Context(prec=28, rounding=decimal.ROUND_HALF_EVEN)


@dataclass(frozen=True, slots=True)
class MeanReversion:
    """Z-score entry with take-profit and stop-loss exits."""

    params: MeanReversionParams

    @property
    def name(self) -> str:
        """``mean_reversion``."""
        return MEAN_REVERSION

    @property
    def required_candles(self) -> int:
        """The z-score window."""
        return self.params.window

    def evaluate(self, inp: StrategyInput) -> Signal | None:
        """An exit when holding, else an entry when the close is far enough under its mean."""
        if inp.holds:
            return self._exit(inp)
        if inp.has_open():
            return None
        p = self.params
        z = zscore(inp.closes, p.window)
        if z is None or z > -p.entry_z:
            return None
        return Signal(
            symbol=inp.symbol,
            side=Side.BUY,
            size_hint=p.order_notional_try,
            reason=f"close {inp.closes[-1]} is {z:.2f} deviations from its {p.window}-candle mean",
            strategy=self.name,
            as_of=inp.as_of,
        )

    def _exit(self, inp: StrategyInput) -> Signal | None:
        if inp.has_open(Side.SELL):
            return None
        p = self.params
        cost = inp.position.avg_cost
        price = inp.exit_price
        with decimal.localcontext(_CONTEXT):
            take_profit = cost * (1 + p.take_profit_pct / HUNDRED)
            stop_loss = cost * (1 - p.stop_loss_pct / HUNDRED)
        if price >= take_profit:
            return inp.exit_signal(
                self.name, f"take-profit: bid {price} >= {take_profit:.2f} (cost {cost:.2f})"
            )
        if price <= stop_loss:
            return inp.exit_signal(
                self.name, f"stop-loss: bid {price} <= {stop_loss:.2f} (cost {cost:.2f})"
            )
        return None
