"""What the deliver benchmarks share: moto_server on a free loopback port with the template's data
plane, a loopback receiver, and the deliver handler imported against them."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3

from local.data_plane import deploy_data_plane
from local.sam_template import DeployedDataPlane, function_environment, translated_template
from tests.support.builders import a_delivery_message, a_webhook
from tests.support.events import sqs_event
from tests.support.handlers import LambdaContext
from tests.support.receivers import Receiver, running_receiver
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.webhook_store import WebhookItem
from webhooks.catalogue import Environment

VENV_BIN = Path(sys.executable).parent


@dataclass
class DeliverStack:
    deployed: DeployedDataPlane
    receiver: Receiver
    session: boto3.Session
    handler: Callable[[dict[str, Any], Any], Any]

    def add_webhook(self, webhook_id: str, path: str) -> None:
        webhook = a_webhook(webhook_id=webhook_id, url=self.receiver.url(path), environment=Environment.DEVELOPMENT)
        item = to_item(WebhookItem.from_entity(webhook).to_document())
        self.session.client("dynamodb").put_item(TableName=self.deployed.tables["WebhooksTable"], Item=item)

    def deliver(self, messages: list[str]) -> Any:
        event = sqs_event(*messages, queue_arn=self.deployed.arn("DeliveryQueue"))
        with contextlib.redirect_stdout(io.StringIO()):  # the metrics' EMF lines
            return self.handler(event, LambdaContext("DeliverFunction"))


def message_for(webhook_id: str, index: int) -> str:
    return a_delivery_message(
        delivery_id=f"msg_{webhook_id}_{index}", webhook_id=webhook_id, environment=Environment.DEVELOPMENT
    ).model_dump_json()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(  # noqa: S603 - the venv's own moto_server on loopback
        [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=1)  # noqa: S310 - loopback
                break
            time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def deliver_stack() -> Iterator[DeliverStack]:
    os.environ.update(
        {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench", "AWS_DEFAULT_REGION": "us-east-1"}
    )
    with moto_server() as endpoint, running_receiver() as receiver:
        os.environ["AWS_ENDPOINT_URL"] = endpoint
        session = boto3.Session(region_name="us-east-1")
        deployed = deploy_data_plane(session)
        environment = function_environment(translated_template(), "DeliverFunction", deployed)
        os.environ.update(
            environment
            | {"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"}
            # the per-attempt INFO lines would measure the terminal, not delivery
            | {"POWERTOOLS_LOG_LEVEL": "WARNING"}
        )
        module = importlib.import_module("functions.deliver.app")
        yield DeliverStack(deployed, receiver, session, module.handler)
