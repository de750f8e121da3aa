"""Webhook secrets encrypted at rest under KMS (envelope encryption).

Each secret is sealed with AES-256-GCM under a data key of its own, which KMS generates from the template's
key and returns wrapped (encrypted under that key); the wrapped data key is stored beside the ciphertext.
The encryption context (KMS's) and the associated data (AES-GCM's) are the account and the webhook id, so a
sealed secret copied to another webhook's item does not open. Reading a table gives no secret: opening one
takes kms:Decrypt on that key with that context.

Opened data keys are cached per container for `cache_seconds`: a batch signing many messages of a webhook
calls KMS once for it, not once per message. `cryptography` is imported on first use, so a cold start that
opens nothing does not load it.
"""

from __future__ import annotations

import base64
import os
import threading
import time
from collections.abc import Callable
from typing import Any

_FORMAT = "kms1"  # the sealed text's first part: how the rest was made
_NONCE_BYTES = 12
_CACHE_LIMIT = 1024  # data keys a container keeps at most before it forgets them all


class SealedSecretUnreadable(Exception):
    """A sealed secret that is not in the form `seal` writes."""


def _context(account_id: str, webhook_id: str) -> dict[str, str]:
    return {"account_id": account_id, "webhook_id": webhook_id}


def _associated_data(account_id: str, webhook_id: str) -> bytes:
    return f"{account_id}/{webhook_id}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii")


class _StaySealed:
    """The opener of a function that routes and never signs (emit): it holds no KMS permission at all."""

    def open(self, account_id: str, webhook_id: str, sealed: str) -> str:  # noqa: ARG002 - the opener's signature
        raise RuntimeError(f"this function never opens secrets (webhook {webhook_id})")


SECRETS_STAY_SEALED = _StaySealed()


class KmsSecretSealer:
    def __init__(
        self,
        client: Any,
        key_id: str | None,
        *,
        cache_seconds: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """`key_id`: the KMS key new secrets are sealed under (None for a function that only opens: opening
        finds the key in the wrapped data key)."""
        self._client = client
        self._key_id = key_id
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._data_keys: dict[tuple[str, str, str], tuple[bytes, float]] = {}

    def seal(self, account_id: str, webhook_id: str, secret: str) -> str:
        """`kms1.<wrapped data key>.<nonce>.<AES-GCM ciphertext and tag>`, each part base64url."""
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if self._key_id is None:
            raise RuntimeError("this function only opens secrets: it has no key to seal them under")
        data_key = self._client.generate_data_key(
            KeyId=self._key_id, KeySpec="AES_256", EncryptionContext=_context(account_id, webhook_id)
        )
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(data_key["Plaintext"]).encrypt(nonce, secret.encode(), _associated_data(account_id, webhook_id))
        return ".".join([_FORMAT, _b64(data_key["CiphertextBlob"]), _b64(nonce), _b64(sealed)])

    def open(self, account_id: str, webhook_id: str, sealed: str) -> str:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        parts = sealed.split(".")
        if len(parts) != 4 or parts[0] != _FORMAT:
            raise SealedSecretUnreadable(f"a sealed secret of webhook {webhook_id} is not in the {_FORMAT} form")
        wrapped, nonce, ciphertext = (base64.urlsafe_b64decode(part) for part in parts[1:])
        data_key = self._data_key(account_id, webhook_id, parts[1], wrapped)
        return AESGCM(data_key).decrypt(nonce, ciphertext, _associated_data(account_id, webhook_id)).decode()

    def _data_key(self, account_id: str, webhook_id: str, wrapped_text: str, wrapped: bytes) -> bytes:
        now = self._clock()
        cache_key = (account_id, webhook_id, wrapped_text)
        with self._lock:
            cached = self._data_keys.get(cache_key)
        if cached is not None and now < cached[1]:
            return cached[0]
        response = self._client.decrypt(CiphertextBlob=wrapped, EncryptionContext=_context(account_id, webhook_id))
        with self._lock:
            if len(self._data_keys) >= _CACHE_LIMIT:
                self._data_keys.clear()
            self._data_keys[cache_key] = (response["Plaintext"], now + self._cache_seconds)
        plaintext: bytes = response["Plaintext"]
        return plaintext
