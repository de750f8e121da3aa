"""Payload filters end to end on the running local stack: the demo's writes, two webhooks, one of them filtered."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

from local.demo_records import demo_writes, expected_events
from local.receiver import Receiver
from tests.e2e.conftest import Tenant, eventually

pytestmark = pytest.mark.e2e

SUSPENDED_OR_REVOKED_LICENSES = {
    "event": {"$startsWith": "license."},
    "payload": {"status": {"$in": ["suspended", "revoked"]}},
}


def test_a_filtered_webhook_receives_only_the_matching_events_of_the_demos_writes(
    tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given two webhooks for every event, one filtered to licenses that are suspended or revoked
    everything, filtered = new_receiver(), new_receiver()
    tenant.subscribe(everything)
    filtered_id = tenant.subscribe(filtered, filter=SUSPENDED_OR_REVOKED_LICENSES)
    writes = demo_writes(tenant.account_id, "development")

    # When the platform makes the demo's writes (all 19 events)
    tenant.write(*writes)

    # Then the unfiltered webhook gets every event ...
    assert eventually(lambda: everything.counts() == expected_events(writes)), everything.counts()
    # ... and the filtered one only the license events whose record is suspended or revoked: the two status
    # changes (each also a license.updated) and the deletion, whose payload is the revoked license's last state
    matching = Counter({"license.updated": 2, "license.suspended": 1, "license.revoked": 1, "license.deleted": 1})
    assert eventually(lambda: filtered.counts() == matching), filtered.counts()
    assert all(delivery.verified_by == (0,) for delivery in filtered.deliveries)
    assert {(delivery.payload or {})["payload"]["status"] for delivery in filtered.deliveries} == {
        "suspended",
        "revoked",
    }
    # And what the filter kept back cost no delivery record: the log holds the five deliveries, all succeeded
    assert eventually(lambda: [entry["status"] for entry in tenant.delivery_log(filtered_id)] == ["succeeded"] * 5)
