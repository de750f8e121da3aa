"""The local stack's status lists stored webhooks that do not read back, as the alarm would on AWS."""

from __future__ import annotations

from local.damaged_webhooks import damaged_webhooks
from tests.support.builders import SECRET, a_stored_webhook, a_webhook
from tests.support.local_stack import EmulatedAws


def test_the_status_lists_each_damaged_webhook_by_id_and_field_and_nothing_else(aws: EmulatedAws) -> None:
    # Given a healthy webhook, a quota counter and two damaged webhooks of two accounts
    client, table = aws.session.client("dynamodb"), aws.deployed.tables["WebhooksTable"]
    client.put_item(TableName=table, Item=a_stored_webhook())
    client.put_item(TableName=table, Item={"account_id": {"S": "acme"}, "webhook_id": {"S": "#quota"}})
    client.put_item(TableName=table, Item=a_stored_webhook(a_webhook(webhook_id="w-2"), read_timeout_ms=0))
    client.put_item(TableName=table, Item=a_stored_webhook(a_webhook(account_id="globex"), enabled=None))
    # When the status reads the table
    listed = damaged_webhooks(client, table)
    # Then it names the two damaged ones and their fields, without a secret
    assert listed == [
        {"account_id": "acme", "webhook_id": "w-2", "fields": ["read_timeout_seconds"]},
        {"account_id": "globex", "webhook_id": a_webhook().webhook_id, "fields": ["enabled"]},
    ]
    assert SECRET not in str(listed)
