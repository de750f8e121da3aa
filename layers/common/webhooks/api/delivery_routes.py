"""Routes of the delivery log: list, detail, by event, redeliver, recover and test events."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.depends import Depends
from aws_lambda_powertools.event_handler.openapi.params import Query

from webhooks.api.delivery_schemas import (
    AcceptedDelivery,
    DeliveryAttemptDetail,
    DeliveryAttemptView,
    DeliveryDetail,
    DeliveryPageView,
    EventDeliveries,
    RecoveryRequest,
    RecoveryView,
)
from webhooks.api.webhook_routes import Caller, Cursor, responses
from webhooks.catalogue import EVENT_NAMES, TEST_EVENT
from webhooks.delivery.record import DeliveryStatus
from webhooks.delivery_log.queries import MAX_PAGE_SIZE, DeliveryFilters, DeliveryQueries
from webhooks.delivery_log.redelivery import ManualDeliveries
from webhooks.domain.errors import InvalidInput

router = Router()  # type: ignore[no-untyped-call]


def queries() -> DeliveryQueries:
    """Provided by the function's composition root: `app.dependency_overrides[queries] = ...`."""
    raise NotImplementedError("functions/manage/app.py provides the DeliveryQueries")


def manual() -> ManualDeliveries:
    """Provided by the function's composition root: `app.dependency_overrides[manual] = ...`."""
    raise NotImplementedError("functions/manage/app.py provides the ManualDeliveries")


Queries = Annotated[DeliveryQueries, Depends(queries)]
Manual = Annotated[ManualDeliveries, Depends(manual)]


def _accepted(accepted: AcceptedDelivery) -> Response[AcceptedDelivery]:
    return Response(HTTPStatus.ACCEPTED.value, "application/json", accepted)


@router.get(
    "/webhooks/<webhook_id>/deliveries",
    tags=["deliveries"],
    responses=responses(HTTPStatus.OK, DeliveryPageView, 400, 404),
    summary="The webhook's delivery log, newest first",
)
def list_deliveries(
    webhook_id: str,
    caller: Caller,
    service: Queries,
    *,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)] = 25,
    cursor: Cursor = None,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    event: Annotated[str | None, Query(description="Only attempts of this event.")] = None,
    since: Annotated[datetime | None, Query(description="Requested at or after (RFC 3339).")] = None,
    until: Annotated[datetime | None, Query(description="Requested at or before (RFC 3339).")] = None,
) -> DeliveryPageView:
    if event is not None and event not in EVENT_NAMES | {TEST_EVENT}:
        message = "not an event of the catalogue"
        raise InvalidInput(f"event: {message}", errors=[{"field": "event", "in": "query", "message": message}])
    statuses = frozenset({status} if status else ())
    filters = DeliveryFilters(statuses=statuses, event=event, since=since, until=until)
    page = service.list_deliveries(caller, webhook_id, filters, cursor=cursor, limit=limit)
    return DeliveryPageView(items=[DeliveryAttemptView.of(r) for r in page.records], next_cursor=page.cursor)


@router.get(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>",
    tags=["deliveries"],
    responses=responses(HTTPStatus.OK, DeliveryDetail, 404),
    summary="Every attempt of one delivery, with request and response excerpts",
)
def get_delivery(webhook_id: str, delivery_id: str, caller: Caller, service: Queries) -> DeliveryDetail:
    attempts = service.get_delivery(caller, webhook_id, delivery_id)
    first = attempts[0]
    return DeliveryDetail(
        delivery_id=delivery_id,
        webhook_id=webhook_id,
        event_id=first.event_id,
        event=first.event,
        attempts=[DeliveryAttemptDetail.of(record) for record in attempts],
    )


@router.get(
    "/deliveries",
    tags=["deliveries"],
    responses=responses(HTTPStatus.OK, EventDeliveries),
    summary="Every delivery of one event to this account's webhooks",
)
def deliveries_for_event(
    caller: Caller, service: Queries, event_id: Annotated[str, Query(min_length=1, max_length=200)]
) -> EventDeliveries:
    records = service.deliveries_for_event(caller, event_id)
    return EventDeliveries(event_id=event_id, items=[DeliveryAttemptView.of(record) for record in records])


@router.post(
    "/webhooks/<webhook_id>/deliveries/<delivery_id>/redeliver",
    tags=["deliveries"],
    responses=responses(HTTPStatus.ACCEPTED, AcceptedDelivery, 404, 409),
    summary="Send the same delivery again (same webhook-id, next attempt)",
)
def redeliver(webhook_id: str, delivery_id: str, caller: Caller, service: Manual) -> Response[AcceptedDelivery]:
    return _accepted(AcceptedDelivery.of(service.redeliver(caller, webhook_id, delivery_id)))


@router.post(
    "/webhooks/<webhook_id>/deliveries/recover",
    tags=["deliveries"],
    responses=responses(HTTPStatus.ACCEPTED, RecoveryView, 400, 404, 409),
    summary="Send again every delivery left undelivered in a time range (one page per call)",
    description=(
        "Queues again, as its next attempt with the same webhook-id, every delivery whose latest attempt in "
        "[since, until) failed, or was skipped because the webhook was disabled (`webhook_disabled`). Other "
        "skips (the webhook no longer subscribes to the event, changed environment, the deployment does not "
        "deliver it) are not sent again, nor are deliveries answered, retried or redelivered since, those "
        "with a retry queued or an attempt in flight, and test events. An event that occurred while the "
        "webhook was disabled was never queued for it, so there is nothing to recover. The webhook must be "
        "enabled (409 otherwise). Repeat with `next_cursor` (and the same since and until) until it is null."
    ),
)
def recover(webhook_id: str, body: RecoveryRequest, caller: Caller, service: Manual) -> Response[RecoveryView]:
    recovery = service.recover(caller, webhook_id, since=body.since, until=body.until, cursor=body.cursor)
    return Response(HTTPStatus.ACCEPTED.value, "application/json", RecoveryView.of(recovery))


@router.post(
    "/webhooks/<webhook_id>/test",
    tags=["deliveries"],
    responses=responses(HTTPStatus.ACCEPTED, AcceptedDelivery, 404, 409, 429),
    summary="Send a webhook.test event through the normal delivery path (rate limited)",
)
def send_test_event(webhook_id: str, caller: Caller, service: Manual) -> Response[AcceptedDelivery]:
    return _accepted(AcceptedDelivery.of(service.send_test(caller, webhook_id)))
