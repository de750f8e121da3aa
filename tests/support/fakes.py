"""In-memory stand-ins for the emission's ports (webhook source, queue, delivery log)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from webhooks.domain.delivery import DeliveryRecord
from webhooks.domain.messages import DeliveryMessage
from webhooks.domain.webhook import Webhook


@dataclass
class FakeWebhookSource:
    webhooks: list[Webhook] = field(default_factory=list)
    failing_accounts: set[str] = field(default_factory=set)
    queries: Counter[str] = field(default_factory=Counter)

    def list_for_account(self, account_id: str) -> list[Webhook]:
        self.queries[account_id] += 1
        if account_id in self.failing_accounts:
            raise ConnectionError(f"query for {account_id} failed")
        return [webhook for webhook in self.webhooks if webhook.account_id == account_id]


@dataclass
class FakeQueue:
    """Takes every message except those `rejects` picks (reported back as not enqueued)."""

    rejects: Callable[[DeliveryMessage], bool] = lambda _message: False
    enqueued: list[DeliveryMessage] = field(default_factory=list)

    def send_batch(self, messages: Sequence[DeliveryMessage]) -> list[int]:
        failed = [position for position, message in enumerate(messages) if self.rejects(message)]
        self.enqueued.extend(message for position, message in enumerate(messages) if position not in failed)
        return failed


@dataclass
class FakeDeliveryLog:
    fails: bool = False
    records: list[DeliveryRecord] = field(default_factory=list)

    def put(self, record: DeliveryRecord) -> None:
        if self.fails:
            raise ConnectionError("put failed")
        self.records.append(record)


class FlakySqs:
    """A real SQS client whose SendMessageBatch fails on purpose: entries whose body contains
    `fail_entries_with` come back in `Failed` (the rest are sent); a call carrying a body that contains
    `throttle_calls_with` raises the throttling error SQS gives once botocore's retries are spent."""

    def __init__(self, client: Any, *, fail_entries_with: str = "\x00", throttle_calls_with: str = "\x00") -> None:
        self._client = client
        self._fail = fail_entries_with
        self._throttle = throttle_calls_with

    def send_message_batch(self, *, QueueUrl: str, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        if any(self._throttle in entry["MessageBody"] for entry in Entries):
            error = {"Error": {"Code": "RequestThrottled", "Message": "Rate exceeded"}}
            raise ClientError(error, "SendMessageBatch")  # type: ignore[arg-type]
        failing = [entry for entry in Entries if self._fail in entry["MessageBody"]]
        sending = [entry for entry in Entries if entry not in failing]
        response: dict[str, Any] = (
            self._client.send_message_batch(QueueUrl=QueueUrl, Entries=sending) if sending else {"Successful": []}
        )
        failed = [{"Id": e["Id"], "SenderFault": False, "Code": "InternalError", "Message": "x"} for e in failing]
        return {"Successful": response.get("Successful", []), "Failed": response.get("Failed", []) + failed}

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)
