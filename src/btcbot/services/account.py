"""Which account a LIVE database trades: bound at its first armed start, refused otherwise.

Recorded as an ``account_bound`` audit event (append-only: the triggers refuse any change), with
the account's fingerprint only. A later start with another account's key is refused (exit 4):
the database's orders, fills and ledger describe the first account, and reconciling them against
another would adopt a stranger's orders and book a stranger's fills.
"""

from __future__ import annotations

from datetime import datetime

from btcbot.domain.errors import AccountMismatchError
from btcbot.observability.audit import AuditEvent, AuditKind
from btcbot.state.uow import UnitOfWork


def bind_account(uow: UnitOfWork, *, fingerprint: str, actor: str, now: datetime) -> bool:
    """Record ``fingerprint`` as this database's account (first time), or check it matches.

    Returns True when this call bound it. Raises ``AccountMismatchError`` for another account.
    """
    with uow:
        bound = uow.audit.recent(1, kind=AuditKind.ACCOUNT_BOUND)
        if bound:
            first = str(bound[0].detail.get("fingerprint"))
            if first != fingerprint:
                raise AccountMismatchError(
                    f"this LIVE database trades account {first}, but the API key of this "
                    f"session is account {fingerprint}: use that account's key, or give this "
                    "account its own STATE_DB_PATH (btcbot db init)"
                )
            return False
        uow.audit.append(
            AuditEvent(
                kind=AuditKind.ACCOUNT_BOUND,
                at=now,
                actor=actor,
                detail={"fingerprint": fingerprint},
            )
        )
        uow.commit()
    return True
