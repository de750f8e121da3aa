"""Reading the delivery log: per webhook (newest first, filtered, cursor pages), per delivery, per event.

Every query is scoped to the caller's account: a webhook of another account does not exist, and a
cursor is bound to the account, webhook and filters it was made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from webhooks.delivery.record import DELIVER_TIMEOUT_SECONDS, DeliveryRecord, DeliveryStatus, ErrorKind
from webhooks.domain.cursor import cursor_scope, decode_cursor, encode_cursor
from webhooks.domain.damage import DamagedWebhook
from webhooks.domain.errors import InvalidCursor, InvalidInput, NotFound
from webhooks.domain.principal import Principal
from webhooks.domain.webhook import Webhook

MAX_PAGE_SIZE = 100


@dataclass(frozen=True, slots=True)
class DeliveryFilters:
    statuses: frozenset[DeliveryStatus] = frozenset()  # any of them; empty: every status
    event: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @property
    def stored_statuses(self) -> frozenset[DeliveryStatus]:
        """`unknown` is never stored: it is a `pending` claim seen after the function timeout."""
        return frozenset(DeliveryStatus.PENDING if s is DeliveryStatus.UNKNOWN else s for s in self.statuses)


class LogPosition(BaseModel):
    """Where a page ended: the last record's keys."""

    # Built on first use: only listing pages need it, and emit and deliver import this module too.
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    requested_at: str
    delivery_id: str
    attempt: int


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    records: list[DeliveryRecord]
    cursor: str | None


class WebhookLookup(Protocol):
    def read(self, account_id: str, webhook_id: str) -> Webhook | DamagedWebhook | None: ...


class DeliveryHistory(Protocol):
    def page_for_webhook(
        self, account_id: str, webhook_id: str, filters: DeliveryFilters, start: LogPosition | None, limit: int
    ) -> tuple[list[DeliveryRecord], LogPosition | None]: ...

    def attempts(self, delivery_id: str) -> list[DeliveryRecord]: ...

    def for_event(self, event_id: str, account_id: str) -> list[DeliveryRecord]: ...


def as_seen_at(record: DeliveryRecord, now: datetime) -> DeliveryRecord:
    """A claim that outlived the function that made it crashed mid-attempt: show it, as `unknown`."""
    if record.status is DeliveryStatus.PENDING and now - record.requested_at > timedelta(
        seconds=DELIVER_TIMEOUT_SECONDS
    ):
        return record.model_copy(
            update={
                "status": DeliveryStatus.UNKNOWN,
                "error_kind": ErrorKind.CRASHED,
                "error_detail": "the attempt was claimed but never completed; the receiver may or may not have it",
            }
        )
    return record


class DeliveryQueries:
    def __init__(self, webhooks: WebhookLookup, history: DeliveryHistory) -> None:
        self._webhooks = webhooks
        self._history = history

    def list_deliveries(
        self,
        principal: Principal,
        webhook_id: str,
        filters: DeliveryFilters,
        *,
        cursor: str | None = None,
        limit: int = 25,
        now: datetime | None = None,
    ) -> DeliveryPage:
        self._require_webhook(principal, webhook_id)
        if filters.since and filters.until and filters.since.astimezone(UTC) > filters.until.astimezone(UTC):
            # DynamoDB refuses such a BETWEEN outright (a 500 if it got that far).
            message = "the time range ends before it starts"
            raise InvalidInput(f"until: {message}", errors=[{"field": "until", "in": "query", "message": message}])
        moment = now or datetime.now(UTC)
        scope = scope_of(principal.account_id, webhook_id, filters)
        start = cursor_position(cursor, scope) if cursor else None
        stored, last = self._history.page_for_webhook(
            principal.account_id, webhook_id, filters, start, max(1, min(limit, MAX_PAGE_SIZE))
        )
        records = [as_seen_at(record, moment) for record in stored]
        if filters.statuses:
            records = [record for record in records if record.status in filters.statuses]
        return DeliveryPage(records, position_cursor(last, scope) if last else None)

    def get_delivery(
        self, principal: Principal, webhook_id: str, delivery_id: str, now: datetime | None = None
    ) -> list[DeliveryRecord]:
        """Every attempt of one delivery, first attempt first."""
        self._require_webhook(principal, webhook_id)
        moment = now or datetime.now(UTC)
        attempts = [
            as_seen_at(record, moment)
            for record in self._history.attempts(delivery_id)
            if record.account_id == principal.account_id and record.webhook_id == webhook_id
        ]
        if not attempts:
            raise NotFound(f"delivery {delivery_id} not found")
        return sorted(attempts, key=lambda record: record.attempt)

    def deliveries_for_event(
        self, principal: Principal, event_id: str, now: datetime | None = None
    ) -> list[DeliveryRecord]:
        """Every attempt of every delivery of one event, to this account's webhooks only."""
        moment = now or datetime.now(UTC)
        return [as_seen_at(record, moment) for record in self._history.for_event(event_id, principal.account_id)]

    def _require_webhook(self, principal: Principal, webhook_id: str) -> None:
        """The webhook exists for this account; a damaged one does, and its log shows why its deliveries fail."""
        if self._webhooks.read(principal.account_id, webhook_id) is None:
            raise NotFound(f"webhook {webhook_id} not found")


def scope_of(account_id: str, webhook_id: str, filters: DeliveryFilters) -> str:
    """What a cursor is bound to: the account, the webhook and the filters of the query it continues."""
    query = {
        "webhook_id": webhook_id,
        "status": ",".join(sorted(filters.statuses)),
        "event": filters.event or "",
        "since": filters.since.isoformat() if filters.since else "",
        "until": filters.until.isoformat() if filters.until else "",
    }
    return cursor_scope(account_id, query)


def position_cursor(position: LogPosition, scope: str) -> str:
    return encode_cursor(scope, position.model_dump())


def cursor_position(cursor: str, scope: str) -> LogPosition:
    """The position a cursor holds, if it was made for exactly this account, webhook and filters."""
    try:
        return LogPosition.model_validate(decode_cursor(cursor, scope))
    except ValidationError as error:
        raise InvalidCursor("the cursor is malformed; start again without one") from error
