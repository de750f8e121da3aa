"""Webhooks end to end on the running local stack: domain writes in, signed POSTs out, the delivery log.

Only the public interface: the HTTP API with tokens, boto3 writes to the domain tables on the emulator
endpoint, and a loopback receiver that verifies signatures with `standardwebhooks`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.demo import delivery_log_statuses
from local.demo_records import demo_writes, expected_events
from local.receiver import Receiver
from tests.e2e.conftest import RunningStack, Tenant, eventually

pytestmark = pytest.mark.e2e


def test_each_of_the_19_events_is_delivered_verified_and_logged_as_succeeded(
    tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given a webhook for every event
    receiver = new_receiver()
    webhook_id = tenant.subscribe(receiver)
    writes = demo_writes(tenant.account_id, "development")
    expected = expected_events(writes)
    assert len(expected) == 19

    # When the platform writes records that mean each of the 19 events
    tenant.write(*writes)

    # Then each arrives as often as its records mean it, once per delivery id, signed with the webhook's secret
    assert eventually(lambda: receiver.counts() == expected), receiver.counts()
    deliveries = receiver.deliveries
    assert all(delivery.verified_by == (0,) for delivery in deliveries)
    assert len({delivery.webhook_id for delivery in deliveries}) == len(deliveries)
    # And the delivery log shows every one of them as succeeded
    received = {delivery.webhook_id: "succeeded" for delivery in deliveries}
    assert eventually(lambda: delivery_log_statuses(tenant.stack.info, tenant.token, webhook_id) == received)


def test_a_disabled_webhook_gets_nothing_and_receives_again_once_re_enabled(
    local_stack: RunningStack, tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given two webhooks of the account, one of them disabled
    paused, witness = new_receiver(), new_receiver()
    paused_id = tenant.subscribe(paused)
    witness_id = tenant.subscribe(witness)
    assert tenant.call("PATCH", f"/webhooks/{paused_id}", {"enabled": False})[0] == 200

    # When a record is written that both subscribe to
    tenant.write(tenant.a_license())

    # Then the enabled one gets it and its log shows it succeeded (so the log is read and up to date) ...
    assert eventually(lambda: _statuses(tenant, witness_id) == [(_only_delivery_id(witness), "succeeded")])
    # ... and once deliver is idle, the disabled one has had no POST and its log no attempt at all
    # (emit leaves a disabled webhook out, so not even a skipped attempt is logged)
    assert eventually(local_stack.delivery_queue_is_empty)
    assert paused.deliveries == []
    assert tenant.delivery_log(paused_id) == []

    # When it is enabled again and another record is written
    assert tenant.call("PATCH", f"/webhooks/{paused_id}", {"enabled": True})[0] == 200
    tenant.write(tenant.a_license())

    # Then that one reaches it, and its log shows exactly that attempt, succeeded
    assert eventually(lambda: [delivery.event for delivery in paused.deliveries] == ["license.created"])
    assert eventually(lambda: _statuses(tenant, paused_id) == [(_only_delivery_id(paused), "succeeded")])


def _statuses(tenant: Tenant, webhook_id: str) -> list[tuple[str, str]]:
    return [(attempt["delivery_id"], attempt["status"]) for attempt in tenant.delivery_log(webhook_id)]


def _only_delivery_id(receiver: Receiver) -> str | None:
    """The webhook-id of the receiver's one delivery (None until exactly one arrived)."""
    return receiver.deliveries[0].webhook_id if len(receiver.deliveries) == 1 else None


