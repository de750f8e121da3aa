"""Drives the manage handler the way API Gateway would, after its JWT authorizer accepted a token."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from tests.support.builders import a_webhook_request, claims
from tests.support.events import http_api_event
from tests.support.handlers import LoadedHandler

ADMIN = claims("acme")
READER = claims("acme", role="reader")
OTHER_ADMIN = claims("globex")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any

    @property
    def problem_type(self) -> str:
        assert self.headers.get("Content-Type") == "application/problem+json", self.headers
        return str(self.body["type"]).rsplit(":", 1)[-1]


@dataclass
class ManageApi:
    handler: LoadedHandler

    def __call__(
        self,
        method: str,
        path: str,
        *,
        caller: dict[str, Any] | None = ADMIN,
        body: Any = None,
        query: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        raw_body: str | None = None,
    ) -> Answer:
        event = http_api_event(method, path, body=body, query=query, headers=headers, claims=caller)
        if raw_body is not None:
            event["body"] = raw_body
        response = self.handler(event)
        text = response.get("body") or ""
        content_type = response.get("headers", {}).get("Content-Type", "")
        parsed = json.loads(text) if text and "json" in content_type else text or None
        return Answer(response["statusCode"], response.get("headers", {}), parsed)

    def create(self, caller: dict[str, Any] = ADMIN, **overrides: Any) -> dict[str, Any]:
        answer = self("POST", "/webhooks", caller=caller, body=a_webhook_request(**overrides))
        assert answer.status == 201, answer.body
        return dict(answer.body)
