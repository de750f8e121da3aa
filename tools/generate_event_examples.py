"""Writes the event examples of docs/receiving-webhooks.md and of the OpenAPI document's webhooks from the code
(`make docs`; a test fails on drift).

Each example is what a receiver gets: the demo's domain writes (local/demo_records.py, which produce all 19
domain events) become stream changes, `derive` turns them into events, and `DeliveryMessage.body()` is the
body. The operational events are built by the builders deliver and manage use, written as their table's
item and read back from its stream the same way. The test event comes from the manual-delivery use case.
Ids and times are fixed so the output is stable.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from local.demo_records import demo_writes
from webhooks.adapters.dynamo_codec import from_item
from webhooks.adapters.operational_events import operational_event_item
from webhooks.catalogue import CATALOGUE, TEST_EVENT, TEST_EVENT_DESCRIPTION, Entity, Environment, EventGroup
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.record import DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.delivery.signing import encode_body, signed_headers
from webhooks.delivery_log.redelivery import ManualDeliveries
from webhooks.domain.derivation import ChangeKind, StreamChange, derive
from webhooks.domain.emission import message_for
from webhooks.domain.ids import delivery_id
from webhooks.domain.operational_events import (
    DisableReason,
    OperationalEvent,
    delivery_exhausted,
    webhook_disabled,
    webhook_failing,
    webhook_recovered,
)
from webhooks.domain.principal import Principal, Role
from webhooks.domain.webhook import SigningSecret, Webhook

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "receiving-webhooks.md"
# Read by webhooks.api.docs: the manage function serves the document, and this file ships in its layer.
EXAMPLE_REQUESTS = ROOT / "layers" / "common" / "webhooks" / "api" / "event_examples.json"
BEGIN = "<!-- BEGIN GENERATED: event examples (make docs) -->"
END = "<!-- END GENERATED -->"

ACCOUNT_ID = "acme"
WEBHOOK_ID = "5d1c3f0e-8a43-4a52-9a59-0c6f3f5d2b11"
OCCURRED_AT = datetime(2026, 11, 29, 10, 0, 0, 123_000, tzinfo=UTC)
# Documentation-only secrets: they sign the worked example below and nothing else.
EXAMPLE_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105
EXAMPLE_PREVIOUS_SECRET = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"  # noqa: S105
TABLE_ENTITIES = {
    "licenses": Entity.LICENSE,
    "activations": Entity.ACTIVATION,
    "products": Entity.PRODUCT,
    "contracts": Entity.CONTRACT,
}


def _derived_messages() -> dict[str, DeliveryMessage]:
    """The first message of each event the demo's writes produce, in write order."""
    images: dict[tuple[str, str], dict[str, Any]] = {}
    messages: dict[str, DeliveryMessage] = {}
    for number, write in enumerate(demo_writes(ACCOUNT_ID, Environment.PRODUCTION.value, run="7f3a9c2e")):
        key = (write.table, str(write.item["id"]))
        old = images.pop(key, None)
        new = write.item if write.action == "put" else None
        if new is not None:
            images[key] = new
        kind = ChangeKind.REMOVE if new is None else ChangeKind.MODIFY if old else ChangeKind.INSERT
        change = StreamChange(
            sequence_number=str(number),
            stream_event_id=f"example-{number}",
            table_name=write.table,
            kind=kind.value,
            keys={"id": key[1]},
            occurred_at=OCCURRED_AT + timedelta(seconds=number),
            old_image=old,
            new_image=new,
        )
        derived = derive(change, TABLE_ENTITIES[write.table])
        assert isinstance(derived, list), f"the demo's write {number} is unroutable: {derived}"
        for event in derived:
            messages.setdefault(event.event, message_for(event, WEBHOOK_ID))
    return messages


