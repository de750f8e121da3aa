"""Makes a real (moto-backed) boto3 client answer the way DynamoDB does under load, through botocore's
own event hooks: a throttled call, or a batch call that leaves part of its work unprocessed."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

_UNPROCESSED = {
    "BatchWriteItem": ("RequestItems", "UnprocessedItems"),
    "BatchGetItem": ("RequestItems", "UnprocessedKeys"),
}


@dataclass
class DynamoFaults:
    client: Any
    held_back: list[tuple[str, Any]] = field(default_factory=list)

    def throttle(self, operation: str, times: int, code: str = "ProvisionedThroughputExceededException") -> None:
        """The next `times` calls of `operation` fail with `code` (as after botocore's own retries)."""
        remaining = [times]

        def fail(**_: Any) -> Any:
            if remaining[0] == 0:
                return None
            remaining[0] -= 1
            return SimpleNamespace(status_code=400), {"Error": {"Code": code, "Message": "Rate of requests exceeds"}}

        self.client.meta.events.register(f"before-call.dynamodb.{operation}", fail)

    def leave_unprocessed(self, operation: str, count: int, rounds: int) -> None:
        """For `rounds` calls of BatchWriteItem / BatchGetItem, the last `count` entries of each table are
        not done and come back as unprocessed, as DynamoDB answers when a partition is throttled."""
        request_key, response_key = _UNPROCESSED[operation]
        remaining = [rounds]
        answer_without_calling = [False]

        def hold_back(params: dict[str, Any], **_: Any) -> None:
            if remaining[0] == 0:
                return
            remaining[0] -= 1
            requested = params[request_key]
            for table, entries in requested.items():
                listed = entries if isinstance(entries, list) else entries["Keys"]
                if count >= len(listed):  # none of it is done: answered without reaching the table
                    self.held_back.append((table, entries))
                    answer_without_calling[0] = True
                    continue
                kept, held = listed[:-count], listed[-count:]
                requested[table] = kept if isinstance(entries, list) else entries | {"Keys": kept}
                self.held_back.append((table, held if isinstance(entries, list) else entries | {"Keys": held}))

        def short_circuit(**_: Any) -> Any:
            if not answer_without_calling[0]:
                return None
            answer_without_calling[0] = False
            return SimpleNamespace(status_code=200), {"Responses": {}} if operation == "BatchGetItem" else {}

        def report_unprocessed(parsed: dict[str, Any], **_: Any) -> None:
            unprocessed = parsed.setdefault(response_key, {})
            for table, held in self.held_back:
                unprocessed[table] = held
            self.held_back.clear()

        self.client.meta.events.register(f"before-parameter-build.dynamodb.{operation}", hold_back)
        self.client.meta.events.register(f"before-call.dynamodb.{operation}", short_circuit)
        self.client.meta.events.register(f"after-call.dynamodb.{operation}", report_unprocessed)

    def lose_answer(self, operation: str, times: int) -> list[int]:
        """The next `times` calls of `operation` reach the table, but their answer is lost on the way back
        (a dropped connection), so botocore sends the same request again. Returns the HTTP statuses of
        the answers lost, for the test to see that the fault happened."""
        lost: list[int] = []

        def resend(response: Any, **_: Any) -> int | None:
            if len(lost) == times or response is None:
                return None
            lost.append(response[0].status_code)
            return 0  # botocore's retry handler: sleep 0 s, then send the same request again

        self.client.meta.events.register(f"needs-retry.dynamodb.{operation}", resend)
        return lost
