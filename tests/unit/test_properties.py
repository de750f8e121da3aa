"""Properties that hold for any input (hypothesis): event derivation, Standard Webhooks signing,
and the queue body SQS must accept."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook as StandardWebhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.support.builders import SECRET, a_delivery_message, a_stream_change
from webhooks.catalogue import DOMAIN_ENTITIES, EVENT_NAMES, Entity, Environment
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.signing import signed_headers
from webhooks.domain.derivation import DerivedEvent, derive
from webhooks.domain.ids import event_id

STATUSES = ["active", "inactive", "suspended", "expired", "revoked", "pending", "failed", "", None]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@st.composite
def images(draw: st.DrawFn, account: str, environment: Environment) -> dict[str, Any]:
    image: dict[str, Any] = {"id": "x_1", "account_id": account, "environment": environment.value}
    for name, values in (("status", st.sampled_from(STATUSES)), ("assignee", st.sampled_from(["", "bob", "carol"]))):
        if draw(st.booleans()):
            image[name] = draw(values)
    image |= draw(st.dictionaries(st.sampled_from(["seats", "tier", "note", "tags"]), JSON_VALUES, max_size=3))
    return image


@st.composite
def changes(draw: st.DrawFn) -> tuple[Entity, str, dict[str, Any] | None, dict[str, Any] | None]:
    entity = draw(st.sampled_from(list(DOMAIN_ENTITIES)))
    kind = draw(st.sampled_from(["INSERT", "MODIFY", "REMOVE"]))
    route = (draw(st.sampled_from(["acme", "globex"])), draw(st.sampled_from(list(Environment))))
    old = draw(images(*route)) if kind != "INSERT" else None
    new = draw(images(*route)) if kind != "REMOVE" else None
    if kind == "MODIFY" and draw(st.booleans()):
        new = dict(old or {})  # equal images happen (an identical re-put)
    return entity, kind, old, new


@settings(max_examples=150)
@given(changes(), st.text(min_size=1, max_size=20))
def test_any_change_yields_events_that_obey_the_design_table(change: Any, stream_event_id: str) -> None:
    entity, kind, old, new = change
    events = derive(a_stream_change(kind, old=old, new=new, stream_event_id=stream_event_id), entity)
    assert isinstance(events, list)
    names = [event.event for event in events]
    # Every event is the entity's own and in the catalogue, each at most once
    assert all(name in EVENT_NAMES and name.startswith(f"{entity.value}.") for name in names)
    assert len(set(names)) == len(names)
    # INSERT and REMOVE give exactly one event; a MODIFY with equal images gives none
    if kind == "INSERT":
        assert names in ([f"{entity.value}.created"], ["activation.failed"])
    elif kind == "REMOVE":
        assert names == [f"{entity.value}.deleted"]
    elif old == new:
        assert names == []
    elif entity is Entity.ACTIVATION:
        assert names in ([], ["activation.failed"])
    else:
        assert names[0] == f"{entity.value}.updated"
    # Ids come from the stream record and the event name only: stable across retries, distinct per event
    again = derive(a_stream_change(kind, old=old, new=new, stream_event_id=stream_event_id), entity)
    assert again == events
    assert [event.event_id for event in events] == [event_id(stream_event_id, name) for name in names]
    for event in events:
        _assert_routed_and_serialisable(event, old, new)


def _assert_routed_and_serialisable(
    event: DerivedEvent, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> None:
    image = new if new is not None else old
    assert image is not None
    assert (event.account_id, event.environment.value) == (image["account_id"], image["environment"])
    assert event.payload == image
    json.dumps(event.payload)
    json.dumps(event.previous_attributes)
    if event.previous_attributes is not None and old is not None and new is not None:
        changed = {name for name in old.keys() | new.keys() if old.get(name) != new.get(name)}
        assert set(event.previous_attributes) <= changed


DELIVERY_IDS = st.from_regex(r"msg_[0-9a-f]{32}", fullmatch=True)
# Seconds from now, within the verifier's tolerance (5 minutes); `now` is read when the example runs.
MOMENTS = st.integers(min_value=-120, max_value=120)


def _signed(body: str, delivery_id: str, offset_seconds: int) -> dict[str, str]:
    moment = datetime.now(UTC) + timedelta(seconds=offset_seconds)
    return signed_headers(a_delivery_message(delivery_id=delivery_id), body, [SECRET], moment)


@given(st.text(max_size=200), DELIVERY_IDS, MOMENTS)
def test_any_body_id_and_timestamp_round_trip_through_the_reference_verifier(
    body: str, delivery_id: str, offset: int
) -> None:
    headers = _signed(body, delivery_id, offset)

    StandardWebhook(SECRET).verify(body.encode(), headers, json_parse=False)


@given(st.text(min_size=1, max_size=200), DELIVERY_IDS, MOMENTS, st.data())
def test_any_single_character_change_to_the_body_fails_verification(
    body: str, delivery_id: str, offset: int, data: st.DataObject
) -> None:
    headers = _signed(body, delivery_id, offset)
    position = data.draw(st.integers(min_value=0, max_value=len(body) - 1))
    replacement = data.draw(st.characters().filter(lambda character: character != body[position]))
    tampered = body[:position] + replacement + body[position + 1 :]

    with pytest.raises(WebhookVerificationError):
        StandardWebhook(SECRET).verify(tampered.encode(), headers, json_parse=False)


@given(st.text(max_size=50), DELIVERY_IDS, DELIVERY_IDS, MOMENTS)
def test_a_signature_does_not_verify_under_another_id_or_timestamp(
    body: str, delivery_id: str, other_id: str, offset: int
) -> None:
    headers = _signed(body, delivery_id, offset)
    verifier = StandardWebhook(SECRET)

    if other_id != delivery_id:
        with pytest.raises(WebhookVerificationError):
            verifier.verify(body.encode(), headers | {"webhook-id": other_id}, json_parse=False)
    later = str(int(headers["webhook-timestamp"]) + 1)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(body.encode(), headers | {"webhook-timestamp": later}, json_parse=False)


def _sqs_accepts(character: str) -> bool:
    """SQS's message-body character set: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF."""
    code = ord(character)
    return code in {0x9, 0xA, 0xD} or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


# Every character a platform record's text can carry, with the ones SQS refuses drawn often.
RECORD_TEXT = st.text(st.sampled_from("\ufffe\uffff\x00\x1f\ud7ff\ue000") | st.characters(codec="utf-8"), max_size=30)


@given(RECORD_TEXT, st.dictionaries(RECORD_TEXT, RECORD_TEXT, max_size=3))
def test_any_record_text_becomes_a_queue_body_sqs_accepts_that_reads_back_as_the_same_message(
    note: str, fields: dict[str, str]
) -> None:
    message = a_delivery_message(payload={"note": note, **fields})
    body = message.queue_body()
    assert all(_sqs_accepts(character) for character in body)
    assert DeliveryMessage.model_validate_json(body) == message