def test_after_a_rotation_each_delivery_carries_both_signatures_and_either_secret_verifies_it(
    tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given a webhook whose receiver knows its first secret
    receiver = new_receiver()
    webhook_id = tenant.subscribe(receiver, events=["license.*"])

    # When the secret is rotated (the receiver learns the new one) and a record is written
    status, rotated = tenant.call("POST", f"/webhooks/{webhook_id}/secret/rotate")
    assert status == 200
    assert rotated["previous_secret_expires_at"] is not None
    receiver.add_secret(rotated["secret"])
    tenant.write(tenant.a_license())

    # Then the delivery verifies with the old secret and with the new one: it carries both signatures
    assert eventually(lambda: len(receiver.deliveries) == 1)
    assert receiver.deliveries[0].verified_by == (0, 1)


def test_a_redelivery_sends_the_same_webhook_id_again_and_is_logged_as_attempt_2(
    tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given a delivery that succeeded
    receiver = new_receiver()
    webhook_id = tenant.subscribe(receiver)
    tenant.write(tenant.a_license())
    assert eventually(lambda: len(receiver.deliveries) == 1)
    delivery_id = receiver.deliveries[0].webhook_id
    logged = {delivery_id: "succeeded"}
    assert eventually(lambda: delivery_log_statuses(tenant.stack.info, tenant.token, webhook_id) == logged)

    # When it is redelivered through the API
    status, accepted = tenant.call("POST", f"/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver")

    # Then it is accepted as attempt 2, and the receiver gets the same webhook-id again, verified
    assert status == 202
    assert (accepted["delivery_id"], accepted["attempt"]) == (delivery_id, 2)
    assert eventually(lambda: len(receiver.deliveries) == 2)
    assert [delivery.webhook_id for delivery in receiver.deliveries] == [delivery_id, delivery_id]
    assert receiver.deliveries[1].verified
    # And the log shows the second attempt, triggered by the redelivery, succeeded
    second = eventually(
        lambda: [a for a in tenant.delivery_log(webhook_id) if a["attempt"] == 2 and a["status"] != "pending"]
    )
    assert [(a["delivery_id"], a["trigger"], a["status"]) for a in second] == [(delivery_id, "redeliver", "succeeded")]


def test_a_test_event_reaches_the_receiver_through_the_normal_delivery_path(
    tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given a webhook for license events only
    receiver = new_receiver()
    webhook_id = tenant.subscribe(receiver, events=["license.*"])

    # When a test event is requested
    status, accepted = tenant.call("POST", f"/webhooks/{webhook_id}/test")

    # Then it is accepted, and the receiver gets webhook.test, signed, under the accepted delivery id
    assert status == 202
    assert eventually(lambda: len(receiver.deliveries) == 1)
    (delivery,) = receiver.deliveries
    assert (delivery.event, delivery.webhook_id, delivery.verified) == ("webhook.test", accepted["delivery_id"], True)
    assert eventually(lambda: Counter(attempt["trigger"] for attempt in tenant.delivery_log(webhook_id)) == {"test": 1})


def test_recover_sends_again_what_failed_while_the_endpoint_was_down(
    tenant: Tenant, new_receiver: Callable[[], Receiver]
):
    # Given a webhook whose endpoint answers 503 while two licenses are created (no retry policy: one attempt)
    receiver = new_receiver()
    receiver.respond_with = 503
    webhook_id = tenant.subscribe(receiver, events=["license.created"])
    since = datetime.now(UTC) - timedelta(minutes=1)
    tenant.write(tenant.a_license(), tenant.a_license())
    assert eventually(lambda: [a["status"] for a in tenant.delivery_log(webhook_id)] == ["failed", "failed"])
    failed = {delivery.webhook_id for delivery in receiver.deliveries}

    # When the endpoint is back and an admin recovers the webhook's failed deliveries
    receiver.respond_with = 200
    recover = f"/webhooks/{webhook_id}/deliveries/recover"
    status, recovery = tenant.call("POST", recover, {"since": since.isoformat()})

    # Then both are sent again under the same webhook-ids, verified, and the log shows them succeeded
    assert status == 202
    assert {(queued["delivery_id"], queued["attempt"]) for queued in recovery["queued"]} == {(d, 2) for d in failed}
    assert eventually(lambda: len(receiver.deliveries) == 4)
    resent = receiver.deliveries[2:]
    assert ({delivery.webhook_id for delivery in resent}, all(d.verified for d in resent)) == (failed, True)
    assert eventually(
        lambda: delivery_log_statuses(tenant.stack.info, tenant.token, webhook_id) == dict.fromkeys(failed, "succeeded")
    )
    # And recovering the same range again finds nothing left to send
    status, again = tenant.call("POST", recover, {"since": since.isoformat()})
    assert (status, again["queued"], again["next_cursor"]) == (202, [], None)


class DisabledWhileFailing(Receiver):
    """An endpoint that answers 503; as its first request comes in, its admin disables the webhook (the
    runbook's advice for a misbehaving endpoint), before the answer, so the retry finds it disabled."""

    def __init__(self, tenant: Tenant) -> None:
        super().__init__()
        self.respond_with = 503
        self.webhook_id: str | None = None
        self._tenant = tenant

    def record(self, body: bytes, headers: dict[str, str]) -> int:
        status = super().record(body, headers)
        webhook_id, self.webhook_id = self.webhook_id, None
        if webhook_id is not None:
            assert self._tenant.call("PATCH", f"/webhooks/{webhook_id}", {"enabled": False})[0] == 200
        return status


def test_recover_sends_again_what_was_skipped_while_the_webhook_was_disabled(tenant: Tenant):
    with DisabledWhileFailing(tenant) as receiver:
        # Given a webhook with a retry policy whose endpoint fails, and which its admin disables meanwhile
        webhook_id = tenant.subscribe(receiver, events=["license.created"])
        policy: dict[str, Any] = {"max_attempts": 3, "initial_backoff_seconds": 1, "max_backoff_seconds": 1}
        assert tenant.call("PATCH", f"/webhooks/{webhook_id}", {"retry_policy": policy})[0] == 200
        receiver.webhook_id = webhook_id
        since = datetime.now(UTC) - timedelta(minutes=1)
        tenant.write(tenant.a_license())

        # Then the first attempt fails, and its retry is skipped because the webhook is disabled
        def outcomes() -> list[tuple[int, str, str | None]]:
            log = tenant.delivery_log(webhook_id)
            return sorted((a["attempt"], a["status"], a["error_kind"]) for a in log if a["status"] != "pending")

        assert eventually(lambda: outcomes() == [(1, "failed", "http_status"), (2, "skipped", "webhook_disabled")])
        (delivery_id,) = {delivery.webhook_id for delivery in receiver.deliveries}

        # When the endpoint is fixed, the webhook enabled again, and an admin recovers its deliveries
        receiver.respond_with = 200
        assert tenant.call("PATCH", f"/webhooks/{webhook_id}", {"enabled": True})[0] == 200
        recover = f"/webhooks/{webhook_id}/deliveries/recover"
        status, recovery = tenant.call("POST", recover, {"since": since.isoformat()})

        # Then the skipped delivery is queued as attempt 3 and arrives with the same webhook-id, verified
        assert (status, [(q["delivery_id"], q["attempt"]) for q in recovery["queued"]]) == (202, [(delivery_id, 3)])
        assert eventually(lambda: len(receiver.deliveries) == 2)
        assert [(d.webhook_id, d.verified) for d in receiver.deliveries] == [(delivery_id, True), (delivery_id, True)]
        # And the log shows attempt 3, triggered by the recovery, succeeded
        assert eventually(lambda: outcomes()[-1:] == [(3, "succeeded", None)])
        assert [a["trigger"] for a in tenant.delivery_log(webhook_id) if a["attempt"] == 3] == ["redeliver"]
