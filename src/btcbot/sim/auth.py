"""Verifying BtcTurk's "Authentication V1" HMAC headers (API.md section 2)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

STAMP_WINDOW_MS = 5_000  # BtcTurk's documented tolerance around server time

DEFAULT_API_KEY = "btcbot-sim-public-key"
# base64 of b"btcbot emulator secret - never a real key!!", base64 like BtcTurk's.
DEFAULT_API_SECRET = "YnRjYm90IGVtdWxhdG9yIHNlY3JldCAtIG5ldmVyIGEgcmVhbCBrZXkhIQ=="  # noqa: S105 -- documented test key


def sign(api_key: str, api_secret: str, stamp_ms: int) -> str:
    """The X-Signature a client must send: base64(HMAC-SHA256(b64decode(secret), key+stamp))."""
    key = base64.b64decode(api_secret, validate=True)
    digest = hmac.new(key, f"{api_key}{stamp_ms}".encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


@dataclass(frozen=True, slots=True)
class Credentials:
    """The one account's key pair; the secret must be valid base64, as BtcTurk's is."""

    api_key: str = DEFAULT_API_KEY
    api_secret: str = DEFAULT_API_SECRET

    def __post_init__(self) -> None:
        try:
            key = base64.b64decode(self.api_secret, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("the emulator's API secret must be base64, like BtcTurk's") from exc
        if not key:
            raise ValueError("the emulator's API secret must not be empty")

    def check(self, headers: Mapping[str, str], *, server_ms: int) -> str | None:
        """None when the request is authentic, else BtcTurk's 401 message.

        ``headers`` maps lower-case header names to values; ``server_ms`` is the (possibly
        skewed) server time the stamp must be within 5 s of.
        """
        key, stamp, signature = (headers.get(h) for h in ("x-pck", "x-stamp", "x-signature"))
        if not key or not stamp or not signature:
            return "Unauthorized - Headers are missing"
        if not hmac.compare_digest(key.encode(), self.api_key.encode()):
            return "Unauthorized - Invalid Public key"
        if not stamp.isdigit() or abs(int(stamp) - server_ms) > STAMP_WINDOW_MS:
            return "Unauthorized - Invalid Nonce"
        expected = sign(self.api_key, self.api_secret, int(stamp))
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            return "Unauthorized - Invalid Signature"
        return None
