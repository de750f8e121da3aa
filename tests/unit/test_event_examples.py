"""The guide's event examples (and the OpenAPI document's) are the code's output: committed = generated, one
per event, and the worked signature example really verifies."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from standardwebhooks import Webhook as StandardWebhook

from tools.generate_event_examples import (
    BEGIN,
    END,
    EXAMPLE_PREVIOUS_SECRET,
    EXAMPLE_REQUESTS,
    EXAMPLE_SECRET,
    GUIDE,
    example_requests,
    updated_guide,
)
from webhooks.catalogue import CATALOGUE, TEST_EVENT


def _guide() -> str:
    return GUIDE.read_text(encoding="utf-8")


def _generated_part() -> str:
    return _guide().split(BEGIN, 1)[1].split(END, 1)[0]


def test_the_committed_guide_holds_what_the_generator_writes_now() -> None:
    assert _guide() == updated_guide(_guide()), "docs/receiving-webhooks.md is stale: run `make docs`"


def test_the_committed_example_requests_are_what_the_generator_writes_now() -> None:
    committed = EXAMPLE_REQUESTS.read_text(encoding="utf-8")
    assert committed == example_requests(), f"{EXAMPLE_REQUESTS.name} is stale: run `make docs`"
    assert list(json.loads(committed)) == [event.name for event in CATALOGUE] + [TEST_EVENT]


def test_a_hand_edit_of_an_example_counts_as_drift() -> None:
    edited = _guide().replace('"event": "license.revoked"', '"event": "license.revoked_by_hand"', 1)
    assert edited != _guide()
    assert updated_guide(edited) != edited


def test_every_event_and_the_test_event_have_an_example_body() -> None:
    sections = re.findall(r"^### ([a-z]+\.[a-z]+)\n\n.*?\n\n```json\n(.*?)\n```", _generated_part(), re.M | re.S)
    bodies = {name: json.loads(body) for name, body in sections}
    assert list(bodies) == [event.name for event in CATALOGUE] + [TEST_EVENT]
    for name, body in bodies.items():
        assert list(body)[:3] == ["event", "payload", "webhook_id"]
        assert body["event"] == name
    assert bodies["license.suspended"]["previous_attributes"] == {"status": "inactive"}
    assert "previous_attributes" not in bodies["license.created"]


def test_the_worked_example_is_signed_by_the_example_secrets() -> None:
    # Given the signed request and the rotation header of the guide
    request = re.search(r"```http\nPOST [^\n]*\n(.*?)\n\n(.*?)\n```", _generated_part(), re.S)
    assert request is not None
    headers = dict(line.split(": ", 1) for line in request.group(1).splitlines())
    body = request.group(2)
    (rotation,) = re.findall(r"```http\nwebhook-signature: (.*?)\n```", _generated_part())
    # When each secret signs the id, timestamp and body
    signed_at = datetime.fromtimestamp(int(headers["webhook-timestamp"]), UTC)

    def signature(secret: str) -> str:
        return str(StandardWebhook(secret).sign(headers["webhook-id"], signed_at, body))

    # Then the headers carry exactly those signatures: one normally, new then previous during a rotation
    assert headers["webhook-signature"] == signature(EXAMPLE_SECRET)
    assert rotation.split(" ") == [signature(EXAMPLE_SECRET), signature(EXAMPLE_PREVIOUS_SECRET)]
    assert headers["x-webhook-event"] == json.loads(body)["event"] == "license.created"
