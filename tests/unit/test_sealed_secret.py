"""A secret read sealed: opened once on first use, its public facts known without opening it."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from pydantic import SecretStr

from tests.support.builders import NOW, SECRET, a_webhook
from webhooks.domain.signing_keys import SealedSecret, SignatureScheme
from webhooks.domain.webhook import SigningSecret


class CountingOpener:
    def __init__(self, value: str = SECRET, seconds: float = 0.0) -> None:
        self.value, self.seconds, self.calls = value, seconds, 0
        self._lock = threading.Lock()

    def __call__(self, sealed: str) -> str:
        with self._lock:
            self.calls += 1
        time.sleep(self.seconds)
        return self.value


def test_what_is_public_about_a_sealed_secret_is_known_without_opening_it() -> None:
    # Given a webhook whose secret is read sealed (a v1a key, with its public key stored beside it)
    opener = CountingOpener()
    sealed = SealedSecret("sealed-text", opener, SignatureScheme.V1A, "whpk_public")
    webhook = a_webhook(secrets=(SigningSecret(value=sealed, created_at=NOW),))
    # When its scheme, public key and what may be shown of it are read, and it is printed
    facts = (webhook.signature_scheme, webhook.secrets[0].public_key, webhook.secrets[0].showable)
    printed = f"{webhook!r} {webhook.secrets[0]}"
    # Then they are known, nothing was opened, and nothing of it is printed
    assert facts == (SignatureScheme.V1A, "whpk_public", None)
    assert opener.calls == 0
    assert "sealed-text" not in printed


def test_the_threads_of_a_batch_open_a_sealed_secret_once() -> None:
    # Given a sealed secret whose opening takes a while (a KMS call)
    opener = CountingOpener(seconds=0.05)
    sealed = SealedSecret("sealed-text", opener, SignatureScheme.V1, None)
    # When ten POST threads sign with it at once
    with ThreadPoolExecutor(max_workers=10) as threads:
        values = set(threads.map(lambda _: sealed.get_secret_value(), range(10)))
    # Then it was opened once, and each got its value
    assert values == {SECRET}
    assert opener.calls == 1


def test_sealed_secrets_compare_by_sealed_text_and_with_a_plain_one_by_value() -> None:
    first = SealedSecret("text-1", CountingOpener(), SignatureScheme.V1, None)
    same_text = SealedSecret("text-1", CountingOpener(value="whsec_other"), SignatureScheme.V1, None)
    other_text = SealedSecret("text-2", CountingOpener(), SignatureScheme.V1, None)
    assert first == same_text
    assert first != other_text
    assert first == SecretStr(SECRET)
    assert SecretStr(SECRET) == first
    assert first != SecretStr("whsec_other")
