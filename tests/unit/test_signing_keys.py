"""Ed25519 (`v1a`) keys and signatures next to `v1` secrets: formats, signing, and what may be shown."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import SecretStr
from standardwebhooks.webhooks import Webhook as StandardWebhook

from tests.support.builders import SECRET, a_delivery_message, a_webhook
from webhooks.delivery.signing import SIGNATURE_HEADER, SIGNATURE_PATTERN, encode_body, signed_headers
from webhooks.domain.signing_keys import SignatureScheme, new_secret, public_key, scheme_of, showable
from webhooks.domain.webhook import SigningSecret

SIGNED_AT = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def _verifies(public: str, signature: str, content: bytes) -> bool:
    key = Ed25519PublicKey.from_public_bytes(base64.b64decode(public.removeprefix("whpk_")))
    try:
        key.verify(base64.b64decode(signature.removeprefix("v1a,")), content)
    except InvalidSignature:
        return False
    return True


def test_a_v1a_key_is_a_whsk_private_key_whose_whpk_public_key_is_32_bytes() -> None:
    key = new_secret(SignatureScheme.V1A)
    assert re.fullmatch(r"whsk_[A-Za-z0-9+/]{43}=", key)
    public = public_key(key)
    assert public is not None
    assert len(base64.b64decode(public.removeprefix("whpk_"))) == 32
    assert scheme_of(key) is SignatureScheme.V1A
    assert new_secret(SignatureScheme.V1A) != key


def test_a_v1_secret_has_no_public_key_and_is_what_may_be_showable() -> None:
    secret = new_secret(SignatureScheme.V1)
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    assert (public_key(secret), showable(secret)) == (None, secret)
    assert showable(new_secret(SignatureScheme.V1A)) is None  # a private key is never shown


def test_a_v1a_webhook_signs_the_standard_content_with_ed25519() -> None:
    # Given a message and a webhook's Ed25519 key
    key, message = new_secret(SignatureScheme.V1A), a_delivery_message()
    body = encode_body(message)
    # When it is signed
    headers = signed_headers(message, body, [key], SIGNED_AT)
    # Then the header is one v1a entry that the public key verifies over {id}.{timestamp}.{body}, and only that
    signature = headers[SIGNATURE_HEADER]
    assert re.fullmatch(SIGNATURE_PATTERN, signature)
    content = f"{message.delivery_id}.{int(SIGNED_AT.timestamp())}.{body}".encode()
    assert _verifies(str(public_key(key)), signature, content)
    assert not _verifies(str(public_key(key)), signature, content + b" ")
    assert not _verifies(str(public_key(new_secret(SignatureScheme.V1A))), signature, content)


def test_switching_from_v1_to_v1a_during_a_rotation_sends_both_signatures() -> None:
    # Given a webhook rotated from its v1 secret to a v1a key, the old secret still in its grace period
    key = new_secret(SignatureScheme.V1A)
    webhook = a_webhook().rotated(SigningSecret(value=SecretStr(key), created_at=SIGNED_AT), timedelta(hours=1))
    message = a_delivery_message()
    body = encode_body(message)
    # When a message is signed with every secret that signs now
    headers = signed_headers(message, body, webhook.signing_secrets(SIGNED_AT), SIGNED_AT)
    # Then both schemes sign, the new one first; each verifies with its own key
    v1a, v1 = headers[SIGNATURE_HEADER].split(" ")
    assert (v1a[:4], v1[:3]) == ("v1a,", "v1,")
    assert re.fullmatch(SIGNATURE_PATTERN, headers[SIGNATURE_HEADER])
    assert webhook.signature_scheme is SignatureScheme.V1A
    content = f"{message.delivery_id}.{int(SIGNED_AT.timestamp())}.{body}".encode()
    assert _verifies(str(public_key(key)), v1a, content)
    assert StandardWebhook(SECRET).sign(message.delivery_id, SIGNED_AT, body) == v1


@pytest.mark.parametrize("signature", ["v1a,abc", "v1a," + "A" * 88, "v2," + "A" * 44])
def test_the_documented_header_format_refuses_what_we_never_send(signature: str) -> None:
    assert re.fullmatch(SIGNATURE_PATTERN, signature) is None


def test_deliver_and_emit_do_not_load_cryptography_until_a_v1a_key_signs() -> None:
    # A fresh interpreter: what importing the delivery and emission code loads, before any key is used
    code = (
        "import sys, webhooks.delivery.deliverer, webhooks.delivery.signing, webhooks.domain.emission;"
        "print(any(name.startswith('cryptography') for name in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ)
    assert loaded.stdout.strip() == "False"
