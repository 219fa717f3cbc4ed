"""One LIVE per account: a per-user lock keyed by the account's fingerprint, never the key.

The database lock (``<db>.lock``) stops two processes sharing one database; it cannot stop two
LIVE processes, each on its own database and ``CONTROL_DIR``, trading one BtcTurk account (each
would adopt and book the other's orders). So a LIVE process in live mode also holds
``<user state dir>/btcbot/accounts/<fingerprint>.lock`` for its life, with the same OS lock and
holder record as the database lock (``btcbot.state.lock``). The per-user directory is
``%LOCALAPPDATA%`` on Windows and ``$XDG_STATE_HOME`` (default ``~/.local/state``) elsewhere:
every process of the operator sees the same one, whatever its settings.

The fingerprint is a hash of the exchange's REST host and the API key (an account is a key *at an
exchange*); the key itself and the secret never reach a file, a row or a message.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from pathlib import Path

from btcbot.domain.enums import Role
from btcbot.domain.errors import LockHeldError, StateError
from btcbot.state import lock as db_lock

FINGERPRINT_CHARS = 16


def account_fingerprint(rest_url: str, api_key: str) -> str:
    """16 hex characters naming the account; the key cannot be recovered from them."""
    digest = hashlib.sha256(f"btcbot-account\n{rest_url.rstrip('/')}\n{api_key}".encode())
    return digest.hexdigest()[:FINGERPRINT_CHARS]


def account_lock_dir() -> Path:
    """The operator's per-user directory of account locks."""
    if os.name == "nt":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    else:
        base = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "btcbot" / "accounts"


def acquire_account(fingerprint: str, *, instance_id: str, now: datetime) -> db_lock.DbLock:
    """Hold the account's lock, or raise ``LockHeldError`` naming the LIVE process holding it."""
    directory = account_lock_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StateError(
            f"cannot create the account lock directory {directory}: {exc.strerror or exc}"
        ) from None
    anchor = directory / fingerprint
    try:
        return db_lock.acquire(anchor, role=Role.LIVE, instance_id=instance_id, now=now)
    except LockHeldError:
        holder = db_lock.read_holder(anchor)
        who = holder.describe() if holder is not None else "another LIVE process"
        raise LockHeldError(
            f"the BtcTurk account {fingerprint} is already traded by {who}: one LIVE process per "
            "account, whatever its STATE_DB_PATH and CONTROL_DIR; stop that process first"
        ) from None
