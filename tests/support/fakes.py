"""In-memory stand-ins for the domain's ports (webhooks, queue, delivery log, sender), for tests without AWS."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import count
from typing import Any

from botocore.exceptions import ClientError

from tests.support.builders import NOW
from webhooks.adapters.delivery_item import sortable_time
from webhooks.adapters.webhook_system_writes import DELIVER_ACTOR
from webhooks.catalogue import Environment
from webhooks.delivery.attempt import AttemptKey, Claim, ConcurrentMap, attempt_key, in_turn
from webhooks.delivery.batch_health import BatchHealth
from webhooks.delivery.circuit import Circuit, CircuitPolicy
from webhooks.delivery.deliverer import Deliverer
from webhooks.delivery.endpoint_guard import CircuitStore, EndpointGuard, GuardRules, StartTimer
from webhooks.delivery.endpoint_stats import EndpointStatsRecorder, HourlyStats, HourTally, hour_of
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.outbound import OutboundRequest, SendResult
from webhooks.delivery.record import CONTENT_FIELDS, DeliveryRecord, DeliveryStatus
from webhooks.delivery.resend import DeferralQueue
from webhooks.delivery.rules import DeliveryRules
from webhooks.delivery.timers import TimersOnOneThread
from webhooks.delivery_log.queries import DeliveryFilters, LogPosition
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.operational_events import DisableReason, OperationalEvent, webhook_disabled
from webhooks.domain.webhook import Webhook


@dataclass
class InMemoryWebhooks:
    """The webhook store's reads and the platform's own writes (DynamoWebhookStore, DynamoWebhookSystemWrites);
    tests/integration/test_fake_contracts.py runs the same scenarios against this and them. A damaged webhook
    (added as one) reads as the store reads it: as such from `read` and `get_many`, WebhookDamaged from `get`."""

    webhooks: dict[tuple[str, str], Webhook | DamagedWebhook] = field(default_factory=dict)
    disabled: list[str] = field(default_factory=list)
    # What each disabling recorded (webhook.disabled), as the adapter writes it in the same transaction.
    announced: list[OperationalEvent] = field(default_factory=list)
    test_slots: dict[tuple[str, str], datetime] = field(default_factory=dict)
    batch_reads: list[set[tuple[str, str]]] = field(default_factory=list)
    read_error: Exception | None = None  # the next batch read fails with it (once)

    def add[Stored: Webhook | DamagedWebhook](self, webhook: Stored) -> Stored:
        self.webhooks[(webhook.account_id, webhook.webhook_id)] = webhook
        return webhook

    def read(self, account_id: str, webhook_id: str) -> Webhook | DamagedWebhook | None:
        return self.webhooks.get((account_id, webhook_id))

    def get(self, account_id: str, webhook_id: str) -> Webhook | None:
        webhook = self.read(account_id, webhook_id)
        if isinstance(webhook, DamagedWebhook):
            raise webhook.error()
        return webhook

    def get_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Webhook | DamagedWebhook]:
        if self.read_error is not None:
            error, self.read_error = self.read_error, None
            raise error
        wanted = set(keys)
        self.batch_reads.append(wanted)
        return {key: webhook for key, webhook in self.webhooks.items() if key in wanted}

    def disable(self, webhook: Webhook, at: datetime, reason: DisableReason, detail: str) -> bool:
        """As the adapter's conditional write: only the version delivered to, and only while enabled."""
        stored = self.get(webhook.account_id, webhook.webhook_id)
        if stored is None or stored.version != webhook.version or not stored.enabled:
            return False
        self.disabled.append(webhook.webhook_id)
        self.announced.append(webhook_disabled(stored, reason=reason, detail=detail, disabled_by=DELIVER_ACTOR, at=at))
        changes = {"enabled": False, "disabled_at": at, "version": stored.version + 1}
        changes |= {"updated_at": at, "updated_by": DELIVER_ACTOR}
        self.add(stored.model_copy(update=changes))
        return True

    def reserve_test_slot(self, account_id: str, webhook_id: str, now: datetime, interval_seconds: int) -> float | None:
        """As the adapter: refused for the whole interval when no such webhook is stored; a wait is at least 1 s."""
        if (account_id, webhook_id) not in self.webhooks:
            return float(interval_seconds)
        last = self.test_slots.get((account_id, webhook_id))
        if last is not None and (waited := (now - last).total_seconds()) < interval_seconds:
            return max(1.0, interval_seconds - waited)
        self.test_slots[(account_id, webhook_id)] = now
        return None