def _operational_events() -> list[OperationalEvent]:
    """One of each, about another webhook of the account (an event about a webhook is not sent to it)."""
    failing_webhook = example_webhook().model_copy(
        update={"webhook_id": "9b2e7d41-3c5a-4f8e-b1d6-2a7c9e0f4b38", "name": "Search index", "version": 4}
    )
    down_since = OCCURRED_AT - timedelta(minutes=3)
    exhausted = DeliveryRecord(
        delivery_id=delivery_id("evt_2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e0b", failing_webhook.webhook_id),
        attempt=6,
        event_id="evt_2c4e6a8b0d1f3a5c7e9b1d3f5a7c9e0b",
        event="license.updated",
        account_id=ACCOUNT_ID,
        webhook_id=failing_webhook.webhook_id,
        environment=Environment.PRODUCTION.value,
        trigger="retry",
        status=DeliveryStatus.FAILED,
        requested_at=OCCURRED_AT,
        completed_at=OCCURRED_AT,
        http_status=503,
        error_kind=ErrorKind.HTTP_STATUS,
        expires_at=0,
    )
    return [
        webhook_failing(
            failing_webhook,
            consecutive_failures=5,
            down_since=down_since,
            retry_at=OCCURRED_AT + timedelta(seconds=30),
            at=down_since,
        ),
        webhook_recovered(failing_webhook, down_since=down_since, at=OCCURRED_AT),
        webhook_disabled(
            failing_webhook,
            reason=DisableReason.ENDPOINT_DOWN,
            detail="no successful delivery since its endpoint started failing at 2026-11-24T10:00:00.123Z (120.0 h)",
            disabled_by="system:deliver",
            at=OCCURRED_AT,
        ),
        delivery_exhausted(failing_webhook, exhausted),
    ]


def _operational_messages() -> dict[str, DeliveryMessage]:
    """Each operational event as written to its table, read back from its stream and derived, as emit does."""
    messages: dict[str, DeliveryMessage] = {}
    for number, event in enumerate(_operational_events()):
        item = from_item(operational_event_item(event))
        change = StreamChange(
            sequence_number=str(number),
            stream_event_id=f"operational-{number}",
            table_name="operational-events",
            kind=ChangeKind.INSERT.value,
            keys={"event_id": item["event_id"]},
            occurred_at=event.occurred_at,
            old_image=None,
            new_image=item,
        )
        (derived,) = derive(change, EventGroup.OPERATIONAL)  # type: ignore[misc]  # an INSERT: one event
        messages[derived.event] = message_for(derived, WEBHOOK_ID)
    return messages


class _OneWebhook:
    """Just enough of the stores for ManualDeliveries.send_test: this webhook, no history, no rate limit."""

    def __init__(self, webhook: Webhook) -> None:
        self.webhook = webhook
        self.sent: list[DeliveryMessage] = []

    def get(self, account_id: str, webhook_id: str) -> Webhook | None:  # noqa: ARG002
        return self.webhook

    def attempts(self, delivery_id: str) -> list[Any]:  # noqa: ARG002
        return []

    def page_for_webhook(self, *_: Any) -> tuple[list[Any], None]:
        return [], None

    def send(self, message: DeliveryMessage, delay_seconds: int = 0) -> None:  # noqa: ARG002
        self.sent.append(message)

    def reserve_test_slot(self, account_id: str, webhook_id: str, now: datetime, interval_seconds: int) -> None:  # noqa: ARG002
        return None


def example_webhook() -> Webhook:
    return Webhook(
        webhook_id=WEBHOOK_ID,
        account_id=ACCOUNT_ID,
        name="Billing sync",
        url="https://hooks.example.com/licenses",
        environment=Environment.PRODUCTION,
        events=frozenset({"*"}),
        secrets=(SigningSecret(value=SecretStr(EXAMPLE_SECRET), created_at=OCCURRED_AT),),
        created_at=OCCURRED_AT,
        updated_at=OCCURRED_AT,
        created_by="admin@acme.example",
        updated_by="admin@acme.example",
    )


def _test_message() -> DeliveryMessage:
    stores = _OneWebhook(example_webhook())
    admin = Principal(account_id=ACCOUNT_ID, subject="admin@acme.example", role=Role.ADMIN)
    ManualDeliveries(stores, stores, stores, stores).send_test(admin, WEBHOOK_ID, now=OCCURRED_AT)
    (message,) = stores.sent
    fixed_event_id = "evt_0f8e3b9a7c6d5e4f3a2b1c0d9e8f7a6b"  # a test event's id is random; the example's is not
    return message.model_copy(
        update={"event_id": fixed_event_id, "delivery_id": delivery_id(fixed_event_id, WEBHOOK_ID)}
    )


