"""Every error as RFC 9457 problem+json, mapped from the typed domain errors in this one place."""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)

from webhooks.api.auth import authorize
from webhooks.api.request_body import TOO_DEEP
from webhooks.domain import errors
from webhooks.observability import logger

PROBLEM_JSON = "application/problem+json"
_JSON = "application/json"
_UNSUPPORTED = "application/x-unsupported"

# Most specific first: QuotaExceeded, RotationLimitReached and WebhookDamaged are Conflicts with their own types.
_PROBLEMS: tuple[tuple[type[errors.DomainError], HTTPStatus, str], ...] = (
    (errors.Unauthenticated, HTTPStatus.UNAUTHORIZED, "unauthenticated"),
    (errors.Forbidden, HTTPStatus.FORBIDDEN, "forbidden"),
    (errors.NotFound, HTTPStatus.NOT_FOUND, "not-found"),
    (errors.QuotaExceeded, HTTPStatus.CONFLICT, "quota-exceeded"),
    (errors.RotationLimitReached, HTTPStatus.CONFLICT, "rotation-limit-reached"),
    (errors.WebhookDamaged, HTTPStatus.CONFLICT, "webhook-damaged"),
    (errors.Conflict, HTTPStatus.CONFLICT, "conflict"),
    (errors.PreconditionFailed, HTTPStatus.PRECONDITION_FAILED, "precondition-failed"),
    (errors.InvalidInput, HTTPStatus.UNPROCESSABLE_ENTITY, "invalid-input"),
    (errors.InvalidCursor, HTTPStatus.BAD_REQUEST, "invalid-cursor"),
    (errors.RateLimited, HTTPStatus.TOO_MANY_REQUESTS, "rate-limited"),
)


def problem(
    status: HTTPStatus, kind: str, detail: str, instance: str, headers: dict[str, str] | None = None, **extra: Any
) -> Response[str]:
    body = {
        "type": f"urn:problem:webhooks:{kind}",
        "title": status.phrase,
        "status": status.value,
        "detail": detail,
        "instance": instance,
    } | extra
    return Response(status_code=status.value, content_type=PROBLEM_JSON, body=json.dumps(body), headers=headers)


def status_of(error: errors.DomainError) -> tuple[HTTPStatus, str]:
    for error_type, status, kind in _PROBLEMS:
        if isinstance(error, error_type):
            return status, kind
    return HTTPStatus.BAD_REQUEST, "bad-request"


def _field_error(error: dict[str, Any]) -> dict[str, Any]:
    source, *path = error["loc"]
    if source == "body":
        # A validator may name a place inside its field (ctx "path"): the bad clause of a payload filter.
        names = [str(part) for part in (*path, *error.get("ctx", {}).get("path", ()))]
        pointer = "".join("/" + name.replace("~", "~0").replace("/", "~1") for name in names)
        return {"field": ".".join(names), "pointer": pointer, "message": error["msg"]}
    return {"field": str(path[0]) if path else source, "in": source, "message": error["msg"]}


def only_json_bodies(event: dict[str, Any]) -> dict[str, Any]:
    """Request bodies are JSON only: mark any other media type unsupported (answered 415), so Powertools
    does not try to parse forms (a multipart type without a boundary would otherwise fail as a 500).

    The media type is compared whole and in any case (application/jsonp is not JSON; APPLICATION/JSON is),
    and handed on as plain application/json, the one spelling Powertools parses."""
    headers = event.get("headers") or {}
    content_type = str(headers.get("content-type", "")).strip()
    if not content_type:
        return event
    media_type = content_type.split(";", 1)[0].strip().lower()
    return event | {"headers": headers | {"content-type": _JSON if media_type == _JSON else _UNSUPPORTED}}


def register_problem_handlers(app: APIGatewayHttpResolver) -> None:
    def instance() -> str:
        return str(app.current_event.path)

    def domain_error(error: errors.DomainError) -> Response[str]:
        status, kind = status_of(error)
        retry_after = error.extensions.get("retry_after")
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return problem(status, kind, error.detail, instance(), headers, **error.extensions)

    def refusal() -> Response[str] | None:
        """Who may not make the request learns that first, not what is wrong with it."""
        try:
            authorize(app.current_event)
        except errors.DomainError as denied:
            return domain_error(denied)
        return None

    def invalid_request(error: RequestValidationError) -> Response[str]:
        if refused := refusal():
            return refused
        unparsed = [item for item in error.errors() if item["type"] == "json_invalid"]
        if unparsed:
            detail = TOO_DEEP if unparsed[0].get("ctx", {}).get("error") == TOO_DEEP else "the body is not valid JSON"
            return problem(HTTPStatus.BAD_REQUEST, "malformed-json", detail, instance())
        details = [_field_error(item) for item in error.errors()]
        return problem(
            HTTPStatus.UNPROCESSABLE_ENTITY, "invalid-input", "the request is not valid", instance(), errors=details
        )

    def unsupported_media_type(_: RequestUnsupportedContentType) -> Response[str]:
        if refused := refusal():
            return refused
        detail = "the body must be application/json"
        return problem(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type", detail, instance())

    def undecodable_body(_: UnicodeDecodeError) -> Response[str]:
        # The only bytes manage decodes are the request body's (API Gateway base64-encodes non-UTF-8 bodies).
        if refused := refusal():
            return refused
        return problem(HTTPStatus.BAD_REQUEST, "malformed-json", "the body is not UTF-8 JSON", instance())

    def no_route(_: NotFoundError) -> Response[str]:
        return problem(HTTPStatus.NOT_FOUND, "not-found", "no such route", instance())

    def unexpected(_: Exception) -> Response[str]:
        logger.exception("unhandled error")
        return problem(HTTPStatus.INTERNAL_SERVER_ERROR, "internal", "an unexpected error occurred", instance())

    handlers: dict[type[Exception], Callable[[Any], Response[str]]] = {
        errors.DomainError: domain_error,
        RequestValidationError: invalid_request,
        RequestUnsupportedContentType: unsupported_media_type,
        UnicodeDecodeError: undecodable_body,
        NotFoundError: no_route,
        Exception: unexpected,
    }
    for error_type, handle in handlers.items():
        app.exception_handler(error_type)(handle)
