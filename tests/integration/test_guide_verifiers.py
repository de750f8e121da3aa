"""The customer guide's verifiers, run as written against our signer's requests: the dependency-free `v1` ones
(Node.js and PHP), and the `v1a` (Ed25519) ones in Python, Node.js and PHP."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from local.sam_template import ROOT
from tests.support.builders import SECRET, a_delivery_message
from webhooks.delivery.signing import encode_body, signed_headers
from webhooks.domain.signing_keys import SignatureScheme, new_secret, public_key

GUIDE = ROOT / "docs" / "receiving-webhooks.md"
OTHER_SECRET = "whsec_b2xkIHNlY3JldCBzdGlsbCBpbiBncmFjZQ=="


@dataclass(frozen=True)
class GuideVerifier:
    """A ```<fence> <tag> block, saved as `module`, and a driver that reads [{body, headers}] on stdin and
    prints, as a JSON list, `ok <payload name>` or `error <message>` for each request; the key it verifies
    with is in the environment variable `key_variable`."""

    fence: str
    command: str
    module: str
    driver: str
    tag: str = "verify-example"
    key_variable: str = "WEBHOOK_SECRET"


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
V1A = {"tag": "verify-v1a", "key_variable": "WEBHOOK_PUBLIC_KEY"}
V1A_VERIFIERS = [
    pytest.param(
        GuideVerifier(
            fence="python",
            command=sys.executable,
            module="verify_v1a.py",
            driver="""
import json, sys
from verify_v1a import InvalidWebhook, verify_webhook
outcomes = []
for request in json.load(sys.stdin):
    try:
        outcomes.append("ok " + verify_webhook(request["body"].encode(), request["headers"])["payload"]["name"])
    except InvalidWebhook as error:
        outcomes.append(f"error {error}")
print(json.dumps(outcomes))
""",
            **V1A,
        ),
        id="python",
    ),
    pytest.param(replace(NODE, **V1A), id="node"),
    pytest.param(
        replace(
            PHP,
            driver=PHP.driver.replace("WebhookSignature", "WebhookEd25519Signature").replace(
                "WEBHOOK_SECRET", "WEBHOOK_PUBLIC_KEY"
            ),
            **V1A,
        ),
        id="php",
    ),
]


def _run(verifier: GuideVerifier, folder: Path, key: str, requests: list[dict[str, Any]]) -> list[str]:
    executable = shutil.which(verifier.command)
    assert executable, f"`{verifier.command}` is needed to check the guide's example (see the README)"
    pattern = rf"^```{verifier.fence} {verifier.tag}\n(.*?)^```"
    (code,) = re.findall(pattern, GUIDE.read_text(encoding="utf-8"), re.M | re.S)
    (folder / verifier.module).write_text(code, encoding="utf-8")
    (folder / f"driver{Path(verifier.module).suffix}").write_text(verifier.driver, encoding="utf-8")
    finished = subprocess.run(
        [executable, f"driver{Path(verifier.module).suffix}"],
        cwd=folder,
        input=json.dumps(requests),
        env={verifier.key_variable: key},
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


# An Ed25519 key pair of the tests only, and a second one (a rotation's other key, or a stranger's).
V1A_KEY, OTHER_V1A_KEY = new_secret(SignatureScheme.V1A), new_secret(SignatureScheme.V1A)
V1A_PUBLIC, OTHER_V1A_PUBLIC = str(public_key(V1A_KEY)), str(public_key(OTHER_V1A_KEY))


@pytest.mark.parametrize("verifier", V1A_VERIFIERS)
def test_the_guides_v1a_verifier_accepts_our_ed25519_signatures_and_rejects_what_it_should(
    verifier: GuideVerifier, tmp_path: Path
) -> None:
    # Given a request signed with the webhook's Ed25519 key, one of a rotation to it from a v1 secret, and copies
    # spoiled in each way that matters
    genuine = _request([V1A_KEY])
    rotated = _request([V1A_KEY, SECRET])
    altered = genuine | {"body": genuine["body"].replace('"seats":5', '"seats":500')}
    stranger = _request([OTHER_V1A_KEY])
    stale = _request([V1A_KEY], datetime.now(UTC) - timedelta(minutes=6))
    unsigned = genuine | {"headers": {k: v for k, v in genuine["headers"].items() if k != "webhook-signature"}}

    # When the guide's verifier, run with the webhook's public key, checks each of them
    outcomes = _run(verifier, tmp_path, V1A_PUBLIC, [genuine, rotated, altered, stranger, stale, unsigned])

    # Then it accepts exactly the genuine and the rotated ones, UTF-8 body intact, and refuses the rest
    assert outcomes == [
        "ok Zoë's licence",
        "ok Zoë's licence",
        "error no valid signature",
        "error no valid signature",
        "error stale timestamp",
        "error missing webhook headers",
    ]


@pytest.mark.parametrize("key", [V1A_PUBLIC, OTHER_V1A_PUBLIC], ids=["new key", "old key"])
@pytest.mark.parametrize("verifier", V1A_VERIFIERS)
def test_each_key_of_a_v1a_rotation_verifies_in_the_guides_verifier(
    verifier: GuideVerifier, tmp_path: Path, key: str
) -> None:
    # Given a request signed with both keys of a rotation, When either public key verifies it, Then it passes
    assert _run(verifier, tmp_path, key, [_request([V1A_KEY, OTHER_V1A_KEY])]) == ["ok Zoë's licence"]
