"""Pagination cursors: bound to the account and query they continue, refused elsewhere or when garbled."""

from __future__ import annotations

import base64
import json

import pytest

from webhooks.domain.cursor import cursor_scope, decode_cursor, encode_cursor
from webhooks.domain.errors import InvalidCursor

QUERY = {"environment": "production"}
ACME = cursor_scope("acme", QUERY)


def test_a_cursor_names_the_position_it_was_made_for() -> None:
    cursor = encode_cursor(ACME, "wh-42")
    assert decode_cursor(cursor, cursor_scope("acme", dict(QUERY))) == "wh-42"


@pytest.mark.parametrize(
    ("account", "query"),
    [("globex", QUERY), ("acme", {"environment": "staging"}), ("acme", {})],
)
def test_a_cursor_of_another_account_or_query_is_refused(account: str, query: dict[str, str]) -> None:
    cursor = encode_cursor(ACME, "wh-42")
    with pytest.raises(InvalidCursor):
        decode_cursor(cursor, cursor_scope(account, query))


def test_a_payload_rewritten_for_another_account_is_refused() -> None:
    # Given acme's cursor, rewritten to claim globex's query scope is not enough: the scope is a digest
    document = json.loads(base64.urlsafe_b64decode(encode_cursor(ACME, "wh-42") + "=="))
    forged = base64.urlsafe_b64encode(json.dumps(document | {"s": "globex"}).encode()).decode()
    # Then it is refused for globex's query, as acme's own is
    with pytest.raises(InvalidCursor):
        decode_cursor(forged, cursor_scope("globex", QUERY))


def test_scopes_differ_by_every_part_of_the_query() -> None:
    scopes = {
        cursor_scope("acme", QUERY),
        cursor_scope("acme", QUERY | {"event": "license.created"}),
        cursor_scope("acme", {"environment": "production\x1f"}),
        cursor_scope("acme\x1f", QUERY),
    }
    assert len(scopes) == 4


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "e30", "W10", "bnVsbA"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_cursor(garbage, ACME)
