"""moto's SQS made to cost what AWS's does per message: nothing that grows with the queue's depth.

Pinned moto (5.2.5, the newest) spends time proportional to every message a queue holds, delayed and in
flight included, on each message sent, received or deleted: each send computes all the queue's attributes
(three counting passes), each received message computes them three times more for its retention period,
a GetQueueAttributes computes them twice per name asked, a delete scans the queue twice, and every
visibility check builds two datetimes. A neighbour's backlog of deferred messages then slows every other
account's sends and receives on the local stack (about 20x for each batch at a depth of 500), which AWS does
not do. These replacements keep moto's behaviour and drop that cost; `apply` runs in the emulator's process.
"""

from __future__ import annotations

import time
from typing import Any

from moto.sqs import models
from moto.sqs.exceptions import InvalidAttributeName, ReceiptHandleIsInvalid


def _now_millis() -> float:
    """What moto's `unix_time_millis()` returns, without building two datetimes."""
    return time.time() * 1000.0


def _visible(message: models.Message) -> bool:
    return _now_millis() > message.visible_at


def _delayed(message: models.Message) -> bool:
    return _now_millis() < message.delayed_until


def _has_handle(message: models.Message, receipt_handle: str) -> bool:
    return message.receipt_handle == receipt_handle or receipt_handle in message._old_receipt_handles


def _delete_message(queue: models.Queue, receipt_handle: str) -> None:
    """One pass over the queue, not two, and no list built per message."""
    if receipt_handle in queue.deleted_messages:
        return  # deleted already: moto (as SQS) takes a second delete quietly
    kept: list[models.Message] = []
    deleted: list[models.Message] = []
    for message in queue._messages:
        (deleted if _has_handle(message, receipt_handle) else kept).append(message)
    if not deleted:
        raise ReceiptHandleIsInvalid()
    for message in deleted:
        queue.pending_messages.discard(message)
        queue.deleted_messages.update(message.all_receipt_handles)  # type: ignore[arg-type]
    queue._messages = kept


def _is_message_valid_based_on_retention_period(
    backend: models.SQSBackend, queue_name: str, message: models.Message
) -> bool:
    """The queue's retention period read as one attribute, not by computing all of them three times."""
    retention_period = int(backend.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
    return retention_period + message.sent_timestamp / 1000 > time.time()  # type: ignore[operator]


def _get_queue_attributes(backend: models.SQSBackend, queue_name: str, attribute_names: list[str]) -> dict[str, Any]:
    """moto's answer and checks, with the attributes computed once per call instead of twice per name asked."""
    queue = backend.get_queue(queue_name)
    if not attribute_names:
        return {}
    valid_names = ("All", *queue.BASE_ATTRIBUTES, *queue.FIFO_ATTRIBUTES, *queue.KMS_ATTRIBUTES)
    invalid_name = next((name for name in attribute_names if name not in valid_names), None)
    if invalid_name is not None:
        raise InvalidAttributeName(invalid_name)
    attributes: dict[str, Any] = queue.attributes
    if "All" in attribute_names:
        return attributes
    return {name: attributes[name] for name in attribute_names if attributes.get(name) is not None}


# (owner, attribute, replacement), each installed by `apply`.
REPLACEMENTS: tuple[tuple[type, str, object], ...] = (
    (models.Message, "visible", property(_visible)),
    (models.Message, "delayed", property(_delayed)),
    (models.Queue, "delete_message", _delete_message),
    (models.SQSBackend, "is_message_valid_based_on_retention_period", _is_message_valid_based_on_retention_period),
    (models.SQSBackend, "get_queue_attributes", _get_queue_attributes),
)


def apply() -> None:
    """Install the replacements (idempotent)."""
    for owner, name, replacement in REPLACEMENTS:
        setattr(owner, name, replacement)