@dataclass
class InMemoryCircuits:
    """Endpoints' circuits as DynamoEndpointCircuits keeps them: a write lands only on the version it was
    read at (tests/integration/test_fake_contracts.py holds the two to the same scenarios)."""

    circuits: dict[tuple[str, str], Circuit] = field(default_factory=dict)
    writes: list[Circuit] = field(default_factory=list)

    def read_many(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Circuit]:
        return {key: self.circuits.get(key) or Circuit(account_id=key[0], webhook_id=key[1]) for key in set(keys)}

    def save(self, circuit: Circuit) -> bool:
        key = (circuit.account_id, circuit.webhook_id)
        stored_version = self.circuits[key].version if key in self.circuits else 0
        if stored_version != circuit.version - 1:
            return False
        self.circuits[key] = circuit
        self.writes.append(circuit)
        return True


@dataclass
class InMemoryEndpointStats:
    """Hourly counters as DynamoEndpointStats keeps them: each add adds to the hour's counts, the latest
    times replace earlier ones (tests/integration/test_endpoint_stats_store.py holds the two to the same scenarios)."""

    stored: dict[tuple[str, str, datetime], HourlyStats] = field(default_factory=dict)
    adds: int = 0

    def add(self, account_id: str, webhook_id: str, hour: datetime, counts: HourTally) -> None:
        self.adds += 1
        was = self.stored.get((account_id, webhook_id, hour)) or HourlyStats(hour)
        failed = Counter(was.failed_by_kind) + Counter(counts.failed_by_kind)
        self.stored[(account_id, webhook_id, hour)] = HourlyStats(
            hour=hour,
            attempts=was.attempts + counts.attempts,
            succeeded=was.succeeded + counts.succeeded,
            failed_by_kind=dict(failed),
            durations=tuple(a + b for a, b in zip(was.durations, counts.durations, strict=True)),
            last_success_at=counts.last_success_at or was.last_success_at,
            last_failure_at=counts.last_failure_at or was.last_failure_at,
        )

    def hours(self, account_id: str, webhook_id: str, since: datetime, until: datetime) -> list[HourlyStats]:
        return sorted(
            (
                stats
                for (account, webhook, hour), stats in self.stored.items()
                if (account, webhook) == (account_id, webhook_id) and hour_of(since) <= hour < until
            ),
            key=lambda stats: stats.hour,
        )


@dataclass
class InMemoryOperationalEvents:
    recorded: list[OperationalEvent] = field(default_factory=list)

    def record(self, events: Sequence[OperationalEvent]) -> None:
        self.recorded.extend(events)

    def names(self) -> list[str]:
        return [event.event for event in self.recorded]


def a_health(
    webhooks: InMemoryWebhooks,
    stats: InMemoryEndpointStats | None = None,
    events: InMemoryOperationalEvents | None = None,
    auto_disable_after: timedelta = timedelta(hours=120),
) -> BatchHealth:
    """What deliver does after each batch, on in-memory counters and events; the webhooks also disable."""
    return BatchHealth(
        stats=EndpointStatsRecorder(stats if stats is not None else InMemoryEndpointStats()),
        events=events if events is not None else InMemoryOperationalEvents(),
        disabler=webhooks,
        auto_disable_after=auto_disable_after,
    )


# Every environment and event, https only, a month's log: what most deliver tests run under.
DELIVERY_RULES = DeliveryRules(
    permitted_environments=frozenset(Environment),
    permitted_events=("*",),
    allow_http_for_development=False,
    retention_days=30,
)
GUARD_RULES = GuardRules(policy=CircuitPolicy(), max_deferral=timedelta(hours=6))


def a_guard(
    queue: DeferralQueue,
    circuits: CircuitStore | None = None,
    opened: list[Circuit] | None = None,
    *,
    slow_lane: DeferralQueue | None = None,
    slowed: list[Circuit] | None = None,
    start_timer: StartTimer | None = None,
    concurrent_map: ConcurrentMap = in_turn,
) -> EndpointGuard:
    """The endpoint guard on in-memory circuits, with the template's default thresholds; the slow lane's
    queue is a RecordingQueue of its own unless given."""
    return EndpointGuard(
        circuits=circuits if circuits is not None else InMemoryCircuits(),
        queue=queue,
        slow_lane=slow_lane if slow_lane is not None else RecordingQueue(),
        rules=GUARD_RULES,
        on_opened=(opened if opened is not None else []).append,
        on_slowed=(slowed if slowed is not None else []).append,
        uniform=lambda low, high: (low + high) / 2,
        start_timer=start_timer or TimersOnOneThread(),
        clock=lambda: NOW,
        concurrent_map=concurrent_map,
    )


