"""The one place BtcTurk wire data becomes domain objects (Decimal, aware UTC, enums, int ids).

Each ``to_*`` function takes the decoded JSON of one endpoint (the envelope's ``data`` where
there is one) and the endpoint name, and returns domain objects or raises MalformedResponseError.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from btcbot.domain.account import MovementKind, Transfer
from btcbot.domain.errors import MalformedResponseError
from btcbot.domain.models import (
    Balance,
    BookLevel,
    Candle,
    ExchangeInfo,
    OrderBook,
    PublicTrade,
    SymbolRules,
    Ticker,
)
from btcbot.exchange import dto
from btcbot.exchange import wire as w
from btcbot.exchange.probe import server_time_of

_KLINE_COLUMNS = 6  # t, o, h, l, c, v


def to_server_time(data: Any, endpoint: str) -> datetime:
    """``/api/v2/server/time``: ``serverTime`` in ms (the health probe's parser, one for both)."""
    return server_time_of(data, endpoint)


def to_exchange_info(data: Any, endpoint: str, fallback_time: datetime) -> ExchangeInfo:
    """Every symbol whose rules are complete; an incomplete symbol is left out, never guessed.

    A pair left out is unknown to ``rules_for`` and so cannot be traded, which is the safe side.
    """
    parsed = w.validate(dto.ExchangeInfoDTO, data, endpoint)
    server_time = (
        fallback_time
        if parsed.serverTime is None
        else w.from_ms(parsed.serverTime, "serverTime", endpoint)
    )
    rules: dict[str, SymbolRules] = {}
    for raw in parsed.symbols:
        try:
            symbol = to_symbol_rules(raw, endpoint)
        except MalformedResponseError:
            continue
        rules[symbol.symbol] = symbol
    return ExchangeInfo(server_time=server_time, symbols=rules)


def to_symbol_rules(data: Any, endpoint: str) -> SymbolRules:
    """One exchangeinfo symbol; ``minExchangeValue`` is required (no minimum, no trading)."""
    s = w.validate(dto.SymbolDTO, data, endpoint)
    price_filter = _merge_filters(s.filters or [])
    if price_filter.minExchangeValue is None:
        raise MalformedResponseError(f"{s.name} has no minExchangeValue", endpoint=endpoint)
    methods = set()
    for name in s.orderMethods or []:
        try:
            methods.add(w.method(name, "orderMethods", endpoint))
        except MalformedResponseError:
            continue  # a method we do not know cannot be one we send
    return SymbolRules(
        symbol=s.name.replace("_", "").upper(),
        base=s.numerator.upper(),
        quote=s.denominator.upper(),
        pair_id=s.id,
        status=s.status,
        numerator_scale=s.numeratorScale,
        denominator_scale=s.denominatorScale,
        has_fraction=s.hasFraction,
        tick_size=w.opt_dec(price_filter.tickSize, "tickSize", endpoint),
        min_price=w.opt_dec(price_filter.minPrice, "minPrice", endpoint),
        max_price=w.opt_dec(price_filter.maxPrice, "maxPrice", endpoint),
        min_notional=w.dec(price_filter.minExchangeValue, "minExchangeValue", endpoint),
        min_limit_price=w.opt_dec(s.minimumLimitOrderPrice, "minimumLimitOrderPrice", endpoint),
        max_limit_price=w.opt_dec(s.maximumLimitOrderPrice, "maximumLimitOrderPrice", endpoint),
        order_methods=frozenset(methods),
    )


def _merge_filters(filters: list[dto.SymbolFilterDTO]) -> dto.SymbolFilterDTO:
    """Fold every filter into one; a later ``null`` never erases an earlier value."""
    merged: dict[str, Any] = {}
    for item in filters:
        merged.update({k: v for k, v in item.model_dump().items() if v is not None})
    return dto.SymbolFilterDTO.model_validate(merged)


def to_tickers(data: Any, endpoint: str, *, drop_malformed: bool = False) -> list[Ticker]:
    """``/api/v2/ticker``: always an array, even for one pair (empty for an unknown pair).

    ``drop_malformed`` leaves out an item that does not parse instead of failing the whole
    answer: the all-pairs ticker carries some 380 pairs, and one odd row must not blind the
    cycle to the others. A pair left out gets no ticker, so it observes only (the safe side).
    """
    if not isinstance(data, list):
        raise MalformedResponseError("ticker data is not an array", endpoint=endpoint)
    out = []
    for item in data:
        try:
            out.append(_ticker(item, endpoint))
        except MalformedResponseError:
            if not drop_malformed:
                raise
    return out


def _ticker(item: Any, endpoint: str) -> Ticker:
    t = w.validate(dto.TickerDTO, item, endpoint)
    return Ticker(
        symbol=t.pair.replace("_", "").upper(),
        last=w.dec(t.last, "last", endpoint),
        bid=w.dec(t.bid, "bid", endpoint),
        ask=w.dec(t.ask, "ask", endpoint),
        high=w.dec(t.high, "high", endpoint),
        low=w.dec(t.low, "low", endpoint),
        open=w.dec(t.open, "open", endpoint),
        volume=w.dec(t.volume, "volume", endpoint),
        average=w.dec(t.average or t.last, "average", endpoint),
        timestamp=w.from_ms(t.timestamp, "timestamp", endpoint),
    )


def to_order_book(data: Any, symbol: str, endpoint: str) -> OrderBook:
    """``/api/v2/orderbook``: ``[price, amount]`` levels, re-sorted best first to be safe."""
    book = w.validate(dto.OrderBookDTO, data, endpoint)
    bids = sorted(_levels(book.bids, endpoint), key=lambda lvl: lvl.price, reverse=True)
    asks = sorted(_levels(book.asks, endpoint), key=lambda lvl: lvl.price)
    return OrderBook(
        symbol=symbol,
        bids=tuple(bids),
        asks=tuple(asks),
        timestamp=w.from_ms(book.timestamp, "timestamp", endpoint),
    )


def _levels(rows: list[list[str]], endpoint: str) -> list[BookLevel]:
    levels = []
    for row in rows:
        if len(row) < 2:  # noqa: PLR2004 - a level is [price, amount]
            raise MalformedResponseError(
                "order book level is not [price, amount]", endpoint=endpoint
            )
        levels.append(
            BookLevel(w.dec(row[0], "price", endpoint), w.dec(row[1], "amount", endpoint))
        )
    return levels


def to_public_trades(data: Any, endpoint: str) -> list[PublicTrade]:
    """``/api/v2/trades``."""
    if not isinstance(data, list):
        raise MalformedResponseError("trades data is not an array", endpoint=endpoint)
    out = []
    for item in data:
        t = w.validate(dto.PublicTradeDTO, item, endpoint)
        out.append(
            PublicTrade(
                symbol=t.pair.replace("_", "").upper(),
                trade_id=t.tid,
                price=w.dec(t.price, "price", endpoint),
                quantity=w.dec(t.amount, "amount", endpoint),
                side=w.side(t.side, "side", endpoint),
                timestamp=w.from_ms(t.date, "date", endpoint),
            )
        )
    return out


def to_candles(data: Any, endpoint: str) -> list[Candle]:
    """Graph ``klines/history`` columns to candles; ``s`` other than ``ok`` means no data."""
    k = w.validate(dto.KlinesDTO, data, endpoint)
    if k.s != "ok" or not k.t:
        return []
    columns = [col for col in (k.t, k.o, k.h, k.l, k.c, k.v) if col is not None]
    if len(columns) != _KLINE_COLUMNS or any(len(col) != len(k.t) for col in columns):
        raise MalformedResponseError(
            "klines columns missing or of different lengths", endpoint=endpoint
        )
    ts, opens, highs, lows, closes, volumes = columns
    return [
        Candle(
            open_time=w.from_seconds(t, "t", endpoint),
            open=w.dec(o, "o", endpoint),
            high=w.dec(h, "h", endpoint),
            low=w.dec(lo, "l", endpoint),
            close=w.dec(c, "c", endpoint),
            volume=w.dec(v, "v", endpoint),
        )
        for t, o, h, lo, c, v in zip(ts, opens, highs, lows, closes, volumes, strict=True)
    ]


def to_balances(data: Any, endpoint: str) -> list[Balance]:
    """``/api/v1/users/balances``: total = ``balance``, free, locked."""
    if not isinstance(data, list):
        raise MalformedResponseError("balances data is not an array", endpoint=endpoint)
    out = []
    for item in data:
        b = w.validate(dto.BalanceDTO, item, endpoint)
        out.append(
            Balance(
                asset=b.asset.upper(),
                total=w.dec(b.balance, "balance", endpoint),
                free=w.dec(b.free, "free", endpoint),
                locked=w.dec(b.locked, "locked", endpoint),
            )
        )
    return out


def to_transfers(data: Any, kind: str, endpoint: str) -> list[Transfer]:
    """``users/transactions/crypto`` or ``/fiat`` (``kind``) as deposits and withdrawals.

    API.md marks the sign conventions uncertain, so amounts and fees are taken as absolute
    values and the direction from ``balanceType``; a row that is neither a deposit nor a
    withdrawal (or any other shape) is malformed, never guessed at.
    """
    if not isinstance(data, list):
        raise MalformedResponseError(f"{kind} transactions data is not an array", endpoint=endpoint)
    out = []
    for item in data:
        t = w.validate(dto.TransferDTO, item, endpoint)
        balance_type = t.balanceType.strip().lower()
        if "deposit" in balance_type:
            direction = MovementKind.DEPOSIT
        elif "withdraw" in balance_type:
            direction = MovementKind.WITHDRAWAL
        else:
            raise MalformedResponseError(
                f"{kind} transaction {t.id} has balanceType {t.balanceType!r}", endpoint=endpoint
            )
        out.append(
            Transfer(
                transfer_id=f"{kind}-{t.id}",
                kind=direction,
                asset=t.currencySymbol.upper(),
                amount=abs(w.dec(t.amount, "amount", endpoint)),
                fee=abs(w.dec(t.fee, "fee", endpoint)),
                at=w.from_ms(t.timestamp, "timestamp", endpoint),
            )
        )
    return out
