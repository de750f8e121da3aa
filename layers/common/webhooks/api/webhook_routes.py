"""Routes of /webhooks: HTTP in, one use case, HTTP out. Auth is a dependency of every route."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Header, Query
from pydantic import BaseModel

from webhooks.api.auth import current_principal
from webhooks.api.schemas import (
    AuditEntry,
    AuditPage,
    CreatedWebhook,
    DamagedWebhookView,
    Problem,
    PublicKeys,
    RevealedSecret,
    RevealedSecrets,
    RotatedSecret,
    SecretRotation,
    UpdatedWebhook,
    WebhookCreate,
    WebhookPage,
    WebhookUpdate,
    WebhookView,
    previous_secret_expires_at,
)
from webhooks.catalogue import EVENT_NAMES, Environment
from webhooks.delivery.endpoint_health import EndpointHealth, EndpointStates
from webhooks.domain.errors import InvalidInput, PreconditionFailed
from webhooks.domain.management import WebhookFilter, WebhookManagement
from webhooks.domain.principal import Principal
from webhooks.domain.webhook import MAX_PREVIOUS_SECRETS, Webhook
from webhooks.observability import MetricUnit, metrics

router = Router()  # type: ignore[no-untyped-call]


def management() -> WebhookManagement:
    """Provided by the function's composition root: `app.dependency_overrides[management] = ...`."""
    raise NotImplementedError("functions/manage/app.py provides the WebhookManagement")


def endpoint_states() -> EndpointStates:
    """Provided by the function's composition root, as `management` is."""
    raise NotImplementedError("functions/manage/app.py provides the EndpointStates")


Caller = Annotated[Principal, Depends(current_principal)]
Management = Annotated[WebhookManagement, Depends(management)]
Endpoints = Annotated[EndpointStates, Depends(endpoint_states)]
IfMatch = Annotated[str | None, Header(alias="if-match", description="An ETag of this webhook (its version).")]
Cursor = Annotated[str | None, Query(max_length=4096, description="next_cursor of the previous page.")]
NO_STORE = {"Cache-Control": "no-store"}
_STRONG_VERSION_TAG = re.compile(r'"([0-9]{1,18})"')


def responses(success: HTTPStatus, model: type[BaseModel] | None, *problems: int) -> dict[int, Any]:
    """OpenAPI entries for a route's success and the problems it can answer (401, 403 and 422 on every route)."""
    documented: dict[int, Any] = {success.value: {"description": success.phrase}}
    if model is not None:
        documented[success.value]["content"] = {"application/json": {"model": model}}
    for status in sorted({401, 403, 422, *problems}):
        content = {"application/problem+json": {"model": Problem}}
        documented[status] = {"description": HTTPStatus(status).phrase, "content": content}
    return documented


def etag(webhook: Webhook) -> str:
    return f'"{webhook.version}"'


def expected_version(if_match: str | None) -> int | None:
    """The version an If-Match header names; None when absent or `*`.

    If-Match compares strongly (RFC 9110 13.1.1): only the quoted version of our ETag matches, so a weak,
    unclosed, bare or listed tag names no version and fails the precondition.
    """
    if if_match is None or if_match.strip() == "*":
        return None
    tag = _STRONG_VERSION_TAG.fullmatch(if_match.strip())
    if tag is None:
        raise PreconditionFailed("If-Match names no version of this webhook")
    return int(tag.group(1))


def _view(webhook: Webhook, endpoints: EndpointStates) -> Response[WebhookView]:
    return Response(
        status_code=HTTPStatus.OK.value,
        content_type="application/json",
        body=WebhookView.of(webhook, endpoints.of([webhook])[webhook.webhook_id]),
        headers={"ETag": etag(webhook)},
    )


@router.post(
    "/webhooks",
    tags=["webhooks"],
    responses=responses(HTTPStatus.CREATED, CreatedWebhook, 409),
    summary="Register a webhook; its secret (v1) is returned once",
)
def create_webhook(body: WebhookCreate, caller: Caller, service: Management) -> Response[CreatedWebhook]:
    webhook, secret = service.create(caller, body.to_draft())
    # A new webhook has had no attempt yet: its endpoint is healthy without a read.
    created = CreatedWebhook(**WebhookView.of(webhook, EndpointHealth()).model_dump(), secret=secret)
    return Response(
        status_code=HTTPStatus.CREATED.value,
        content_type="application/json",
        body=created,
        headers={"Location": f"/webhooks/{webhook.webhook_id}", "ETag": etag(webhook)} | NO_STORE,
    )


@router.get(
    "/webhooks",
    tags=["webhooks"],
    responses=responses(HTTPStatus.OK, WebhookPage, 400),
    summary="List the account's webhooks (no secrets)",
)
def list_webhooks(
    caller: Caller,
    service: Management,
    endpoints: Endpoints,
    *,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
    environment: Annotated[Environment | None, Query()] = None,
    enabled: Annotated[bool | None, Query()] = None,
    event: Annotated[str | None, Query(description="Only webhooks that receive this event.")] = None,
) -> WebhookPage:
    if event is not None and event not in EVENT_NAMES:
        message = "not an event of the catalogue"
        raise InvalidInput(f"event: {message}", errors=[{"field": "event", "in": "query", "message": message}])
    page = service.list_page(caller, WebhookFilter(environment, enabled, event), limit, cursor)
    if page.damaged:
        metrics.add_metric(name="DamagedWebhooks", unit=MetricUnit.Count, value=len(page.damaged))
    health = endpoints.of(page.items)
    return WebhookPage(
        items=[WebhookView.of(webhook, health[webhook.webhook_id]) for webhook in page.items],
        next_cursor=page.next_cursor,
        damaged=[DamagedWebhookView.of(damaged) for damaged in page.damaged],
    )


