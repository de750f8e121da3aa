"""Pagination cursors, one scheme for every paged route, bound to the account and the query they continue.

A cursor is `base64url(JSON {"s": scope, "p": position})`: the scope is a digest of the account and the
query's filters, the position where the page ended. It carries no MAC, on purpose: access control never
rests on the cursor. Every query's partition key is the caller's account, taken from the token, and the
position is only a start key inside that partition. A cursor made for another account or query is refused
because its scope differs, and a hand-edited position can only move within the caller's own results.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from webhooks.domain.errors import InvalidCursor


def cursor_scope(account_id: str, query: Mapping[str, str]) -> str:
    """What a cursor is bound to: the account and every filter of the query it continues."""
    text = json.dumps([account_id, sorted(query.items())])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def encode_cursor(scope: str, position: Any) -> str:
    document = json.dumps({"s": scope, "p": position}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(document).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, scope: str) -> Any:
    """The position a cursor holds; InvalidCursor unless it was made for exactly this scope."""
    try:
        document = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        made_for, position = document["s"], document["p"]
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise InvalidCursor("the cursor is malformed; start again without one") from None
    if made_for != scope:
        raise InvalidCursor("the cursor belongs to another query; repeat the query it came from")
    return position
