"""How manage reads a JSON request body (the resolver's json_body_deserializer).

Powertools parses the body before any route dependency runs, so the caller's role is checked here,
first: a reader's body is never parsed, whatever its size or shape.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from webhooks.api.auth import authorize

TOO_DEEP = "the body nests too deeply"


def parse_json(body: str) -> Any:
    """json.loads; a body nested deeper than the parser recurses is malformed JSON, not a RecursionError."""
    try:
        return json.loads(body)
    except RecursionError:
        raise json.JSONDecodeError(TOO_DEEP, body, 0) from None


def body_reader(current_event: Callable[[], Any]) -> Callable[[str], Any]:
    """A deserializer that authorizes the request being resolved, then parses its body."""

    def read(body: str) -> Any:
        authorize(current_event())
        return parse_json(body)

    return read
