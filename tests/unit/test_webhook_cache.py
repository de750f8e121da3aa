"""The optional cross-invocation cache of an account's webhooks."""

from __future__ import annotations

from tests.support.builders import a_webhook
from tests.support.fakes import FakeWebhookSource
from webhooks.domain.webhook_cache import CachedWebhookSource


def test_an_accounts_webhooks_are_reused_only_within_the_ttl() -> None:
    # Given a cache of 2 seconds over a source
    source = FakeWebhookSource([a_webhook()])
    now = [100.0]
    cache = CachedWebhookSource(source, ttl_seconds=2, clock=lambda: now[0])
    # When the same account is read three times, the last after the TTL
    first = cache.list_for_account("acme")
    now[0] += 1.9
    second = cache.list_for_account("acme")
    now[0] += 0.2
    third = cache.list_for_account("acme")
    # Then the source was queried twice, and every read gave the webhooks
    assert source.queries == {"acme": 2}
    assert first == second == third == [a_webhook()]


def test_accounts_are_cached_separately() -> None:
    source = FakeWebhookSource([a_webhook(), a_webhook(account_id="globex")])
    cache = CachedWebhookSource(source, ttl_seconds=5, clock=lambda: 0.0)
    assert [w.account_id for w in cache.list_for_account("globex")] == ["globex"]
    assert [w.account_id for w in cache.list_for_account("acme")] == ["acme"]
