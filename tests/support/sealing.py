"""A stand-in for the KMS sealer: reversible, bound to its webhook as KMS's encryption context binds it."""

from __future__ import annotations

import base64
import json


class WrongWebhook(Exception):
    """A sealed secret opened for another webhook than the one it was sealed for."""


class FakeSealer:
    """Seals without KMS (the secret stays readable inside: for tests only); counts what it seals and opens."""

    def __init__(self) -> None:
        self.sealed = 0
        self.opened = 0

    def seal(self, account_id: str, webhook_id: str, secret: str) -> str:
        self.sealed += 1
        return "fake." + base64.urlsafe_b64encode(json.dumps([account_id, webhook_id, secret]).encode()).decode()

    def open(self, account_id: str, webhook_id: str, sealed: str) -> str:
        account, webhook, secret = json.loads(base64.urlsafe_b64decode(sealed.removeprefix("fake.")))
        if (account, webhook) != (account_id, webhook_id):
            raise WrongWebhook(f"sealed for {account}/{webhook}, opened for {account_id}/{webhook_id}")
        self.opened += 1
        return str(secret)


class _Unsealed:
    """The sealer of items written before secrets were sealed: the secret as it is."""

    def seal(self, account_id: str, webhook_id: str, secret: str) -> str:
        return secret

    def open(self, account_id: str, webhook_id: str, sealed: str) -> str:
        return sealed


UNSEALED = _Unsealed()
