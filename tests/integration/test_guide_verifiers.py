"""The customer guide's dependency-free verifiers (Node.js and PHP), run as written against our signer's requests."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from local.sam_template import ROOT
from tests.support.builders import SECRET, a_delivery_message
from webhooks.delivery.signing import encode_body, signed_headers

GUIDE = ROOT / "docs" / "receiving-webhooks.md"
OTHER_SECRET = "whsec_b2xkIHNlY3JldCBzdGlsbCBpbiBncmFjZQ=="


@dataclass(frozen=True)
class GuideVerifier:
    """A ```<fence> verify-example block, saved as `module`, and a driver that reads [{body, headers}] on stdin
    and prints, as a JSON list, `ok <payload name>` or `error <message>` for each request."""

    fence: str
    command: str
    module: str
    driver: str


NODE = GuideVerifier(
    fence="js",
    command="node",
    module="verify.mjs",
    driver="""
import { readFileSync } from "node:fs";
import { verifyWebhook } from "./verify.mjs";
const outcomes = JSON.parse(readFileSync(0, "utf8")).map(({ body, headers }) => {
  try { return `ok ${verifyWebhook(body, headers).payload.name}`; }
  catch (error) { return `error ${error.message}`; }
});
console.log(JSON.stringify(outcomes));
""",
)
PHP = GuideVerifier(
    fence="php",
    command="php",
    module="verify.php",
    driver="""<?php
require __DIR__ . '/verify.php';
use App\\Support\\WebhookSignature;
$outcomes = [];
foreach (json_decode(stream_get_contents(STDIN), true) as ['body' => $body, 'headers' => $headers]) {
    try {
        $event = WebhookSignature::verify(getenv('WEBHOOK_SECRET'), $body, $headers['webhook-id'] ?? '',
            $headers['webhook-timestamp'] ?? '', $headers['webhook-signature'] ?? '');
        $outcomes[] = 'ok ' . $event['payload']['name'];
    } catch (UnexpectedValueException $invalid) {
        $outcomes[] = 'error ' . $invalid->getMessage();
    }
}
echo json_encode($outcomes);
""",
)
VERIFIERS = [pytest.param(NODE, id="node"), pytest.param(PHP, id="php")]


def _run(verifier: GuideVerifier, folder: Path, secret: str, requests: list[dict[str, Any]]) -> list[str]:
    executable = shutil.which(verifier.command)
    assert executable, f"`{verifier.command}` is needed to check the guide's example (see the README)"
    pattern = rf"^```{verifier.fence} verify-example\n(.*?)^```"
    (code,) = re.findall(pattern, GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    (folder / verifier.module).write_text(code, encoding="utf-8")
    (folder / f"driver{Path(verifier.module).suffix}").write_text(verifier.driver, encoding="utf-8")
    finished = subprocess.run(
        [executable, f"driver{Path(verifier.module).suffix}"],
        cwd=folder,
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


@pytest.mark.parametrize("verifier", VERIFIERS)
def test_the_guides_verifier_accepts_our_signatures_and_rejects_what_it_should(
    verifier: GuideVerifier, tmp_path: Path
) -> None:
    # Given a request signed as deliver signs it, and copies spoiled in each way that matters
    genuine = _request([SECRET])
    altered = genuine | {"body": genuine["body"].replace('"seats":5', '"seats":500')}
    stranger = _request([OTHER_SECRET])
    stale = _request([SECRET], datetime.now(UTC) - timedelta(minutes=6))
    unsigned = genuine | {"headers": {k: v for k, v in genuine["headers"].items() if k != "webhook-signature"}}

    # When the guide's verifier, run with the webhook's secret, checks each of them
    outcomes = _run(verifier, tmp_path, SECRET, [genuine, altered, stranger, stale, unsigned])

    # Then it accepts exactly the genuine one, UTF-8 body intact, and refuses the rest with its own reasons
    assert outcomes == [
        "ok Zoë's licence",
        "error no valid signature",
        "error no valid signature",
        "error stale timestamp",
        "error missing webhook headers",
    ]
    # And the reference verifier agrees on the genuine one (the implementations read the same bytes)
    assert StandardWebhook(SECRET).verify(genuine["body"].encode(), genuine["headers"])["payload"]["seats"] == 5


@pytest.mark.parametrize("secret", [SECRET, OTHER_SECRET], ids=["new secret", "old secret"])
@pytest.mark.parametrize("verifier", VERIFIERS)
def test_each_secret_of_a_rotation_verifies_in_the_guides_verifier(
    verifier: GuideVerifier, tmp_path: Path, secret: str
) -> None:
    # Given a request signed with both secrets of a rotation
    both = _request([OTHER_SECRET, SECRET])

    # When the receiver verifies it with either one, Then it is accepted
    assert _run(verifier, tmp_path, secret, [both]) == ["ok Zoë's licence"]
