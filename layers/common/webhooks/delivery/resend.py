"""Held-back messages queued again in their attempts' stead (deferred, or moved to the slow lane): one
SendMessageBatch per ten, each attempt settled by whether SQS took its message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from webhooks.delivery.attempt import BatchAttempt, DeliveryOutcome, fail_all
from webhooks.delivery.message import DeliveryMessage
from webhooks.delivery.retry import OneMessageQueue


class DeferralQueue(OneMessageQueue, Protocol):
    def send_batch(self, messages: Sequence[DeliveryMessage], delays: Sequence[int] | None = None) -> list[int]:
        """Enqueue every message (each with its delay); the positions of those not taken."""
        ...


# A held-back attempt, the message to queue in its stead, and that message's SQS delay.
Resend = tuple[BatchAttempt, DeliveryMessage, int]


class NotQueued(Exception):
    """A held-back message SQS did not take: it fails alone, and SQS hands it over again."""


def resend(queue: DeferralQueue, held: list[Resend], outcome: str) -> None:
    """One SendMessageBatch per ten held-back messages; each settles as `outcome`, or fails alone if not taken."""
    if not held:
        return
    try:
        unsent = set(queue.send_batch([message for _, message, _ in held], [delay for _, _, delay in held]))
    except Exception as error:  # the queue itself failed: every held message fails alone with it
        fail_all([attempt for attempt, _, _ in held], error)
        return
    for position, (attempt, _, _) in enumerate(held):
        attempt.result = NotQueued(f"not queued ({outcome})") if position in unsent else DeliveryOutcome(outcome)
