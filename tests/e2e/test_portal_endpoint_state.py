"""The portal list shows an endpoint whose circuit deliver opened, as the API's view does, on the local stack."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import DELIVERY_SECONDS
from tests.support.local_stack import wait_for
from tests.support.portal import Portal, registered, webhook_state
from tests.support.receivers import Receiver

pytestmark = pytest.mark.e2e
FAILURES_THAT_OPEN = 5  # the template's CircuitFailureThreshold default


def test_an_endpoint_that_keeps_failing_shows_its_circuit_open_in_the_list(
    portal: Portal, receiver: Receiver, local_stack, account
):
    # Given a webhook whose endpoint answers 503, and one that answers 200
    down = registered(local_stack, account, receiver.url(f"/server-error?hook={account}"), name="Warehouse sync")
    up = registered(local_stack, account, receiver.url("/ok"), name="Billing sync", environment="production")
    # When the platform writes as many licenses as it takes failures to open a circuit
    for _ in range(FAILURES_THAT_OPEN):
        license_id = f"lic-{uuid.uuid4().hex[:8]}"
        item = {"id": {"S": license_id}, "account_id": {"S": account}, "environment": {"S": "development"}}
        local_stack.info.client("dynamodb").put_item(TableName=local_stack.info.tables["licenses"], Item=item)

    # Then the API's view says its circuit is open
    def endpoint_state() -> str:
        return str(webhook_state(local_stack, account, down["webhook_id"])["endpoint"]["state"])

    assert wait_for(lambda: endpoint_state() == "circuit_open", timeout_seconds=DELIVERY_SECONDS)
    # And the list shows it on the failing webhook's row, and nothing on the healthy one
    portal.page.reload()
    expect(portal.row(down["webhook_id"]).get_by_test_id("endpoint-state")).to_contain_text("circuit open until")
    expect(portal.row(down["webhook_id"]).get_by_test_id("endpoint-state")).to_contain_text("down since")
    expect(portal.row(up["webhook_id"]).get_by_test_id("endpoint-state")).to_have_count(0)
