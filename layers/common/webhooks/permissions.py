"""Every AWS action each function's code performs, and on which template resource
(a logical id, or a logical id plus `/index/*` for a table's secondary indexes).

The single list that both sides are checked against: the template test requires each function's
policy to grant exactly these actions on these resources, and the integration tests record every
AWS call a handler makes and fail on one that is not listed here, and on one listed here that no
path of the function performs (tests/integration/test_permissions_used.py). IAM names the action, not the
API: SendMessageBatch is authorised as sqs:SendMessage, TransactWriteItems as its item actions.
"""

from __future__ import annotations

from typing import Final

FUNCTION_ACTIONS: Final[dict[str, dict[str, frozenset[str]]]] = {
    "ManageFunction": {
        "WebhooksTable": frozenset(
            {
                "dynamodb:GetItem",
                "dynamodb:Query",
                "dynamodb:PutItem",
                "dynamodb:UpdateItem",
                "dynamodb:DeleteItem",
                "dynamodb:ConditionCheckItem",
            }
        ),
        "AuditTable": frozenset({"dynamodb:PutItem", "dynamodb:Query"}),
        "DeliveriesTable": frozenset({"dynamodb:Query"}),
        "DeliveriesTable/index/*": frozenset({"dynamodb:Query"}),
        "EndpointCircuitsTable": frozenset({"dynamodb:BatchGetItem"}),
        "EndpointStatsTable": frozenset({"dynamodb:Query"}),
        "OperationalEventsTable": frozenset({"dynamodb:PutItem"}),
        "DeliveryQueue": frozenset({"sqs:SendMessage"}),
        "SecretsKey": frozenset({"kms:GenerateDataKey", "kms:Decrypt"}),
    },
    "EmitFunction": {
        "WebhooksTable": frozenset({"dynamodb:Query"}),
        "DeliveriesTable": frozenset({"dynamodb:PutItem"}),
        "DeliveryQueue": frozenset({"sqs:SendMessage"}),
    },
    "DeliverFunction": {
        "WebhooksTable": frozenset({"dynamodb:BatchGetItem", "dynamodb:UpdateItem"}),
        "AuditTable": frozenset({"dynamodb:PutItem"}),
        "DeliveriesTable": frozenset({"dynamodb:PutItem", "dynamodb:BatchWriteItem", "dynamodb:UpdateItem"}),
        "EndpointCircuitsTable": frozenset({"dynamodb:BatchGetItem", "dynamodb:PutItem"}),
        "EndpointStatsTable": frozenset({"dynamodb:UpdateItem"}),
        "OperationalEventsTable": frozenset({"dynamodb:PutItem"}),
        "DeliveryQueue": frozenset({"sqs:SendMessage"}),
        "SlowDeliveryQueue": frozenset({"sqs:SendMessage"}),
        "SecretsKey": frozenset({"kms:Decrypt"}),
    },
}

# API operations whose IAM action has another name.
OPERATION_ACTIONS: Final[dict[str, tuple[str, ...]]] = {
    "sqs:SendMessageBatch": ("sqs:SendMessage",),
    "sqs:DeleteMessageBatch": ("sqs:DeleteMessage",),
    "sqs:ChangeMessageVisibilityBatch": ("sqs:ChangeMessageVisibility",),
    "dynamodb:TransactWriteItems": (),  # authorised per item: see transact_item_actions
    "dynamodb:TransactGetItems": (),
}


def actions_for_operation(service: str, operation: str) -> tuple[str, ...]:
    """The IAM actions one API call needs (for a transaction, the caller adds its items' actions)."""
    name = f"{service}:{operation}"
    return OPERATION_ACTIONS.get(name, (name,))