@router.get(
    "/webhooks/<webhook_id>",
    tags=["webhooks"],
    responses=responses(HTTPStatus.OK, WebhookView, 404, 409),
    summary="Read one webhook (no secret); 409 webhook-damaged when it does not read back",
)
def get_webhook(webhook_id: str, caller: Caller, service: Management, endpoints: Endpoints) -> Response[WebhookView]:
    return _view(service.get(caller, webhook_id), endpoints)


@router.patch(
    "/webhooks/<webhook_id>",
    tags=["webhooks"],
    responses=responses(HTTPStatus.OK, UpdatedWebhook, 404, 409, 412),
    summary="Change, enable or disable; repairs a damaged webhook when it sets every damaged field",
    description="Enabling a webhook answers with `disabled_at`, when it was disabled: recover what failed or was "
    "skipped while it was down with POST /webhooks/{id}/deliveries/recover and `since` set to it.",
)
def update_webhook(
    webhook_id: str,
    body: WebhookUpdate,
    caller: Caller,
    service: Management,
    *,
    endpoints: Endpoints,
    if_match: IfMatch = None,
) -> Response[UpdatedWebhook]:
    webhook, secret = service.update(caller, webhook_id, body.to_patch(), expected_version(if_match))
    view = UpdatedWebhook(
        **WebhookView.of(webhook, endpoints.of([webhook])[webhook.webhook_id]).model_dump(), secret=secret
    )
    headers = {"ETag": etag(webhook)} | (NO_STORE if secret else {})
    return Response(HTTPStatus.OK.value, "application/json", view, headers)


@router.delete(
    "/webhooks/<webhook_id>",
    tags=["webhooks"],
    responses=responses(HTTPStatus.NO_CONTENT, None, 404, 409, 412),
    summary="Delete a webhook",
)
def delete_webhook(webhook_id: str, caller: Caller, service: Management, if_match: IfMatch = None) -> Response[None]:
    service.delete(caller, webhook_id, expected_version(if_match))
    return Response(status_code=HTTPStatus.NO_CONTENT.value)


@router.post(
    "/webhooks/<webhook_id>/secret/rotate",
    tags=["secrets"],
    responses=responses(HTTPStatus.OK, RotatedSecret, 404, 409),
    summary="New secret (returned once); the old one keeps signing for the grace period",
    description=(
        f"The current secret keeps signing next to the new one for `grace_period_seconds` (0: it stops at "
        f"once). At most {MAX_PREVIOUS_SECRETS} previous secrets sign, each until its grace period ends; "
        f"previous secrets whose grace period is over are dropped. A rotation with a grace period while "
        f"{MAX_PREVIOUS_SECRETS} are still in theirs is refused (409, type rotation-limit-reached, with "
        "`previous_secrets_in_grace` and `next_grace_period_ends_at`) and changes nothing: rotate again "
        "after that time, or with a grace period of 0, which is never refused."
    ),
)
def rotate_secret(
    webhook_id: str, caller: Caller, service: Management, body: SecretRotation | None = None
) -> Response[RotatedSecret]:
    rotation = body or SecretRotation()
    grace = timedelta(seconds=rotation.grace_period_seconds)
    webhook, secret = service.rotate_secret(caller, webhook_id, grace, rotation.signature_scheme)
    rotated = RotatedSecret(
        webhook_id=webhook.webhook_id,
        signature_scheme=webhook.signature_scheme,
        secret=secret,
        public_key=webhook.secrets[0].public_key,
        previous_secret_expires_at=previous_secret_expires_at(webhook),
        version=webhook.version,
    )
    headers = {"ETag": etag(webhook)} | NO_STORE
    return Response(HTTPStatus.OK.value, "application/json", rotated, headers)


@router.get(
    "/webhooks/<webhook_id>/secret",
    tags=["secrets"],
    responses=responses(HTTPStatus.OK, RevealedSecrets, 404, 409),
    summary="Reveal the secrets (admin, audited)",
)
def reveal_secret(webhook_id: str, caller: Caller, service: Management) -> Response[RevealedSecrets]:
    revealed = RevealedSecrets(
        webhook_id=webhook_id, secrets=[RevealedSecret.of(s) for s in service.reveal_secrets(caller, webhook_id)]
    )
    return Response(HTTPStatus.OK.value, "application/json", revealed, NO_STORE)


@router.get(
    "/webhooks/<webhook_id>/public-keys",
    tags=["secrets"],
    responses=responses(HTTPStatus.OK, PublicKeys, 404, 409),
    summary="The v1a public keys that verify its requests now (public; readers too)",
)
def public_keys(webhook_id: str, caller: Caller, service: Management) -> PublicKeys:
    webhook = service.get(caller, webhook_id)
    return PublicKeys.of(webhook_id, webhook.valid_secrets(datetime.now(UTC)))


@router.get(
    "/webhooks/<webhook_id>/audit",
    tags=["webhooks"],
    responses=responses(HTTPStatus.OK, AuditPage, 400, 404),
    summary="Change history, newest first",
)
def webhook_history(
    webhook_id: str,
    caller: Caller,
    service: Management,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    cursor: Cursor = None,
) -> AuditPage:
    page = service.history(caller, webhook_id, limit, cursor)
    return AuditPage(items=[AuditEntry.of(record) for record in page.items], next_cursor=page.next_cursor)
