"""An optional, short-lived cache of each account's webhooks across emit invocations.

Off by default (WEBHOOK_CACHE_SECONDS=0): every batch then reads the webhooks once per account.
When on, it is capped at a few seconds (config.py), so a webhook created, disabled or re-subscribed
is seen by emit within that time; deliver re-checks the webhook at send time in any case.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from webhooks.domain.emission import WebhookSource
from webhooks.domain.webhook import Webhook


class CachedWebhookSource:
    def __init__(self, source: WebhookSource, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._source = source
        self._ttl = ttl_seconds
        self._clock = clock
        self._entries: dict[str, tuple[float, list[Webhook]]] = {}

    def list_for_account(self, account_id: str) -> list[Webhook]:
        now = self._clock()
        cached = self._entries.get(account_id)
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        webhooks = self._source.list_for_account(account_id)
        self._entries[account_id] = (now, webhooks)
        return webhooks
