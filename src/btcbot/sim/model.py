"""The emulator's records: orders, own trades and the account's balances (mutable, in memory)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

UNTOUCHED = "Untouched"
PARTIAL = "Partial"
CLOSED = "Closed"
CANCELED = "Canceled"
OPEN_STATUSES = (UNTOUCHED, PARTIAL)

_DECIMAL_FIELDS = {"price", "stop_price", "quantity", "left", "locked", "amount", "fee", "tax"}


def _dump(obj: Any) -> dict[str, Any]:
    return {k: (str(v) if isinstance(v, Decimal) else v) for k, v in asdict(obj).items()}


def _load(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (Decimal(v) if k in _DECIMAL_FIELDS and v is not None else v) for k, v in raw.items()
    }


@dataclass(slots=True)
class SimOrder:
    """One order. ``quantity``/``left`` are base units unless ``in_quote`` (a market buy)."""

    id: int
    client_id: str
    symbol: str
    side: str  # "buy" | "sell"
    method: str  # "limit" | "market"
    price: Decimal | None
    stop_price: Decimal | None
    quantity: Decimal
    left: Decimal
    status: str
    created_ms: int
    updated_ms: int
    locked_asset: str
    locked: Decimal  # what this order still holds locked in ``locked_asset``
    cancel_at: float | None = None  # epoch seconds after which an accepted cancel takes effect
    cancel_seq: int | None = None  # request number of the DELETE; takes effect on a later one
    in_quote: bool = False  # quantity/left are quote units (a market buy as submitted)

    @property
    def is_open(self) -> bool:
        """True while Untouched or Partial."""
        return self.status in OPEN_STATUSES

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (Decimals as strings)."""
        return _dump(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SimOrder:
        """Inverse of :meth:`to_dict`."""
        return cls(**_load(raw))


@dataclass(slots=True)
class SimTrade:
    """One of the account's fills; amounts, fee and tax positive here (signed on the wire)."""

    id: int
    order_id: int
    client_id: str
    symbol: str
    numerator: str
    denominator: str
    side: str
    price: Decimal
    amount: Decimal
    fee: Decimal
    tax: Decimal
    timestamp_ms: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (Decimals as strings)."""
        return _dump(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SimTrade:
        """Inverse of :meth:`to_dict`."""
        return cls(**_load(raw))


@dataclass(slots=True)
class SimTransfer:
    """A deposit or withdrawal the test or operator made at the emulator (positive amounts)."""

    id: int
    kind: str  # "deposit" | "withdrawal"
    asset: str
    amount: Decimal
    fee: Decimal
    timestamp_ms: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (Decimals as strings)."""
        return _dump(self)

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SimTransfer:
        """Inverse of :meth:`to_dict`."""
        return cls(**_load(raw))


class InsufficientFundsError(Exception):
    """Free balance cannot cover a lock (the engine turns it into code 1122)."""


@dataclass(slots=True)
class Account:
    """Free and locked balance per asset; ``balance = free + locked``."""

    free: dict[str, Decimal] = field(default_factory=dict)
    locked: dict[str, Decimal] = field(default_factory=dict)

    def total(self, asset: str) -> Decimal:
        """Free plus locked."""
        return self.free.get(asset, Decimal(0)) + self.locked.get(asset, Decimal(0))

    def assets(self) -> list[str]:
        """Every asset the account has ever held, TRY first then alphabetical."""
        names = set(self.free) | set(self.locked)
        return sorted(names, key=lambda a: (a != "TRY", a))

    def credit(self, asset: str, amount: Decimal) -> None:
        """Add ``amount`` to free."""
        self.free[asset] = self.free.get(asset, Decimal(0)) + amount
        self.locked.setdefault(asset, Decimal(0))

    def lock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` from free to locked, or raise InsufficientFundsError."""
        if self.free.get(asset, Decimal(0)) < amount:
            raise InsufficientFundsError(asset)
        self.free[asset] -= amount
        self.locked[asset] = self.locked.get(asset, Decimal(0)) + amount

    def unlock(self, asset: str, amount: Decimal) -> None:
        """Move ``amount`` back from locked to free."""
        self.locked[asset] -= amount
        self.free[asset] = self.free.get(asset, Decimal(0)) + amount

    def spend_locked(self, asset: str, amount: Decimal) -> None:
        """Remove ``amount`` from locked (it left the account)."""
        self.locked[asset] -= amount

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "free": {k: str(v) for k, v in self.free.items()},
            "locked": {k: str(v) for k, v in self.locked.items()},
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Account:
        """Inverse of :meth:`to_dict`."""
        return cls(
            free={k: Decimal(v) for k, v in raw["free"].items()},
            locked={k: Decimal(v) for k, v in raw["locked"].items()},
        )
