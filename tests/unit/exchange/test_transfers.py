"""Deposits and withdrawals as the client reads them (``users/transactions/crypto`` and ``/fiat``).

The account check explains a balance change by these rows, so a withdrawal read as a deposit,
a fee dropped or a row of another window each make the books disagree with the exchange: the
first two silently, the last as a halt nobody can explain.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from exchange_fakes import START, build_client, envelope, new_fake

from btcbot.domain.account import MovementKind, Transfer
from btcbot.domain.errors import MalformedResponseError
from btcbot.exchange import mappers

EP = "GET /api/v1/users/transactions/crypto"
CRYPTO = "/api/v1/users/transactions/crypto"
FIAT = "/api/v1/users/transactions/fiat"


def _row(**changes: Any) -> dict[str, Any]:
    """One row with the fields API.md 4.7 lists (the emulator's spelling)."""
    row: dict[str, Any] = {
        "id": 7,
        "balanceType": "deposit",
        "currencySymbol": "btc",
        "timestamp": 1_790_000_000_123,
        "funds": "0.5",
        "amount": "0.5",
        "fee": "0",
        "tax": "0",
    }
    row.update(changes)
    return row


def _ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def test_a_deposit_is_read_with_its_kind_asset_amount_fee_and_time() -> None:
    """The id names its list (crypto and fiat ids may repeat), the asset is upper case."""
    (transfer,) = mappers.to_transfers([_row()], "crypto", EP)
    assert transfer == Transfer(
        transfer_id="crypto-7",
        kind=MovementKind.DEPOSIT,
        asset="BTC",
        amount=Decimal("0.5"),
        fee=Decimal(0),
        at=datetime(2026, 9, 21, 14, 13, 20, 123_000, tzinfo=UTC),
    )


def test_a_withdrawal_keeps_its_fee_whatever_the_signs() -> None:
    """API.md marks the signs uncertain: amounts and fees are absolute, the kind is the type."""
    rows = [
        _row(id=8, balanceType="Withdrawal", currencySymbol="try", amount="-1000", fee="-2.5"),
        _row(id=9, balanceType=" WITHDRAWAL ", currencySymbol="TRY", amount="1000", fee="2.5"),
    ]
    first, second = mappers.to_transfers(rows, "fiat", EP)
    for transfer in (first, second):
        assert (transfer.kind, transfer.asset) == (MovementKind.WITHDRAWAL, "TRY")
        assert (transfer.amount, transfer.fee) == (Decimal(1000), Decimal("2.5"))
    assert (first.transfer_id, second.transfer_id) == ("fiat-8", "fiat-9")


def test_a_missing_fee_is_zero() -> None:
    """A row without ``fee`` (older captures) cost nothing beyond its amount."""
    row = _row()
    del row["fee"]
    (transfer,) = mappers.to_transfers([row], "crypto", EP)
    assert transfer.fee == Decimal(0)


@pytest.mark.parametrize("balance_type", ["commission", "", "trade"])
def test_a_row_that_is_neither_deposit_nor_withdrawal_is_malformed_never_guessed(
    balance_type: str,
) -> None:
    """The direction decides the sign of the booking: an unknown type is never one of them."""
    with pytest.raises(MalformedResponseError) as caught:
        mappers.to_transfers([_row(), _row(id=5, balanceType=balance_type)], "crypto", EP)
    assert f"crypto transaction 5 has balanceType {balance_type!r}" in str(caught.value)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"id": 7}, "fiat transactions data is not an array"),
        (None, "fiat transactions data is not an array"),
        ([_row(amount="many")], "amount is not a number"),
        ([_row(fee="NaN")], "fee is not a finite number"),
        ([_row(timestamp="soon")], "timestamp is not a number"),
    ],
)
def test_an_unreadable_answer_is_malformed_naming_what(data: Any, words: str) -> None:
    """Not a list, or a row whose number or time does not parse: a typed error, no rows."""
    with pytest.raises(MalformedResponseError) as caught:
        mappers.to_transfers(data, "fiat", EP)
    assert words in str(caught.value)


def test_the_client_asks_both_lists_for_the_window_and_keeps_only_the_window() -> None:
    """Crypto then fiat; BtcTurk's date filters are loose, so rows outside are left out here."""
    fake = new_fake()
    start, end = START - timedelta(hours=1), START
    inside, before, after = start + timedelta(minutes=5), start - timedelta(seconds=1), end
    fake.json(
        "GET",
        CRYPTO,
        envelope(
            [
                _row(id=3, timestamp=_ms(after + timedelta(milliseconds=1))),
                _row(id=2, timestamp=_ms(inside)),
                _row(id=1, timestamp=_ms(before)),
            ]
        ),
    )
    fake.json(
        "GET",
        FIAT,
        envelope(
            [
                _row(id=5, balanceType="withdrawal", currencySymbol="try", timestamp=_ms(end)),
                _row(id=4, currencySymbol="try", amount="5000", timestamp=_ms(start)),
            ]
        ),
    )
    client = build_client(fake)
    try:
        transfers = client.transfers(start, end)
    finally:
        client.close()
    assert [(t.transfer_id, t.kind, t.asset) for t in transfers] == [
        ("crypto-2", MovementKind.DEPOSIT, "BTC"),
        ("fiat-5", MovementKind.WITHDRAWAL, "TRY"),
        ("fiat-4", MovementKind.DEPOSIT, "TRY"),
    ]
    for path in (CRYPTO, FIAT):
        (request,) = fake.sent("GET", path)
        assert dict(request.url.params) == {
            "startDate": str(_ms(start)),
            "endDate": str(_ms(end)),
        }
        assert "X-Signature" in request.headers


def test_a_bad_list_fails_the_whole_read() -> None:
    """One unreadable row in either list: no partial answer the account check could trust."""
    fake = new_fake()
    fake.json("GET", CRYPTO, envelope([_row(timestamp=_ms(START))]))
    fake.json("GET", FIAT, envelope([_row(balanceType="rebate")]))
    client = build_client(fake)
    try:
        with pytest.raises(MalformedResponseError, match="fiat transaction 7 has balanceType"):
            client.transfers(START - timedelta(days=1), START)
    finally:
        client.close()
