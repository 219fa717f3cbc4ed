"""The one exception tree of btcbot.

Lower-level errors (httpx, sqlite3, pydantic, OSError) are translated once, at the package that
meets them, with ``raise ... from exc``. Messages are one line, name what was wrong and what to
do, and never contain a secret.

BtcbotError                      root; the CLI maps each branch to a documented exit code
├── ConfigError                  bad environment variable or argument (exit 2; health: 3)
├── SafetyRefusalError           refused for safety (exit 4)
│   ├── RoleMismatchError        the database's role tag is not this process's APP_ROLE
│   ├── SharedDatabaseError      LIVE and MONITOR point at the same file
│   ├── LockHeldError            another live process holds ``<db>.lock`` (or the account lock)
│   ├── AccountMismatchError     the LIVE database is bound to another account than this key
│   ├── SchemaTooNewError        the database was migrated by a newer btcbot
│   ├── DatabaseMissingError     STATE_DB_PATH does not exist or is not a btcbot database
│   ├── DatabaseExistsError      ``db init`` refused: STATE_DB_PATH already exists
│   └── TradeBlockedError        a submit/cancel was attempted while trading is not allowed
├── StateError                   the database could not be read or written (exit 1)
│   ├── StorageDamagedError      the file is corrupt or truncated: restore from its backup
│   ├── StorageFullError         the disk (or the file system's quota) is full
│   └── StorageReadOnlyError     the file or its directory cannot be written
├── ExchangeError                anything the exchange adapter could not do; carries ``endpoint``
│   ├── ExchangeRejectError      definitive 4xx with a BtcTurk code/name; never retried
│   │   ├── InsufficientBalanceError  1122 FAILED_ORDER_WITH_OPEN_ORDERS (and BALANCE_NOT_ENOUGH)
│   │   └── OrderNotFoundError   1052 NO_ORDER_MATCHES_YOUR_REQUEST / 1152 Order not found
│   ├── AuthenticationError      401: key, signature, stamp window or IP binding
│   ├── RateLimitedError         429; ``retry_after`` seconds from the header
│   ├── ExchangeUnavailableError 5xx, 503 maintenance, transport failure, timeout (GETs)
│   ├── MalformedResponseError   the body did not have the documented shape
│   └── AmbiguousOrderError      an order POST/cancel whose outcome is unknown (timeout, 5xx,
│                                reset): the order may exist; reconcile by client order id
├── QuantizationError            an order cannot be made acceptable to the venue's rules
├── MarketDataError              no snapshot for a symbol (pair not listed, fetch failed)
└── LedgerError                  a fill or a valuation the ledger cannot account for
    ├── InvalidFillError         a fill breaks the Fill contract (sign, unknown pair, fee asset)
    ├── InventoryShortfallError  a sell is larger than the position and adoption is off
    └── MissingMarkError         valuing a non-flat position without a mark price for it
"""

from __future__ import annotations

# typing itself costs 2 ms at start-up; mypy reads this constant as typing's own.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from decimal import Decimal  # an annotation only: every command imports these errors


class BtcbotError(Exception):
    """Root of every error btcbot raises on purpose."""


class ConfigError(BtcbotError):
    """The environment or the command line is wrong; the message names the variable."""


class SafetyRefusalError(BtcbotError):
    """btcbot refused to go on because going on could trade by accident or mix state."""


class RoleMismatchError(SafetyRefusalError):
    """The database is tagged for the other role."""


class SharedDatabaseError(SafetyRefusalError):
    """LIVE and MONITOR resolve to the same database file."""


class LockHeldError(SafetyRefusalError):
    """Another running process holds the database lock."""


class SchemaTooNewError(SafetyRefusalError):
    """The database schema is newer than this code knows."""


class DatabaseMissingError(SafetyRefusalError):
    """The database does not exist or is not a btcbot state database."""


class DatabaseExistsError(SafetyRefusalError):
    """``btcbot db init`` will not overwrite an existing file."""


