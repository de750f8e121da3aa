"""Demo: the template's data plane on an in-process emulator and the management API's event catalogue.

Grows into the full demo (every event delivered to a verifying receiver) as the local stack lands.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass


@dataclass
class LocalContext:
    """The parts of a Lambda context that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = "local"


def main() -> int:
    # The emulator accepts any credentials; these keep boto3 from looking for real ones.
    os.environ.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local", AWS_DEFAULT_REGION="us-east-1")  # noqa: S106
    import boto3
    from moto import mock_aws

    from local.data_plane import deploy_data_plane
    from local.sam_template import function_environment, translated_template

    with mock_aws():
        session = boto3.Session(region_name="us-east-1")
        deployed = deploy_data_plane(session)
        print("Data plane created from template.yaml:")
        for logical_id, name in sorted((deployed.tables | deployed.queues).items()):
            print(f"  {logical_id:<24} {name}")
        os.environ.update(function_environment(translated_template(), "ManageFunction", deployed))
        manage = importlib.import_module("functions.manage.app")
        event = {
            "version": "2.0",
            "rawPath": "/events",
            "rawQueryString": "",
            "headers": {},
            "requestContext": {"http": {"method": "GET", "path": "/events"}, "stage": "$default"},
        }
        response = manage.handler(event, LocalContext("webhooks-manage-local"))
        events = json.loads(response["body"])["items"]
        print(f"\nGET /events -> {response['statusCode']}, {len(events)} events:")
        for item in events:
            print(f"  {item['name']:<22} {item['description']}")
    return 0 if response["statusCode"] == 200 and len(events) == 19 else 1


if __name__ == "__main__":
    sys.exit(main())
