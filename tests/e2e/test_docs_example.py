"""The customer guide's Python verification example, run as written against a real delivery of the local stack."""

from __future__ import annotations

import re
import runpy
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from standardwebhooks import Webhook as StandardWebhook

from local.sam_template import ROOT
from tests.e2e.conftest import DELIVERY_SECONDS, RunningStack
from tests.support.local_stack import wait_for
from tests.support.receivers import Receiver

pytestmark = pytest.mark.e2e

GUIDE = ROOT / "docs" / "receiving-webhooks.md"
ACCOUNT = "docs-example"


def _guide_example(folder: Path) -> Path:
    """The guide's one ```python verify-example block, as a module file."""
    (code,) = re.findall(r"^```python verify-example\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    path = folder / "verify_example.py"
    path.write_text(code, encoding="utf-8")
    return path


def test_the_guides_python_example_accepts_a_real_delivery_and_rejects_tampered_ones(
    local_stack: RunningStack,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    # Given a webhook registered through the stack's API for a loopback receiver
    token = local_stack.token(ACCOUNT)
    subscription = {"name": "docs", "url": receiver.url("/ok"), "environment": "development", "events": ["license.*"]}
    status, _, webhook = local_stack.request("POST", "/webhooks", token=token, body=subscription)
    assert status == 201
    # And a license written as a platform service writes it, delivered to the receiver
    license_id = f"lic-{uuid.uuid4().hex[:8]}"
    item = {"id": {"S": license_id}, "account_id": {"S": ACCOUNT}, "environment": {"S": "development"}}
    local_stack.info.client("dynamodb").put_item(TableName=local_stack.info.tables["licenses"], Item=item)
    assert wait_for(lambda: receiver.requests, timeout_seconds=DELIVERY_SECONDS)
    (delivery,) = receiver.requests
    # When the guide's example runs with the webhook's secret
    monkeypatch.setenv("WEBHOOK_SECRET", webhook["secret"])
    receive = runpy.run_path(str(_guide_example(tmp_path)))["receive"]
    # Then it accepts the real delivery and handles it once, a repeat of the same webhook-id included
    assert receive(delivery.body, delivery.headers) == 200
    assert receive(delivery.body, delivery.headers) == 200
    assert capsys.readouterr().out == f"license.created {license_id}\n"
    # And it rejects an altered body, another secret's signature, and a correctly signed but stale request
    altered = delivery.body.replace(license_id.encode(), b"lic-forged")
    assert receive(altered, delivery.headers) == 400
    signer = StandardWebhook(webhook["secret"])
    stranger = StandardWebhook("whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY")
    signed_at = datetime.fromtimestamp(int(delivery.headers["webhook-timestamp"]), UTC)
    forged = stranger.sign(delivery.headers["webhook-id"], signed_at, delivery.body.decode())
    assert receive(delivery.body, delivery.headers | {"webhook-signature": forged}) == 400
    stale_at = datetime.now(UTC) - timedelta(minutes=6)
    stale = {
        "webhook-timestamp": str(int(stale_at.timestamp())),
        "webhook-signature": signer.sign(delivery.headers["webhook-id"], stale_at, delivery.body.decode()),
    }
    assert receive(delivery.body, delivery.headers | stale) == 400
    assert capsys.readouterr().out == ""
