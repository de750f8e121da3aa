"""Records every AWS call a handler makes, as IAM actions on template resources (logical ids)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from local.sam_template import DeployedDataPlane
from webhooks.permissions import FUNCTION_ACTIONS, actions_for_operation

_TRANSACT_ITEM_ACTIONS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
}


@dataclass(frozen=True, order=True)
class AwsCall:
    action: str
    resource: str


@dataclass
class AwsCallRecorder:
    """Hooks into a boto3 session's events (before-parameter-build: the caller's own arguments) and keeps each call."""

    deployed: DeployedDataPlane
    calls: list[AwsCall] = field(default_factory=list)

    def attach(self, events: Any) -> None:
        events.register("before-parameter-build.*.*", self._on_call)

    def _on_call(self, model: Any, params: dict[str, Any], **_: Any) -> None:
        service = model.service_model.signing_name
        if model.name.startswith("Transact"):
            for item in params.get("TransactItems", []):
                ((kind, body),) = item.items()
                self.calls.append(
                    AwsCall(_TRANSACT_ITEM_ACTIONS.get(kind, f"dynamodb:{kind}Item"), self._resource(body))
                )
            return
        # BatchGetItem / BatchWriteItem name their tables as the keys of RequestItems.
        targets = [{"TableName": table} for table in params.get("RequestItems", {})] or [params]
        for action in actions_for_operation(service, model.name):
            self.calls.extend(AwsCall(action, self._resource(target)) for target in targets)

    def _resource(self, params: dict[str, Any]) -> str:
        logical_by_physical = {name: logical for logical, name in self.deployed.tables.items()}
        logical_by_physical |= {url: logical for logical, url in self.deployed.queues.items()}
        logical_by_physical |= {key_id: logical for logical, key_id in self.deployed.keys.items()}
        # A KMS Decrypt names no key (the ciphertext does); the stack has one.
        only_key = next(iter(self.deployed.keys), "*") if "CiphertextBlob" in params else "*"
        physical = params.get("TableName") or params.get("QueueUrl") or params.get("KeyId") or only_key
        logical = logical_by_physical.get(physical, physical)
        return f"{logical}/index/*" if params.get("IndexName") else logical

    @staticmethod
    def declared(function: str) -> set[AwsCall]:
        """Every call webhooks.permissions declares for the function (and its policy grants)."""
        resources = FUNCTION_ACTIONS.get(function, {})
        return {AwsCall(action, resource) for resource, actions in resources.items() for action in actions}

    def undeclared(self, function: str, since: int = 0) -> list[AwsCall]:
        """Calls (from the `since`-th on) that webhooks.permissions does not declare for the function."""
        declared = FUNCTION_ACTIONS.get(function, {})
        made = self.calls[since:]
        return sorted({call for call in made if call.action not in declared.get(call.resource, frozenset())})
