"""Client order ids: deterministic, distinct per intent, never longer than BtcTurk's 50."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from btcbot.domain.enums import Side
from btcbot.execution.client_ids import MAX_CLIENT_ORDER_ID, client_order_id, is_bot_client_id

_cycles = st.text(min_size=1, max_size=200)
_symbols = st.from_regex(r"[A-Z0-9]{1,20}", fullmatch=True)


def test_readable_format() -> None:
    """A short alphanumeric cycle id is used verbatim: bb-<cycle>-<index>-<SYMBOL>-<b|s>."""
    assert client_order_id("c000042", 3, "BTCTRY", Side.SELL) == "bb-c000042-3-BTCTRY-s"


@given(_cycles, st.integers(0, 10_000), _symbols, st.sampled_from(Side))
def test_deterministic_and_short(cycle: str, index: int, symbol: str, side: Side) -> None:
    """Any inputs give the same id twice, at most 50 characters, recognisably the bot's."""
    first = client_order_id(cycle, index, symbol, side)
    assert first == client_order_id(cycle, index, symbol, side)
    assert len(first) <= MAX_CLIENT_ORDER_ID
    assert is_bot_client_id(first)


@given(_cycles, _cycles, st.integers(0, 50), st.integers(0, 50), st.sampled_from(Side))
def test_distinct_intents_get_distinct_ids(
    cycle_a: str, cycle_b: str, index_a: int, index_b: int, side: Side
) -> None:
    """Two different (cycle, index) pairs never share an id."""
    if (cycle_a, index_a) == (cycle_b, index_b):
        return
    assert client_order_id(cycle_a, index_a, "BTCTRY", side) != client_order_id(
        cycle_b, index_b, "BTCTRY", side
    )


def test_long_cycle_id_is_hashed() -> None:
    """A cycle id that is long or has punctuation is replaced by a short hash."""
    cid = client_order_id("2026-11-23T12:00:00Z-live-7f3a9c2e-0001", 0, "BTCTRY", Side.BUY)
    assert cid.startswith("bb-h")
    assert len(cid) <= MAX_CLIENT_ORDER_ID


@pytest.mark.parametrize(
    ("cycle", "index", "symbol"), [("", 0, "BTCTRY"), ("c1", -1, "BTCTRY"), ("c1", 0, "btc_try")]
)
def test_bad_inputs_are_refused(cycle: str, index: int, symbol: str) -> None:
    """Empty cycle ids, negative indexes and non-canonical symbols raise ValueError."""
    with pytest.raises(ValueError, match=r"cycle_id|index|symbol"):
        client_order_id(cycle, index, symbol, Side.BUY)


def test_foreign_ids_are_not_the_bots() -> None:
    """GUIDs and hand-typed ids are recognised as someone else's."""
    assert not is_bot_client_id("f3b1c1a0-8d1e-4c4e-9e3a-2c1d8a0e7b11")
    assert not is_bot_client_id(None)


def test_a_hashed_cycle_keeps_the_rest_readable() -> None:
    """A cycle id with punctuation becomes h + 15 hex digits of its sha256; a buy ends in b."""
    cycle = "2026-11-23T12:00:00Z-live-7f3a9c2e-0001"
    digest = hashlib.sha256(cycle.encode("utf-8")).hexdigest()
    assert client_order_id(cycle, 7, "ETHTRY", Side.BUY) == f"bb-h{digest[:15]}-7-ETHTRY-b"


def test_an_id_of_exactly_fifty_characters_stays_readable() -> None:
    """50 characters is BtcTurk's limit, not over it: the id is kept as it reads."""
    cycle, symbol = "c" * 22, "A" * 20
    cid = client_order_id(cycle, 0, symbol, Side.SELL)
    assert (len(cid), cid) == (MAX_CLIENT_ORDER_ID, f"bb-{cycle}-0-{symbol}-s")


def test_an_id_over_fifty_characters_is_a_hash_of_every_input() -> None:
    """One character more and the id becomes bb-h plus 32 hex digits of all four inputs."""
    cycle, symbol = "c" * 22, "A" * 20
    digest = hashlib.sha256(f"{cycle}|10|{symbol}|sell".encode()).hexdigest()
    assert client_order_id(cycle, 10, symbol, Side.SELL) == f"bb-h{digest[:32]}"
