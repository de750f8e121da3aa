"""Pagination cursors: bound to the account and query, and refused when forged."""

from __future__ import annotations

import base64
import json

import pytest

from webhooks.domain.cursor import CursorCodec
from webhooks.domain.errors import InvalidCursor

codec = CursorCodec(b"deployment-key")
QUERY = {"environment": "production"}


def test_a_cursor_names_the_position_it_was_made_for() -> None:
    cursor = codec.encode("acme", QUERY, "wh-42")
    assert codec.decode(cursor, "acme", QUERY) == "wh-42"


@pytest.mark.parametrize(
    ("account", "query"),
    [("globex", QUERY), ("acme", {"environment": "staging"}), ("acme", {})],
)
def test_a_cursor_of_another_account_or_query_is_refused(account: str, query: dict[str, str]) -> None:
    cursor = codec.encode("acme", QUERY, "wh-42")
    with pytest.raises(InvalidCursor):
        codec.decode(cursor, account, query)


def test_a_rewritten_payload_or_another_key_is_refused() -> None:
    payload, mac = codec.encode("acme", QUERY, "wh-42").split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"a": "globex", "q": QUERY, "p": "wh-1"}).encode()).decode()
    with pytest.raises(InvalidCursor):
        codec.decode(f"{forged.rstrip('=')}.{mac}", "globex", QUERY)
    with pytest.raises(InvalidCursor):
        CursorCodec(b"other-key").decode(f"{payload}.{mac}", "acme", QUERY)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "e30.AAAA"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        codec.decode(garbage, "acme", QUERY)
