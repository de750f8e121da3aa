"""A stored webhook that does not read back (issue 19): what it still routes, how it is repaired, what is audited."""

from __future__ import annotations

import pytest

from tests.support.builders import SECRET, a_damaged_webhook, a_webhook
from webhooks.catalogue import Environment
from webhooks.domain.errors import WebhookDamaged


def test_a_damaged_webhook_routes_by_the_fields_that_read_back_and_only_by_them() -> None:
    # Given webhooks damaged in a timeout, in their environment, and disabled with a damaged timeout
    timeout = a_damaged_webhook(read_timeout_ms=0)
    environment = a_damaged_webhook(environment="qa")
    disabled = a_damaged_webhook(a_webhook(enabled=False), read_timeout_ms=0)
    # Then the first still receives what it subscribes to, the others nothing
    assert timeout.receives("license.created", Environment.PRODUCTION)
    assert not timeout.receives("product.created", Environment.PRODUCTION)
    assert not timeout.receives("license.created", Environment.STAGING)
    assert not environment.receives("license.created", Environment.PRODUCTION)
    assert not disabled.receives("license.created", Environment.PRODUCTION)


def test_a_repair_must_set_every_damaged_field_and_keeps_the_rest_as_stored() -> None:
    # Given a webhook stored with both timeouts at 0 ms
    damaged = a_damaged_webhook(connect_timeout_ms=0, read_timeout_ms=0)
    # When a change sets one of them, then both
    with pytest.raises(WebhookDamaged) as refused:
        damaged.repaired({"read_timeout_seconds": 2.0})
    repaired = damaged.repaired({"read_timeout_seconds": 2.0, "connect_timeout_seconds": 1.5})
    # Then the first is refused naming both fields; the second is the stored webhook with the new timeouts
    assert refused.value.extensions == {
        "damaged_fields": ["connect_timeout_seconds", "read_timeout_seconds"],
        "current_version": 1,
    }
    assert repaired == a_webhook(connect_timeout_seconds=1.5, read_timeout_seconds=2.0)
    # And its audit record shows the damaged fields as having had no readable value
    changes = damaged.changes_to(repaired)
    assert {name: (change.before, change.after) for name, change in changes.items()} == {
        "connect_timeout_seconds": (None, 1.5),
        "read_timeout_seconds": (None, 2.0),
    }


def test_what_a_patch_cannot_set_can_only_be_deleted_and_nothing_shows_a_secret() -> None:
    # Given a webhook whose secrets do not read back
    damaged = a_damaged_webhook(secrets=[{"value": SECRET}])
    # Then no change repairs it, and the problem says to delete it and create it again
    with pytest.raises(WebhookDamaged) as refused:
        damaged.repaired({"name": "Renamed"})
    assert "DELETE it and create it again (PATCH cannot set secrets)" in refused.value.detail
    # And its deletion's audit record holds the readable fields, never a secret
    deletion = damaged.changes_to(None)
    assert deletion["name"].before == "Billing sync"
    assert SECRET not in f"{damaged!r} {damaged.detail} {deletion}"