@dataclass
class InMemoryDeliveryLog:
    """`throttled_claims`: attempts whose claim fails (as DynamoDB throttling would) until removed;
    `unwritable_results`: attempts whose result write is left unprocessed, as after the adapter's retries.
    tests/integration/test_fake_contracts.py runs the same scenarios against this and the log's two adapters."""

    records: dict[AttemptKey, DeliveryRecord] = field(default_factory=dict)
    throttled_claims: set[AttemptKey] = field(default_factory=set)
    unwritable_results: set[AttemptKey] = field(default_factory=set)
    claim_tokens: dict[AttemptKey, str] = field(default_factory=dict)  # held by pending claims, as the item's `claim`
    lost_claim_answers: list[AttemptKey] = field(default_factory=list)  # the claims whose answer was lost
    _answers_to_lose: int = field(default=0, init=False, repr=False)
    _tokens: Iterator[int] = field(default_factory=count, init=False, repr=False)

    def lose_next_claim_answer(self) -> list[AttemptKey]:
        """The next claim lands but its answer is lost, so the same put (same token) is sent again, as
        botocore resends it; returns the claims this happened to (as DynamoFaults.lose_answer does)."""
        self._answers_to_lose += 1
        return self.lost_claim_answers

    def claim(self, record: DeliveryRecord) -> Claim:
        key = attempt_key(record)
        if key in self.throttled_claims:
            raise ThrottledError(f"claim of {key} throttled")
        token = f"claim-{next(self._tokens)}"
        claim = self._put_unless_claimed(record, token)
        if self._answers_to_lose:
            self._answers_to_lose -= 1
            self.lost_claim_answers.append(key)
            claim = self._put_unless_claimed(record, token)
        return claim

    def _put_unless_claimed(self, record: DeliveryRecord, token: str) -> Claim:
        key = attempt_key(record)
        if key not in self.records:
            self.records[key], self.claim_tokens[key] = record, token
            return Claim(token=token)
        if self.claim_tokens.get(key) == token:
            return Claim(token=token)
        return Claim(token=None, earlier=self.records[key])

    def keep_content(self, record: DeliveryRecord) -> None:
        """As the adapter's conditional update: only onto a pending claim that has no content yet."""
        stored = self.records.get(attempt_key(record))
        sent = record.model_dump(include=set(CONTENT_FIELDS))
        if stored is not None and stored.status is DeliveryStatus.PENDING and stored.request_body is None:
            self.records[attempt_key(record)] = stored.model_copy(update=sent)

    def complete_all(self, records: Sequence[DeliveryRecord]) -> set[AttemptKey]:
        for record in records:
            if attempt_key(record) not in self.unwritable_results:
                self.records[attempt_key(record)] = record
                self.claim_tokens.pop(attempt_key(record), None)
        return {attempt_key(record) for record in records} & self.unwritable_results

    def attempts(self, delivery_id: str) -> list[DeliveryRecord]:
        """In attempt order, as the table's sort key returns them."""
        return [record for (key, _), record in sorted(self.records.items()) if key == delivery_id]

    def page_for_webhook(
        self, account_id: str, webhook_id: str, filters: DeliveryFilters, start: LogPosition | None, limit: int
    ) -> tuple[list[DeliveryRecord], LogPosition | None]:
        """As the by-webhook index answers: newest first, `since` and `until` inclusive, from after `start`;
        each attempt without what was sent and came back, which the index does not keep."""

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
        page = [record.without_content() for record in matching[:limit]]
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

    def send_batch(self, messages: Sequence[DeliveryMessage], delays: Sequence[int] | None = None) -> list[int]:
        for position, message in enumerate(messages):
            self.send(message, delays[position] if delays is not None else 0)
        return []


@dataclass
class FakeWebhookSource:
    webhooks: list[Webhook | DamagedWebhook] = field(default_factory=list)
    failing_accounts: set[str] = field(default_factory=set)
    queries: Counter[str] = field(default_factory=Counter)

    def list_for_account(self, account_id: str) -> list[Webhook | DamagedWebhook]:
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


def a_deliverer(
    webhooks: InMemoryWebhooks,
    sender: ScriptedSender | Any,
    queue: RecordingQueue,
    guard: EndpointGuard,
    *,
    log: InMemoryDeliveryLog | None = None,
    rules: DeliveryRules = DELIVERY_RULES,
    health: BatchHealth | None = None,
    clock: Callable[[], datetime] = lambda: NOW,
    **wiring: Any,
) -> Deliverer:
    """The deliverer on in-memory fakes: the webhooks also disable, the log is a fresh one unless given;
    `wiring` passes any other of Deliverer's parameters (concurrent_map, uniform)."""
    return Deliverer(
        webhooks=webhooks,
        log=log if log is not None else InMemoryDeliveryLog(),
        sender=sender,
        queue=queue,
        disabler=webhooks,
        rules=rules,
        guard=guard,
        health=health if health is not None else a_health(webhooks),
        clock=clock,
        **wiring,
    )
