"""Reading a request body: the caller's role first, then a parse that cannot end in a RecursionError."""

from __future__ import annotations

import json

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from tests.support.builders import claims
from tests.support.events import http_api_event
from webhooks.api.request_body import TOO_DEEP, body_reader, parse_json
from webhooks.domain.errors import Forbidden


def test_a_readers_write_is_refused_before_its_body_is_parsed() -> None:
    # Given a reader's POST
    event = APIGatewayProxyEventV2(http_api_event("POST", "/webhooks", claims=claims("acme", role="reader")))
    # When its body, which is not even JSON, is read
    # Then the refusal comes first: the parser never saw it
    with pytest.raises(Forbidden):
        body_reader(lambda: event)("{not json")


def test_an_admins_body_is_parsed() -> None:
    event = APIGatewayProxyEventV2(http_api_event("PATCH", "/webhooks/w1", claims=claims("acme")))

    assert body_reader(lambda: event)('{"enabled": false}') == {"enabled": False}


def test_a_body_nested_deeper_than_the_parser_recurses_is_a_json_decode_error() -> None:
    with pytest.raises(json.JSONDecodeError) as refused:
        parse_json("[" * 100_000 + "]" * 100_000)

    assert refused.value.msg == TOO_DEEP
