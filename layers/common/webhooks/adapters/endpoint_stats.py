"""Webhooks' hourly counters in DynamoDB: one item per webhook and hour, grown by UpdateItem's ADD (no read,
no condition: concurrent batches add up), expiring (TTL) when the delivery log's records of that hour do.

Key: account_id (hash) + `webhook_id#hour` (range, the hour as `YYYY-MM-DDTHH`), so one Query reads a
webhook's hours in order. Attributes: `attempts`, `succeeded`, `failed_<error kind>`, `ms_<bucket>` (the
duration histogram: bucket i counts POSTs of at most DURATION_BOUNDS_MS[i] ms; the last one the rest),
`last_success_at`, `last_failure_at`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from webhooks.delivery.endpoint_stats import DURATION_BOUNDS_MS, HOUR, HourlyStats, HourTally

_HISTOGRAM = len(DURATION_BOUNDS_MS) + 1


def _bucket(webhook_id: str, hour: datetime) -> str:
    return f"{webhook_id}#{hour.astimezone(UTC):%Y-%m-%dT%H}"


class DynamoEndpointStats:
    def __init__(self, client: Any, table: str, retention: timedelta) -> None:
        self._client = client
        self._table = table
        self._retention = retention

    def add(self, account_id: str, webhook_id: str, hour: datetime, counts: HourTally) -> None:
        added = {"attempts": counts.attempts, "succeeded": counts.succeeded}
        added |= {f"failed_{kind}": count for kind, count in counts.failed_by_kind.items()}
        added |= {f"ms_{index}": count for index, count in enumerate(counts.durations) if count}
        latest = {"last_success_at": counts.last_success_at, "last_failure_at": counts.last_failure_at}
        set_to = {name: {"S": at.isoformat()} for name, at in latest.items() if at is not None}
        set_to["expires_at"] = {"N": str(int((hour + HOUR + self._retention).timestamp()))}
        names = {f"#a{index}": name for index, name in enumerate([*added, *set_to])}
        aliases = {name: alias for alias, name in names.items()}
        values = {f":a{index}": {"N": str(count)} for index, count in enumerate(added.values())}
        values |= {f":s{index}": value for index, value in enumerate(set_to.values())}
        adds = ", ".join(f"{aliases[name]} :a{index}" for index, name in enumerate(added))
        sets = ", ".join(f"{aliases[name]} = :s{index}" for index, name in enumerate(set_to))
        self._client.update_item(
            TableName=self._table,
            Key={"account_id": {"S": account_id}, "bucket": {"S": _bucket(webhook_id, hour)}},
            UpdateExpression=f"ADD {adds} SET {sets}",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )

    def hours(self, account_id: str, webhook_id: str, since: datetime, until: datetime) -> list[HourlyStats]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "account_id = :account AND #bucket BETWEEN :first AND :last",
            "ExpressionAttributeNames": {"#bucket": "bucket"},
            "ExpressionAttributeValues": {
                ":account": {"S": account_id},
                ":first": {"S": _bucket(webhook_id, since)},
                ":last": {"S": _bucket(webhook_id, until - timedelta(microseconds=1))},
            },
        }
        found: list[HourlyStats] = []
        while True:
            page = self._client.query(**request)
            found += [_stats(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def _stats(item: dict[str, Any]) -> HourlyStats:
    def number(name: str) -> int:
        return int(item[name]["N"]) if name in item else 0

    def time(name: str) -> datetime | None:
        return datetime.fromisoformat(item[name]["S"]) if name in item else None

    return HourlyStats(
        hour=datetime.strptime(item["bucket"]["S"].rpartition("#")[2], "%Y-%m-%dT%H").replace(tzinfo=UTC),
        attempts=number("attempts"),
        succeeded=number("succeeded"),
        failed_by_kind={name.removeprefix("failed_"): number(name) for name in item if name.startswith("failed_")},
        durations=tuple(number(f"ms_{index}") for index in range(_HISTOGRAM)),
        last_success_at=time("last_success_at"),
        last_failure_at=time("last_failure_at"),
    )
