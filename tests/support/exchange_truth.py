"""Judging the bot's books at the exchange: what the exchange accepted, the bot intended once.

Shared by the fault soak (in process) and the crash campaign (over a socket). Client ids alone
cannot tell a missing intent from a present one: an order the bot recorded only *after* its POST
is adopted by reconciliation under the same client id, and one declared NOT_PLACED after a 5xx
the exchange had accepted may be re-found later. So every exchange order is looked up by its
exchange id, and the row that knows it must be the bot's own intent.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

BOT_PREFIX = "bb-"  # execution.client_ids: every order the bot intends
GAVE_UP = {"not_placed", "rejected"}


@dataclass(frozen=True)
class ExchangeOrder:
    """One order as the exchange itself lists it."""

    order_id: int
    client_id: str | None


def book_problems(
    exchange: Iterable[ExchangeOrder],
    rows: Sequence[tuple[object, object, object, object]],
    foreign: Collection[int] = (),
) -> list[str]:
    """Every way the books disagree with the exchange.

    ``rows`` are the DB's orders as ``(client_order_id, exchange_order_id, origin, state)``;
    ``foreign`` the exchange ids in the DB's ``foreign_orders``. An order whose client id is
    not the bot's must be foreign, and never one of the bot's rows.
    """
    problems: list[str] = []
    by_exchange_id = {int(str(r[1])): r for r in rows if r[1] is not None}
    gave_up = {str(r[0]) for r in rows if str(r[3]) in GAVE_UP}
    for order in exchange:
        row = by_exchange_id.get(order.order_id)
        if not (order.client_id or "").startswith(BOT_PREFIX):
            if order.order_id not in foreign:
                problems.append(f"foreign order {order.order_id} ({order.client_id}) not seen")
            if row is not None:
                problems.append(f"foreign order {order.order_id} was adopted as {row[0]}")
            continue
        if row is None:
            problems.append(
                f"exchange order {order.order_id} ({order.client_id}) unknown to the DB"
            )
            continue
        ours = (order.client_id or "").startswith(BOT_PREFIX)
        if ours and (str(row[2]) != "bot" or str(row[0]) != order.client_id):
            problems.append(
                f"{order.client_id} was accepted by the exchange but its row is "
                f"{row[2]} {row[0]}: the bot did not record intending it before the POST"
            )
        if order.client_id in gave_up:
            problems.append(f"{order.client_id} is declared given up but the exchange has it")
    return problems


def account_problems(
    exchange: Mapping[str, Decimal],
    books: Mapping[str, Decimal],
    outside: Mapping[str, Decimal],
) -> list[str]:
    """Every asset where the exchange's balance is not the bot's books plus what lies outside."""
    problems = []
    for asset in sorted(set(exchange) | set(books) | set(outside)):
        have = exchange.get(asset, Decimal(0))
        mine, theirs = books.get(asset, Decimal(0)), outside.get(asset, Decimal(0))
        if have != mine + theirs:
            problems.append(f"{asset}: exchange {have} != books {mine} + outside {theirs}")
    return problems
