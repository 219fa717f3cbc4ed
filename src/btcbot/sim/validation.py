"""Checks a POST /api/v1/order body the way BtcTurk does, in BtcTurk's order, with its codes.

Order of checks (first failure wins): pair -> orderType -> orderMethod (and whether the pair
offers it) -> numbers present and positive -> price scale (1126) -> quantity scale (1127) ->
stop price scale (1128). The engine then checks the dynamic price band (1226/1227), the stop
price's side of the market (1124/1125), the minimum notional (1123) and the free balance
including the commission lock (1122).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from btcbot.sim.pairs import PairSpec, normalize_symbol

_NUMBER = re.compile(r"^\d{0,12}(\.\d{1,16})?$")
_METHODS = {
    "limit": "limit",
    "market": "market",
    "stoplimit": "stoplimit",
    "stopmarket": "stopmarket",
}
_METHOD_INTS = {0: "limit", 1: "market", 2: "stoplimit", 3: "stopmarket"}
_METHOD_FILTER = {"limit": "LIMIT", "market": "MARKET", "stoplimit": "STOP_LIMIT",
                  "stopmarket": "STOP_MARKET"}  # fmt: skip
_NOT_OFFERED = {"market": ("FAILED_MARKET_ORDER", 1118), "limit": ("FAILED_LIMIT_ORDER", 1120)}
MAX_CLIENT_ID = 50


class SimRejectError(Exception):
    """A request the emulator refuses, with the HTTP status and BtcTurk's message and code.

    ``full`` selects the 2020-2024 order-error shape ``{httpStatusCode, data: null, success,
    message, code}``; otherwise the shorter captured shape ``{success, message, code}``.
    """

    def __init__(
        self, message: str, code: int | str, *, status: int = 400, full: bool = True
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.status = status
        self.full = full


@dataclass(frozen=True, slots=True)
class OrderParams:
    """A syntactically valid order; ``quantity`` is quote units for a market buy."""

    spec: PairSpec
    side: str
    method: str
    quantity: Decimal
    price: Decimal | None
    stop_price: Decimal | None
    client_id: str | None


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _number(raw: Any) -> Decimal | None:
    """A JSON number or numeric string -> Decimal; ``None``/zero-like absent values -> None."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise SimRejectError("FAILED_ORDER_PARAMETER", 1037)
    text = str(raw)
    if isinstance(raw, str) and not _NUMBER.match(text):
        raise SimRejectError("FAILED_ORDER_PARAMETER", 1037)
    try:
        value = Decimal(text)
    except InvalidOperation as exc:
        raise SimRejectError("FAILED_ORDER_PARAMETER", 1037) from exc
    if not value.is_finite() or value < 0:
        # The bare name, as every other refusal: clients match ``message`` exactly (API.md 5).
        raise SimRejectError("FAILED_ORDER_PARAMETER", 1037)
    return value


def _enum(raw: Any, names: dict[str, str], ints: dict[int, str]) -> str | None:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return ints.get(raw)
    if isinstance(raw, str):
        return names.get(raw.strip().lower().replace("_", ""))
    return None


def parse_order(body: dict[str, Any], pairs: dict[str, PairSpec]) -> OrderParams:
    """Validate ``body`` (keys bind case-insensitively) or raise SimRejectError."""
    fields = {str(k).lower(): v for k, v in body.items()}
    raw_pair = fields.get("pairsymbol")
    if not isinstance(raw_pair, str) or not raw_pair.strip():
        raise SimRejectError("INVALID_REQUEST_ERROR", 1037)
    spec = pairs.get(normalize_symbol(raw_pair))
    if spec is None:
        raise SimRejectError(f"Pair {normalize_symbol(raw_pair)} does not exists.", 1037)
    side = _enum(fields.get("ordertype"), {"buy": "buy", "sell": "sell"}, {0: "buy", 1: "sell"})
    if side is None:
        raise SimRejectError("ORDER_TYPE_NOT_SUPPORTED", 1193)
    method = _enum(fields.get("ordermethod"), _METHODS, _METHOD_INTS)
    if method is None:
        raise SimRejectError("ORDER_METHOD_NOT_SUPPORTED", 1134)
    if _METHOD_FILTER[method] not in spec.order_methods:
        raise SimRejectError(*_NOT_OFFERED.get(method, ("ORDER_METHOD_NOT_SUPPORTED", 1134)))
    quantity = _number(fields.get("quantity"))
    price = _number(fields.get("price")) if method != "market" else None
    stop = _number(fields.get("stopprice")) if method.startswith("stop") else None
    if not quantity:
        raise SimRejectError("FAILED_ORDER_PARAMETER", 1037)
    if method in ("limit", "stoplimit") and not price:
        raise SimRejectError("FAILED_ORDER_PARAMETER", 1037)
    if method.startswith("stop") and not stop:
        raise SimRejectError("FAILED_ORDER_PARAMETER", 1037)
    _check_scales(spec, side=side, method=method, quantity=quantity, price=price, stop=stop)
    raw_client = fields.get("neworderclientid")
    client_id = None if raw_client is None else str(raw_client)
    if client_id is not None and len(client_id) > MAX_CLIENT_ID:
        raise SimRejectError("FAILED_ORDER_PARAMETER", 1037)
    return OrderParams(spec, side, method, quantity, price, stop, client_id or None)


def _price_scale_ok(spec: PairSpec, value: Decimal) -> bool:
    limit = spec.denominator_scale if spec.has_fraction else 0
    return _decimals(value) <= limit


def _check_scales(
    spec: PairSpec,
    *,
    side: str,
    method: str,
    quantity: Decimal,
    price: Decimal | None,
    stop: Decimal | None,
) -> None:
    if price is not None and not _price_scale_ok(spec, price):
        raise SimRejectError("FAILED_INVALID_PRICE_SCALE", 1126)
    quote_amount = method == "market" and side == "buy"
    qty_ok = (
        _price_scale_ok(spec, quantity)
        if quote_amount
        else _decimals(quantity) <= spec.numerator_scale
    )
    if not qty_ok:
        raise SimRejectError("FAILED_INVALID_QUANTITY_SCALE", 1127)
    if stop is not None and not _price_scale_ok(spec, stop):
        raise SimRejectError("FAILED_INVALID_STOP_PRICE_SCALE", 1128)


def check_band(price: Decimal | None, *, low: Decimal, high: Decimal) -> None:
    """Refuse a limit price outside the dynamic band (0.1x .. 10x the current price).

    Whether BtcTurk accepts a price on an edge is undocumented (API.md section 5); the name
    reads "must be less than", so the emulator refuses both edges, the stricter reading: a dry
    run must never accept what the exchange may refuse (``btcbot.domain.quantize`` never sends
    an edge either).
    """
    if price is None:
        return
    if price >= high:
        raise SimRejectError("PRICE_MUST_BE_LESS_THAN_MAXPRICE", 1226)
    if price <= low:
        # Sic: BtcTurk's name for "below the minimum price" (API.md section 5).
        raise SimRejectError("PRICE_MUST_BE_LESS_THAN_MINPRICE", 1227)


def check_stop_side(stop: Decimal, *, buy: bool, best_bid: Decimal, best_ask: Decimal) -> None:
    """A buy stop must sit above the market and a sell stop below it (1125 / 1124)."""
    if buy and stop < best_bid:
        raise SimRejectError("FAILED_STOP_PRICE_LESS_THAN_BEST_BID", 1125)
    if not buy and stop > best_ask:
        raise SimRejectError("FAILED_STOP_PRICE_GREATER_THAN_BEST_ASK", 1124)
