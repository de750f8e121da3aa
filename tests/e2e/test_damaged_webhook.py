"""Issue 19 on the running local stack: a stored webhook that does not read back fails alone, is shown as
damaged, and is repaired and caught up through the API."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from local.receiver import Receiver
from tests.e2e.conftest import RunningStack, Tenant, eventually

pytestmark = pytest.mark.e2e


def test_a_damaged_webhook_fails_alone_and_is_repaired_and_caught_up_through_the_api(
    local_stack: RunningStack, tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given two webhooks of one account, one of them stored with a 0 ms read timeout (what 0.0004 s became)
    healthy, damaged = new_receiver(), new_receiver()
    healthy_id = tenant.subscribe(healthy, events=["license.created"])
    damaged_id = tenant.subscribe(damaged, events=["license.created"])
    local_stack.info.client("dynamodb").update_item(
        TableName=local_stack.info.tables["webhooks"],
        Key={"account_id": {"S": tenant.account_id}, "webhook_id": {"S": damaged_id}},
        UpdateExpression="SET read_timeout_ms = :zero",
        ExpressionAttributeValues={":zero": {"N": "0"}},
    )
    since = datetime.now(UTC) - timedelta(minutes=1)

    # When a license of that account is created
    tenant.write(tenant.a_license())

    # Then the healthy webhook gets it, and the damaged one's delivery is logged as failed, with nothing sent
    assert eventually(lambda: healthy.counts() == {"license.created": 1}), healthy.counts()
    assert eventually(
        lambda: (
            [(a["status"], a["error_kind"]) for a in tenant.delivery_log(damaged_id)] == [("failed", "webhook_damaged")]
        )
    )
    assert damaged.deliveries == []
    # And the account's listing and the stack's status name it, by id and field
    status, listed = tenant.call("GET", "/webhooks")
    assert (status, [item["webhook_id"] for item in listed["items"]]) == (200, [healthy_id])
    assert [(item["webhook_id"], item["damaged_fields"]) for item in listed["damaged"]] == [
        (damaged_id, ["read_timeout_seconds"])
    ]
    _, _, stack_status = local_stack.request("GET", "/_local/status")
    assert {
        "account_id": tenant.account_id,
        "webhook_id": damaged_id,
        "fields": ["read_timeout_seconds"],
    } in stack_status["damaged_webhooks"]

    # When an admin repairs it, then recovers what failed meanwhile
    repaired, _ = tenant.call("PATCH", f"/webhooks/{damaged_id}", {"read_timeout_seconds": 5})
    recovered, _ = tenant.call("POST", f"/webhooks/{damaged_id}/deliveries/recover", {"since": since.isoformat()})

    # Then the event reaches it, signed with its secret, and it is no longer listed as damaged
    assert (repaired, recovered) == (200, 202)
    assert eventually(lambda: damaged.counts() == {"license.created": 1}), damaged.counts()
    assert all(delivery.verified for delivery in damaged.deliveries)
    assert tenant.call("GET", "/webhooks")[1]["damaged"] == []
