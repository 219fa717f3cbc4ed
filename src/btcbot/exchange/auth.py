"""BtcTurk "Authentication V1" request signing (API.md §2); the secret never leaves this object.

``X-Signature = base64(HMAC-SHA256(key=base64decode(secret), msg=utf8(api_key + str(stamp_ms))))``.
Path, query and body are not signed. The stamp is milliseconds of *server* time: the caller
passes its clock already corrected by the offset measured from ``/api/v2/server/time``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from btcbot.domain.errors import ConfigError


class Signer:
    """Holds the API key and the decoded secret; ``repr`` and ``str`` never show either."""

    __slots__ = ("_api_key", "_key")

    def __init__(self, api_key: str, api_secret: str) -> None:
        if not api_key.strip():
            raise ConfigError("BTCTURK_API_KEY is empty: set it to the public key BtcTurk issued")
        try:
            key = base64.b64decode(api_secret.strip(), validate=True)
        except (binascii.Error, ValueError):
            # `from None`: the decoder's message could quote part of the secret.
            raise ConfigError(
                "BTCTURK_API_SECRET is not valid base64: paste the private key exactly as "
                "BtcTurk shows it"
            ) from None
        if not key:
            raise ConfigError(
                "BTCTURK_API_SECRET is empty: set it to the private key BtcTurk issued"
            )
        self._api_key = api_key.strip()
        self._key = key

    def __repr__(self) -> str:
        return "Signer(api_key=***, api_secret=***)"

    __str__ = __repr__

    def headers(self, stamp_ms: int) -> dict[str, str]:
        """The three auth headers for a request stamped ``stamp_ms``."""
        stamp = str(stamp_ms)
        digest = hmac.new(self._key, (self._api_key + stamp).encode(), hashlib.sha256).digest()
        return {
            "X-PCK": self._api_key,
            "X-Stamp": stamp,
            "X-Signature": base64.b64encode(digest).decode("ascii"),
        }
