"""The customer guide's dependency-free Node.js verifier, run by Node as written, against our signer's requests."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from local.sam_template import ROOT
from tests.support.builders import SECRET, a_delivery_message
from webhooks.domain.signing import encode_body, signed_headers

GUIDE = ROOT / "docs" / "receiving-webhooks.md"
OTHER_SECRET = "whsec_b2xkIHNlY3JldCBzdGlsbCBpbiBncmFjZQ=="


def _guide_example(folder: Path) -> None:
    """The guide's ```js verify-example block as a module, and a driver that reads [{body, headers}] on stdin."""
    (code,) = re.findall(r"^```js verify-example\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    (folder / "verify.mjs").write_text(code, encoding="utf-8")
    (folder / "check.mjs").write_text(
        'import { readFileSync } from "node:fs";\n'
        'import { verifyWebhook } from "./verify.mjs";\n'
        'const requests = JSON.parse(readFileSync(0, "utf8"));\n'
        "const outcomes = requests.map(({ body, headers }) => {\n"
        "  try { return `ok ${verifyWebhook(body, headers).payload.name}`; }\n"
        "  catch (error) { return `error ${error.message}`; }\n"
        "});\n"
        "console.log(JSON.stringify(outcomes));\n",
        encoding="utf-8",
    )


def _run_guide_example(tmp_path: Path, secret: str, requests: list[dict[str, Any]]) -> list[str]:
    node = shutil.which("node")
    assert node, "Node.js is needed to check the guide's Node example (see the README)"
    _guide_example(tmp_path)
    finished = subprocess.run(
        [node, "check.mjs"],
        cwd=tmp_path,
        input=json.dumps(requests),
        env={"WEBHOOK_SECRET": secret},
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    outcomes: list[str] = json.loads(finished.stdout)
    return outcomes


def _request(secrets: list[str], signed_at: datetime | None = None) -> dict[str, Any]:
    message = a_delivery_message(payload={"name": "Zoë's licence", "seats": 5})
    body = encode_body(message)
    return {"body": body, "headers": signed_headers(message, body, secrets, signed_at or datetime.now(UTC))}


def test_the_guides_node_example_accepts_our_signatures_and_rejects_what_it_should(tmp_path: Path) -> None:
    # Given a request signed as deliver signs it, and copies spoiled in each way that matters
    genuine = _request([SECRET])
    altered = genuine | {"body": genuine["body"].replace('"seats":5', '"seats":500')}
    stranger = _request([OTHER_SECRET])
    stale = _request([SECRET], datetime.now(UTC) - timedelta(minutes=6))
    unsigned = genuine | {"headers": {k: v for k, v in genuine["headers"].items() if k != "webhook-signature"}}

    # When the guide's verifier, run by Node with the webhook's secret, checks each of them
    outcomes = _run_guide_example(tmp_path, SECRET, [genuine, altered, stranger, stale, unsigned])

    # Then it accepts exactly the genuine ones, UTF-8 body intact, and refuses the rest with its own reasons
    assert outcomes == [
        "ok Zoë's licence",
        "error no valid signature",
        "error no valid signature",
        "error stale timestamp",
        "error missing webhook headers",
    ]
    # And the reference verifier agrees on the genuine one (the two implementations read the same bytes)
    assert StandardWebhook(SECRET).verify(genuine["body"].encode(), genuine["headers"])["payload"]["seats"] == 5


@pytest.mark.parametrize("secret", [SECRET, OTHER_SECRET], ids=["new secret", "old secret"])
def test_each_secret_of_a_rotation_verifies_in_the_guides_node_example(tmp_path: Path, secret: str) -> None:
    # Given a request signed with both secrets of a rotation
    both = _request([OTHER_SECRET, SECRET])

    # When the receiver verifies it with either one, Then it is accepted
    assert _run_guide_example(tmp_path, secret, [both]) == ["ok Zoë's licence"]
