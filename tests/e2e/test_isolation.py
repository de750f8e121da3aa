"""What one webhook must never see: another environment's records, another account's records or webhooks."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from local.receiver import Receiver
from tests.e2e.conftest import RunningStack, Tenant, eventually

pytestmark = pytest.mark.e2e


def test_a_webhook_receives_only_the_records_of_its_own_environment(
    local_stack: RunningStack, tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given a development webhook and a production webhook of one account, both for every event
    development, production = new_receiver(), new_receiver()
    tenant.subscribe(development, environment="development")
    tenant.subscribe(production, environment="production")
    development_license, production_license = tenant.a_license("development"), tenant.a_license("production")

    # When the platform writes a development record and a production record
    tenant.write(development_license, production_license)

    # Then each webhook gets the record of its environment, and once deliver is idle, nothing else
    assert eventually(lambda: len(development.deliveries) == 1 and len(production.deliveries) == 1)
    assert eventually(local_stack.delivery_queue_is_empty)
    for receiver, write in [(development, development_license), (production, production_license)]:
        (delivery,) = receiver.deliveries
        assert delivery.verified
        assert delivery.payload is not None
        assert (delivery.payload["environment"], delivery.payload["payload"]["id"]) == (
            write.item["environment"],
            write.item["id"],
        )


def test_an_account_never_receives_another_accounts_records(
    local_stack: RunningStack, new_tenant: Callable[[], Tenant], new_receiver: Callable[[], Receiver]
):
    # Given accounts A and B, each with a webhook for every event
    account_a, account_b = new_tenant(), new_tenant()
    receiver_a, receiver_b = new_receiver(), new_receiver()
    account_a.subscribe(receiver_a)
    webhook_b = account_b.subscribe(receiver_b)

    # When the platform writes a record of account A
    account_a.write(account_a.a_license())

    # Then A's webhook gets it; once deliver is idle, B's webhook has had no POST and logged nothing
    assert eventually(lambda: len(receiver_a.deliveries) == 1)
    assert eventually(local_stack.delivery_queue_is_empty)
    assert receiver_b.deliveries == []
    assert account_b.delivery_log(webhook_b) == []


def test_another_accounts_token_finds_neither_the_webhook_nor_its_deliveries(
    new_tenant: Callable[[], Tenant], new_receiver: Callable[[], Receiver]
):
    # Given account A's webhook with one delivery
    account_a, account_b = new_tenant(), new_tenant()
    receiver = new_receiver()
    webhook_id = account_a.subscribe(receiver)
    account_a.write(account_a.a_license())
    assert eventually(lambda: len(receiver.deliveries) == 1)
    delivery_id = receiver.deliveries[0].webhook_id
    # (logged, so that its next attempt number is free to redeliver)
    assert eventually(lambda: [a["status"] for a in account_a.delivery_log(webhook_id)] == ["succeeded"])
    paths = [
        ("GET", f"/webhooks/{webhook_id}"),
        ("GET", f"/webhooks/{webhook_id}/deliveries"),
        ("GET", f"/webhooks/{webhook_id}/deliveries/{delivery_id}"),
        ("POST", f"/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver"),
    ]

    # When account B's token asks for them, Then each is 404 (as if they did not exist), while A sees them
    assert [account_b.call(method, path)[0] for method, path in paths] == [404, 404, 404, 404]
    assert [account_a.call(method, path)[0] for method, path in paths] == [200, 200, 200, 202]
    # And B's redelivery attempt sent nothing (only A's own redelivery arrives)
    assert eventually(lambda: len(receiver.deliveries) == 2)
    assert eventually(lambda: sorted(a["attempt"] for a in account_a.delivery_log(webhook_id)) == [1, 2])
