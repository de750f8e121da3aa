"""Signing secrets of the two Standard Webhooks schemes, told apart by their prefix.

- `v1`: HMAC-SHA256 with a shared secret, `whsec_` + base64 of 32 random bytes (the spec asks for 24 to 64).
- `v1a`: Ed25519. The private key `whsk_` + base64 of its 32 raw bytes never leaves the system; receivers
  verify with the public key `whpk_` + base64 of its 32 raw bytes.

Both sign the same content, `{webhook-id}.{webhook-timestamp}.{body}`. `cryptography` is imported on first
use of a `v1a` key, so a function that never meets one does not load it.
"""

from __future__ import annotations

import base64
import secrets
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SYMMETRIC_PREFIX = "whsec_"
PRIVATE_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"


class SignatureScheme(StrEnum):
    V1 = "v1"  # HMAC-SHA256
    V1A = "v1a"  # Ed25519


def scheme_of(secret: str) -> SignatureScheme:
    return SignatureScheme.V1A if secret.startswith(PRIVATE_KEY_PREFIX) else SignatureScheme.V1


def showable(secret: str) -> str | None:
    """What an admin may be shown of a secret (a new one once, or on a reveal): a `v1` secret; never a `v1a`
    private key."""
    return secret if scheme_of(secret) is SignatureScheme.V1 else None


def new_secret(scheme: SignatureScheme) -> str:
    """A fresh secret of the scheme: a random HMAC key, or a new Ed25519 private key."""
    if scheme is SignatureScheme.V1:
        return SYMMETRIC_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    raw = Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return PRIVATE_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def public_key(secret: str) -> str | None:
    """The `whpk_` public key of a `v1a` private key (None for a `v1` secret, which has none)."""
    if scheme_of(secret) is not SignatureScheme.V1A:
        return None
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    raw = _private_key(secret).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    return PUBLIC_KEY_PREFIX + base64.b64encode(raw).decode("ascii")


def sign_v1a(secret: str, content: bytes) -> str:
    """`v1a,<base64 Ed25519 signature of content>`."""
    return "v1a," + base64.b64encode(_private_key(secret).sign(content)).decode("ascii")


@lru_cache(maxsize=1024)
def _private_key(secret: str) -> Ed25519PrivateKey:
    """The key object, loaded once per container (at most 1,024 kept)."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(secret.removeprefix(PRIVATE_KEY_PREFIX)))
