"""In-memory stand-ins for the domain's ports (webhooks, queue, delivery log, sender), for tests without AWS."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from webhooks.adapters.delivery_item import sortable_time
from webhooks.delivery.attempt import AttemptKey, Claim, attempt_key
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.outbound import OutboundRequest, SendResult
from webhooks.delivery.record import DeliveryRecord
from webhooks.delivery_log.queries import DeliveryFilters, LogPosition
from webhooks.domain.webhook import Webhook


@dataclass
class InMemoryWebhooks:
    webhooks: dict[tuple[str, str], Webhook] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)
    test_slots: dict[tuple[str, str], datetime] = field(default_factory=dict)
    batch_reads: list[set[tuple[str, str]]] = field(default_factory=list)
    read_error: Exception | None = None  # the next batch read fails with it (once)

    def add(self, webhook: Webhook) -> Webhook:
        self.webhooks[(webhook.account_id, webhook.webhook_id)] = webhook
        return webhook

    def get(self, account_id: str, webhook_id: str) -> Webhook | None:
        return self.webhooks.get((account_id, webhook_id))

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Webhook]:
        if self.read_error is not None:
            error, self.read_error = self.read_error, None
            raise error
        wanted = set(keys)
        self.batch_reads.append(wanted)
        return {key: webhook for key, webhook in self.webhooks.items() if key in wanted}

    def disable_gone(self, webhook: Webhook, at: datetime) -> bool:
        self.disabled.append(webhook.webhook_id)
        self.add(webhook.model_copy(update={"enabled": False, "version": webhook.version + 1}))
        return True

    def reserve_test_slot(self, account_id: str, webhook_id: str, now: datetime, interval_seconds: int) -> float | None:
        last = self.test_slots.get((account_id, webhook_id))
        if last is not None and (now - last).total_seconds() < interval_seconds:
            return interval_seconds - (now - last).total_seconds()
        self.test_slots[(account_id, webhook_id)] = now
        return None


@dataclass
class InMemoryDeliveryLog:
    """`throttled_claims`: attempts whose claim fails (as DynamoDB throttling would) until removed;
    `unwritable_results`: attempts whose result write is left unprocessed, as after the adapter's retries."""

    records: dict[tuple[str, int], DeliveryRecord] = field(default_factory=dict)
    throttled_claims: set[AttemptKey] = field(default_factory=set)
    unwritable_results: set[AttemptKey] = field(default_factory=set)

    def claim(self, record: DeliveryRecord) -> Claim:
        key = attempt_key(record)
        if key in self.throttled_claims:
            raise ThrottledError(f"claim of {key} throttled")
        if key in self.records:
            return Claim(token=None, earlier=self.records[key])
        self.records[key] = record
        return Claim(token=f"claim-{len(self.records)}")

    def complete_all(self, records: Sequence[DeliveryRecord]) -> set[AttemptKey]:
        for record in records:
            if attempt_key(record) not in self.unwritable_results:
                self.records[attempt_key(record)] = record
        return {attempt_key(record) for record in records} & self.unwritable_results

    def get(self, delivery_id: str, attempt: int) -> DeliveryRecord | None:
        return self.records.get((delivery_id, attempt))

    def attempts(self, delivery_id: str) -> list[DeliveryRecord]:
        return [record for (key, _), record in self.records.items() if key == delivery_id]

    def page_for_webhook(
        self, account_id: str, webhook_id: str, filters: DeliveryFilters, start: LogPosition | None, limit: int
    ) -> tuple[list[DeliveryRecord], LogPosition | None]:
        """As the by-webhook index answers: newest first, `since` and `until` inclusive, from after `start`."""

        def position(record: DeliveryRecord) -> tuple[str, str, int]:
            return sortable_time(record.requested_at), record.delivery_id, record.attempt

        matching = sorted(
            (
                record
                for record in self.records.values()
                if (record.account_id, record.webhook_id) == (account_id, webhook_id)
                and (not filters.statuses or record.status in filters.stored_statuses)
                and filters.event in (None, record.event)
                and (filters.since is None or record.requested_at >= filters.since)
                and (filters.until is None or record.requested_at <= filters.until)
                and (start is None or position(record) < (start.requested_at, start.delivery_id, start.attempt))
            ),
            key=position,
            reverse=True,
        )
        page = matching[:limit]
        if len(matching) <= limit:
            return page, None
        last = page[-1]
        return page, LogPosition(
            requested_at=sortable_time(last.requested_at), delivery_id=last.delivery_id, attempt=last.attempt
        )


class ThrottledError(Exception):
    """What a throttled DynamoDB call raises once botocore's own retries are spent."""


@dataclass
class ScriptedSender:
    """Answers every POST with `result` (or raises `crash`, as a process dying mid-request would)."""

    result: SendResult = field(default_factory=lambda: SendResult(http_status=200, duration_ms=12))
    crash: BaseException | None = None
    requests: list[OutboundRequest] = field(default_factory=list)

    def post(self, request: OutboundRequest) -> SendResult:
        self.requests.append(request)
        if self.crash is not None:
            raise self.crash
        return self.result


@dataclass
class RecordingQueue:
    sent: list[tuple[DeliveryMessage, int]] = field(default_factory=list)

    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None:
        self.sent.append((message, delay_seconds))


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


_WRITES = ("put_item", "update_item", "delete_item", "batch_write_item", "transact_write_items")


class FailingTableWrites:
    """A real DynamoDB client whose writes to one table fail while `failing()` is true: with the throttling
    error DynamoDB gives once botocore's retries are spent, or with `crash` (the process dying there)."""

    def __init__(self, client: Any, table: str, failing: Callable[[], bool], crash: BaseException | None = None):
        self._client = client
        self._table = table
        self._failing = failing
        self._crash = crash

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)
        if name not in _WRITES:
            return method

        def write(**kwargs: Any) -> Any:
            if self._table in str(kwargs) and self._failing():
                if self._crash is not None:
                    raise self._crash
                error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "Rate exceeded"}}
                raise ClientError(error, name)  # type: ignore[arg-type]
            return method(**kwargs)

        return write
