"""A webhook's `rate_limit_per_second`, held across invocations: two deliverers (two containers) share the
endpoint's circuit item in moto, a burst of 300 events is served on a simulated clock, and the POSTs
keep to 5 a second; what is over the limit is deferred to the next second, never dropped."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from tests.integration.conftest import MotoAws
from tests.support.builders import NOW, a_delivery_message, a_webhook
from tests.support.fakes import (
    InMemoryWebhooks,
    RecordingQueue,
    a_deliverer,
    a_guard,
)
from webhooks.adapters.endpoint_circuits import DynamoEndpointCircuits
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.outbound import OutboundRequest, SendResult

LIMIT, BURST = 5, 300
HOOK_ID = "0f0f0f0f-0000-4000-8000-0000000005a7"


class ClockedSender:
    """Answers 200 at once and notes the simulated time of each POST, by delivery."""

    def __init__(self, clock: list[datetime]) -> None:
        self._clock = clock
        self.posted: dict[str, datetime] = {}

    def post(self, request: OutboundRequest) -> SendResult:
        self.posted[request.headers["webhook-id"]] = self._clock[0]
        return SendResult(http_status=200, duration_ms=20)


def test_a_burst_of_300_to_a_5_per_second_webhook_is_posted_at_5_a_second_each_once(aws: MotoAws) -> None:
    # Given a webhook limited to 5 POSTs a second, and two containers delivering its messages
    webhooks = InMemoryWebhooks()
    webhooks.add(a_webhook(webhook_id=HOOK_ID, rate_limit_per_second=LIMIT))
    circuits = DynamoEndpointCircuits(aws.session.client("dynamodb"), aws.deployed.tables["EndpointCircuitsTable"])
    clock = [NOW.replace(microsecond=0)]
    sender, queue = ClockedSender(clock), RecordingQueue()
    containers = [
        a_deliverer(webhooks, sender, queue, a_guard(queue, circuits), clock=lambda: clock[0]) for _ in range(2)
    ]
    waiting: list[DeliveryMessage] = [
        a_delivery_message(webhook_id=HOOK_ID, delivery_id=f"msg_{n:03}") for n in range(BURST)
    ]
    # When the burst is served in batches of ten, the containers taking turns every 100 ms
    for tick in range(1200):
        if not waiting and not queue.sent:
            break
        waiting += [message for message, _ in queue.sent]
        queue.sent.clear()
        due = [m for m in waiting if m.not_before is None or m.not_before <= clock[0]][:10]
        waiting = [m for m in waiting if m not in due]
        if due:
            containers[tick % 2].deliver_batch(due)
        clock[0] += timedelta(milliseconds=100)
    # Then every event was POSTed once, none dropped
    assert sorted(sender.posted) == [f"msg_{n:03}" for n in range(BURST)]
    # And no second had more than the limit, and the burst took as long as the limit says, within 10 %
    per_second = Counter(moment.replace(microsecond=0) for moment in sender.posted.values())
    assert max(per_second.values()) == LIMIT
    span = (max(sender.posted.values()) - min(sender.posted.values())).total_seconds() + 1
    assert abs(BURST / span - LIMIT) <= 0.1 * LIMIT