def event_examples() -> dict[str, DeliveryMessage]:
    """One message per event of the catalogue, in catalogue order, then the test event."""
    derived = _derived_messages() | _operational_messages()
    missing = [event.name for event in CATALOGUE if event.name not in derived]
    assert not missing, f"neither the demo's writes nor the operational builders produce {missing}"
    return {event.name: derived[event.name] for event in CATALOGUE} | {TEST_EVENT: _test_message()}


def _json_block(value: Any) -> str:
    return "```json\n" + json.dumps(value, indent=2, ensure_ascii=False) + "\n```"


def _signed_request(message: DeliveryMessage, secrets: list[str]) -> str:
    body = encode_body(message)
    headers = signed_headers(message, body, secrets, OCCURRED_AT)
    lines = [f"{name}: {value}" for name, value in headers.items()]
    return "```http\nPOST /licenses HTTP/1.1\nhost: hooks.example.com\n" + "\n".join(lines) + "\n\n" + body + "\n```"


def render_examples() -> str:
    """The generated part of the guide (between the markers)."""
    descriptions = {event.name: event.description for event in CATALOGUE}
    descriptions[TEST_EVENT] = TEST_EVENT_DESCRIPTION
    examples = event_examples()
    parts = ["| event | sent when |", "|---|---|"]
    parts += [f"| [`{name}`](#{name.replace('.', '')}) | {descriptions[name]} |" for name in examples]
    for name, message in examples.items():
        parts += ["", f"### {name}", "", descriptions[name], "", _json_block(message.body())]
    created = examples["license.created"]
    parts += [
        "",
        "### A signed request, byte for byte",
        "",
        f"`license.created` as sent at unix time {int(OCCURRED_AT.timestamp())} to a webhook whose secret is",
        f"`{EXAMPLE_SECRET}` (an example secret). On the wire the body is compact JSON, and the",
        "signature covers exactly these bytes. Use it to unit-test your verification, with the 5-minute",
        "window check switched off (this timestamp is in the past):",
        "",
        _signed_request(created, [EXAMPLE_SECRET]),
        "",
        f"During a secret rotation (the previous secret here is `{EXAMPLE_PREVIOUS_SECRET}`) the same",
        "request carries two signatures, the new secret's first:",
        "",
        "```http",
        "webhook-signature: "
        + signed_headers(created, encode_body(created), [EXAMPLE_SECRET, EXAMPLE_PREVIOUS_SECRET], OCCURRED_AT)[
            "webhook-signature"
        ],
        "```",
    ]
    return "\n".join(parts)


def updated_guide(text: str) -> str:
    """The guide with its generated part replaced by what the code generates now."""
    head, begin, rest = text.partition(BEGIN)
    _, end, tail = rest.partition(END)
    if not begin or not end:
        raise ValueError(f"{GUIDE.name} lacks the markers {BEGIN!r} ... {END!r}")
    return f"{head}{BEGIN}\n{render_examples()}\n{END}{tail}"


def example_requests() -> str:
    """Each event's example request as JSON: its headers, signed with the example secret, and its body."""
    requests: dict[str, dict[str, Any]] = {}
    for name, message in event_examples().items():
        headers = signed_headers(message, encode_body(message), [EXAMPLE_SECRET], OCCURRED_AT)
        requests[name] = {"headers": headers, "body": message.body()}
    return json.dumps(requests, indent=2, ensure_ascii=False) + "\n"


def main() -> int:
    GUIDE.write_text(updated_guide(GUIDE.read_text(encoding="utf-8")), encoding="utf-8")
    EXAMPLE_REQUESTS.write_text(example_requests(), encoding="utf-8")
    for written in (GUIDE, EXAMPLE_REQUESTS):
        print(f"wrote {written.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