class TradeBlockedError(SafetyRefusalError):
    """A submit or cancel was attempted where trading is not allowed; raised before any I/O."""


class AccountMismatchError(SafetyRefusalError):
    """The LIVE database is bound to another account than this session's API key."""


class StateError(BtcbotError):
    """The state database could not be read or written."""


class StorageDamagedError(StateError):
    """A file btcbot keeps state in is corrupt or truncated; the message names the backup."""


class StorageFullError(StateError):
    """A write failed because the disk is full."""


class StorageReadOnlyError(StateError):
    """A write failed because the file or its directory is read-only."""


class OutputError(BtcbotError):
    """A research command's results could not be written (a full disk, say): exit 1."""


class WorkerLostError(BtcbotError):
    """A sweep's worker process ended while running a backtest: exit 1.

    A strategy that ends its own process and a machine out of memory look alike from outside.
    """


class ExchangeError(BtcbotError):
    """The exchange adapter could not complete a call.

    Attributes:
        endpoint: ``METHOD /path`` of the call, never with query values or headers.
    """

    def __init__(self, message: str, *, endpoint: str) -> None:
        super().__init__(f"{endpoint}: {message}")
        self.endpoint = endpoint


class ExchangeRejectError(ExchangeError):
    """BtcTurk refused the request definitively (HTTP 4xx with a code); retrying cannot help."""

    def __init__(
        self, message: str, *, endpoint: str, code: int | str | None, name: str | None
    ) -> None:
        super().__init__(message, endpoint=endpoint)
        self.code = code
        self.name = name


class InsufficientBalanceError(ExchangeRejectError):
    """Free balance (after open-order locks and commission) does not cover the order."""


class OrderNotFoundError(ExchangeRejectError):
    """The order id is unknown to the exchange."""


class AuthenticationError(ExchangeError):
    """HTTP 401: wrong key, signature, stale stamp, or an IP the key is not bound to."""


class RateLimitedError(ExchangeError):
    """HTTP 429; wait ``retry_after`` seconds before the next call to this endpoint."""

    def __init__(self, message: str, *, endpoint: str, retry_after: float) -> None:
        super().__init__(message, endpoint=endpoint)
        self.retry_after = retry_after


class ExchangeUnavailableError(ExchangeError):
    """The exchange could not be reached or failed (5xx, timeout, reset); safe to retry a GET."""


class MalformedResponseError(ExchangeError):
    """The response did not have the documented shape (bad JSON, missing keys, wrong types)."""


class AmbiguousOrderError(ExchangeError):
    """An order POST or cancel may or may not have taken effect.

    Never re-send: find the order by ``client_order_id`` in open orders / all orders first.
    """

    def __init__(self, message: str, *, endpoint: str, client_order_id: str | None) -> None:
        super().__init__(message, endpoint=endpoint)
        self.client_order_id = client_order_id


class QuantizationError(BtcbotError):
    """A desired order cannot be turned into one the venue accepts; ``reason`` says why."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class MarketDataError(BtcbotError):
    """No market snapshot could be assembled for ``symbol``; ``reason`` says why in one line."""

    def __init__(self, message: str, *, symbol: str, reason: str) -> None:
        super().__init__(message)
        self.symbol = symbol
        self.reason = reason


class LedgerError(BtcbotError):
    """The ledger cannot account for a fill or a valuation; its state is left unchanged."""


class InvalidFillError(LedgerError):
    """A fill breaks the ``Fill`` contract or names a pair the ledger does not know.

    Non-positive quantity or price, negative fee or tax, a naive timestamp, an unregistered pair,
    or a fee asset that is neither the pair's base nor its quote.
    """


class InventoryShortfallError(LedgerError):
    """A sell is larger than the ledger's position and the ledger does not adopt shortfalls."""

    def __init__(self, message: str, *, symbol: str, shortfall: Decimal) -> None:
        super().__init__(message)
        self.symbol = symbol
        self.shortfall = shortfall


class MissingMarkError(LedgerError):
    """A non-flat position was valued without a mark price for its symbol."""
