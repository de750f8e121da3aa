"""Pagination cursors bound to the caller's account and query, and authenticated.

A cursor is `base64url(payload).base64url(mac)`: the payload names the last item returned, the
account and the query's filters; the MAC is an HMAC-SHA256 over it, keyed per deployment. Access
control never depends on the key: the caller's account is always the query's partition key and must
equal the cursor's. The MAC only turns a tampered or hand-made cursor into a clear 400.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Mapping

from webhooks.domain.errors import InvalidCursor

_MAC_BYTES = 16


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class CursorCodec:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self._key, payload, hashlib.sha256).digest()[:_MAC_BYTES]

    def encode(self, account_id: str, query: Mapping[str, str], position: str) -> str:
        payload = json.dumps({"a": account_id, "q": dict(sorted(query.items())), "p": position}).encode()
        return f"{_encode(payload)}.{_encode(self._mac(payload))}"

    def decode(self, cursor: str, account_id: str, query: Mapping[str, str]) -> str:
        """The position a cursor names; InvalidCursor unless it is ours, this account's and this query's."""
        try:
            encoded_payload, encoded_mac = cursor.split(".")
            payload, mac = _decode(encoded_payload), _decode(encoded_mac)
        except (ValueError, binascii.Error):
            raise InvalidCursor("the cursor is malformed; start again without one") from None
        if not hmac.compare_digest(mac, self._mac(payload)):
            raise InvalidCursor("the cursor is not valid; start again without one")
        document = json.loads(payload)
        if document["a"] != account_id or document["q"] != dict(sorted(query.items())):
            raise InvalidCursor("the cursor belongs to another query; repeat the query it came from")
        return str(document["p"])
