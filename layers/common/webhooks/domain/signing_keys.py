"""Signing secrets of the two Standard Webhooks schemes, told apart by their prefix.

- `v1`: HMAC-SHA256 with a shared secret, `whsec_` + base64 of 32 random bytes (the spec asks for 24 to 64).
- `v1a`: Ed25519. The private key `whsk_` + base64 of its 32 raw bytes never leaves the system; receivers
  verify with the public key `whpk_` + base64 of its 32 raw bytes.

Both sign the same content, `{webhook-id}.{webhook-timestamp}.{body}`. `cryptography` is imported on first
use of a `v1a` key, so a function that never meets one does not load it.

A stored secret is sealed (encrypted at rest); it is read as a `SealedSecret`, opened only when its value is
first asked for, so a reader that never signs or reveals (emit, a list) never decrypts one.
"""

from __future__ import annotations

import base64
import secrets
import threading
from collections.abc import Callable
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING

from pydantic import SecretStr

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SYMMETRIC_PREFIX = "whsec_"
PRIVATE_KEY_PREFIX = "whsk_"
PUBLIC_KEY_PREFIX = "whpk_"


class SignatureScheme(StrEnum):
    V1 = "v1"  # HMAC-SHA256
    V1A = "v1a"  # Ed25519


class SealedSecret(SecretStr):
    """A secret as stored, sealed: `open` gives its value on first use. What is public about it (its
    scheme, a `v1a` key's public key) is stored beside it and known without opening it."""

    def __init__(
        self, sealed: str, open_sealed: Callable[[str], str], scheme: SignatureScheme, public_key: str | None
    ) -> None:
        super().__init__("")
        self.sealed = sealed
        self.scheme = scheme
        self.public_key = public_key
        self._open_sealed = open_sealed
        self._opened: str | None = None
        self._opening = threading.Lock()

    def get_secret_value(self) -> str:
        # A batch's POST threads sign with the same secret at once: it is opened by one of them, once.
        with self._opening:
            if self._opened is None:
                self._opened = self._open_sealed(self.sealed)
        return self._opened

    def __eq__(self, other: object) -> bool:
        """Two sealed ones by their sealed text (neither opened); against a plain secret, by value."""
        if isinstance(other, SealedSecret):
            return other.sealed == self.sealed
        return isinstance(other, SecretStr) and other.get_secret_value() == self.get_secret_value()

    def __hash__(self) -> int:
        return hash(self.sealed)

    def __repr__(self) -> str:
        return "SealedSecret('**********')"


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
