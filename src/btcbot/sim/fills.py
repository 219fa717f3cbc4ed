"""What happens to orders after they are accepted: taking the book, resting fills, stop triggers.

Functions over a :class:`~btcbot.sim.exchange.SimExchange`; they move balances between the
account's free and locked amounts and append the account's trades.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal
from typing import TYPE_CHECKING

from btcbot.sim.book import Book, Level
from btcbot.sim.matching import walk
from btcbot.sim.model import CANCELED, CLOSED, PARTIAL, SimOrder, SimTrade

if TYPE_CHECKING:
    from btcbot.sim.exchange import SimExchange


def _quantum(sim: SimExchange, order: SimOrder) -> Decimal:
    return Decimal(1).scaleb(-sim.pairs[order.symbol].numerator_scale)


def take(sim: SimExchange, order: SimOrder, levels: tuple[Level, ...], *, limit: Decimal) -> None:
    """A marketable limit order takes the book up to its price, as taker; the rest rests."""
    pieces = walk(
        levels,
        base=order.left,
        quote=None,
        limit=limit,
        is_buy=order.side == "buy",
        base_quantum=_quantum(sim, order),
    )
    stamp = sim.ms()
    for price, qty in pieces:
        fill(sim, order, price, qty, maker=False, stamp=stamp)


def run_market(
    sim: SimExchange, order: SimOrder, book: Book, *, cap: Decimal | None = None
) -> None:
    """Walk the book at most ``market_band`` from the best price (and not past ``cap``).

    Closed when done (quote dust too small for one base unit counts as done); otherwise the
    remainder is dropped and the order ends Canceled, as BtcTurk does with market remainders.
    """
    band = sim.config.market_band
    buy = order.side == "buy"
    limit = book.best_ask * (1 + band) if buy else book.best_bid * (1 - band)
    if cap is not None:
        limit = min(limit, cap) if buy else max(limit, cap)
    quantum = _quantum(sim, order)
    pieces = walk(
        book.asks if buy else book.bids,
        base=None if order.in_quote else order.left,
        quote=order.left if order.in_quote else None,
        limit=limit,
        is_buy=buy,
        base_quantum=quantum,
    )
    stamp = sim.ms()
    for price, qty in pieces:
        fill(sim, order, price, qty, maker=False, stamp=stamp)
    if order.is_open:
        dust = order.in_quote and order.left < book.best_ask * quantum
        order.status = CLOSED if dust else CANCELED
        if dust:
            order.left = Decimal(0)
        finish(sim, order, stamp)


def fill(
    sim: SimExchange, order: SimOrder, price: Decimal, qty: Decimal, *, maker: bool, stamp: int
) -> None:
    """Trade ``qty`` base at ``price``: move balances, charge fee and tax, record the trade."""
    spec = sim.pairs[order.symbol]
    notional = price * qty
    fee, tax = sim.config.fees.charges(notional, maker=maker)
    if order.side == "buy":
        cost = notional + fee + tax
        sim.account.spend_locked(spec.denominator, cost)
        order.locked -= cost
        sim.account.credit(spec.numerator, qty)
    else:
        sim.account.spend_locked(spec.numerator, qty)
        order.locked -= qty
        sim.account.credit(spec.denominator, notional - fee - tax)
    order.left -= notional if order.in_quote else qty
    sim.trades.append(
        SimTrade(
            id=sim.next_trade_id(),
            order_id=order.id,
            client_id=order.client_id,
            symbol=order.symbol,
            numerator=spec.numerator,
            denominator=spec.denominator,
            side=order.side,
            price=price,
            amount=qty,
            fee=fee,
            tax=tax,
            timestamp_ms=stamp,
        )
    )
    order.status = CLOSED if order.left <= 0 else PARTIAL
    order.updated_ms = stamp
    if order.status == CLOSED:
        finish(sim, order, stamp)
    sim.dirty = True


def finish(sim: SimExchange, order: SimOrder, stamp: int) -> None:
    """Leave the open set: give back whatever the order still holds locked."""
    if order.locked > 0:
        sim.account.unlock(order.locked_asset, order.locked)
    order.locked = Decimal(0)
    order.updated_ms = stamp
    sim.open.pop(order.id, None)
    sim.dirty = True


def match_resting(sim: SimExchange, symbol: str, start: float, end: float) -> None:
    """Fill resting limit orders the price path crossed in ``[start, end]``, as maker.

    At the order's own price, best price first, at most ``participation`` x the replayed
    volume of the interval per side.
    """
    resting = [o for o in sim.open.values() if o.symbol == symbol and o.method == "limit"]
    if not resting:
        return
    feed = sim.feeds[symbol]
    low, high = feed.range_between(start, end)
    volume = feed.volume_between(start, end) * sim.config.participation
    stamp = sim.stamp(end)
    buys = sorted((o for o in resting if o.side == "buy"), key=lambda o: (-(o.price or 0), o.id))
    sells = sorted((o for o in resting if o.side == "sell"), key=lambda o: (o.price or 0, o.id))
    for orders in (buys, sells):
        capacity = volume
        for order in orders:
            price = order.price or Decimal(0)
            if (order.side == "buy" and price < low) or (order.side == "sell" and price > high):
                break
            qty = min(order.left, capacity).quantize(_quantum(sim, order), rounding=ROUND_DOWN)
            if qty <= 0:
                break
            fill(sim, order, price, qty, maker=True, stamp=stamp)
            capacity -= qty


def trigger_stops(sim: SimExchange, symbol: str, start: float, end: float) -> None:
    """Trigger the stops the price path reached in ``[start, end]``.

    As on BtcTurk (API.md section 8), the stop order turns Canceled and a new order (new id,
    same client id, method limit or market) takes over its quantity and its lock.
    """
    stops = [o for o in sim.open.values() if o.symbol == symbol and o.method.startswith("stop")]
    if not stops:
        return
    low, high = sim.feeds[symbol].range_between(start, end)
    stamp = sim.stamp(end)
    for stop in sorted(stops, key=lambda o: o.id):
        trigger = stop.stop_price or Decimal(0)
        if (stop.side == "buy" and high < trigger) or (stop.side == "sell" and low > trigger):
            continue
        locked, stop.locked = stop.locked, Decimal(0)
        stop.status = CANCELED
        finish(sim, stop, stamp)
        child = sim.new_order(
            symbol=symbol,
            side=stop.side,
            method="limit" if stop.method == "stoplimit" else "market",
            quantity=stop.quantity,
            price=stop.price,
            stop_price=stop.stop_price,
            client_id=stop.client_id,
            asset=stop.locked_asset,
            locked=locked,
        )
        book = sim.book(symbol)
        if child.method == "market":
            cap = trigger * (1 + sim.config.market_band) if child.side == "buy" else None
            run_market(sim, child, book, cap=cap)
        elif child.side == "buy" and marketable(child, book):
            take(sim, child, book.asks, limit=child.price or Decimal(0))
        elif child.side == "sell" and marketable(child, book):
            take(sim, child, book.bids, limit=child.price or Decimal(0))


def marketable(order: SimOrder, book: Book) -> bool:
    """Whether a limit order is marketable against ``book``."""
    price = order.price or Decimal(0)
    return price >= book.best_ask if order.side == "buy" else price <= book.best_bid
