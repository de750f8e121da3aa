"""The demo's writes really produce, record by record, the events they claim (the derivation table)."""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.types import TypeDeserializer

from local.demo_records import apply_writes, demo_writes
from local.state import TABLES
from tests.support.local_stack import EmulatedAws

ENTITIES = {"licenses": "license", "activations": "activation", "products": "product", "contracts": "contract"}
LICENSE_TRANSITIONS = {
    "active": "license.activated",
    "inactive": "license.deactivated",
    "suspended": "license.suspended",
    "expired": "license.expired",
    "revoked": "license.revoked",
}


def plain(image: dict[str, Any] | None) -> dict[str, Any]:
    deserializer = TypeDeserializer()
    return {name: deserializer.deserialize(value) for name, value in (image or {}).items()}


def events_of(entity: str, record: dict[str, Any]) -> set[str]:
    """An independent reading of the derivation table (which change gives which events), as the oracle."""
    new, old = plain(record["dynamodb"].get("NewImage")), plain(record["dynamodb"].get("OldImage"))
    if record["eventName"] == "REMOVE":
        return {f"{entity}.deleted"}
    if record["eventName"] == "INSERT":
        failed = entity == "activation" and new.get("status") == "failed"
        return {"activation.failed" if failed else f"{entity}.created"}
    changed = {name for name in new.keys() | old.keys() if new.get(name) != old.get(name)}
    if not changed:
        return set()
    if entity == "activation":
        return {"activation.failed"} if "status" in changed and new.get("status") == "failed" else set()
    events = {f"{entity}.updated"}
    if entity == "license" and "status" in changed and new.get("status") in LICENSE_TRANSITIONS:
        events.add(LICENSE_TRANSITIONS[new["status"]])
    if entity == "license" and "assignee" in changed and new.get("assignee"):
        events.add("license.assigned")
    if entity == "contract" and "status" in changed and new.get("status") == "suspended":
        events.add("contract.suspended")
    return events


def stream_records(aws: EmulatedAws, table: str) -> list[dict[str, Any]]:
    name = aws.deployed.tables[TABLES[table]]
    stream_arn = aws.session.client("dynamodb").describe_table(TableName=name)["Table"]["LatestStreamArn"]
    streams = aws.session.client("dynamodbstreams")
    (shard,) = streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    return records


def test_each_demo_write_causes_one_stream_record_with_exactly_the_events_it_expects(aws):
    writes = demo_writes("acme", "development", run="r1")
    tables = {name: aws.deployed.tables[logical_id] for name, logical_id in TABLES.items()}

    apply_writes(writes, aws.session.client("dynamodb"), tables)

    for table, entity in ENTITIES.items():
        expected = [set(write.expects) for write in writes if write.table == table]
        produced = [events_of(entity, record) for record in stream_records(aws, table)]
        assert produced == expected, table
