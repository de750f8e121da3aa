"""What the deliver benchmarks share: the emulator on a free loopback port with the template's data
plane, a loopback receiver, and the deliver handler imported against them."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import boto3

from bench.emulator import moto_server, use_emulator
from local.data_plane import deploy_data_plane
from local.sam_template import DeployedDataPlane, function_environment, translated_template
from tests.support.builders import a_delivery_message, a_webhook
from tests.support.events import sqs_event
from tests.support.handlers import LambdaContext
from tests.support.receivers import Receiver, running_receiver
from webhooks.adapters.dynamo_codec import to_item
from webhooks.adapters.secret_sealer import KmsSecretSealer
from webhooks.adapters.webhook_store import WebhookItem
from webhooks.catalogue import Environment


@dataclass
class DeliverStack:
    deployed: DeployedDataPlane
    receiver: Receiver
    session: boto3.Session
    handler: Callable[[dict[str, Any], Any], Any]
    kms_calls: list[str]  # every KMS operation the handler called, in order

    def add_webhook(self, webhook_id: str, path: str) -> None:
        webhook = a_webhook(webhook_id=webhook_id, url=self.receiver.url(path), environment=Environment.DEVELOPMENT)
        # Sealed under the stack's KMS key, as manage stores it: deliver opens it as on AWS.
        sealer = KmsSecretSealer(self.session.client("kms"), self.deployed.keys["SecretsKey"])
        item = to_item(WebhookItem.from_entity(webhook, sealer).to_document())
        self.session.client("dynamodb").put_item(TableName=self.deployed.tables["WebhooksTable"], Item=item)

    def deliver(self, messages: list[str]) -> Any:
        event = sqs_event(*messages, queue_arn=self.deployed.arn("DeliveryQueue"))
        with contextlib.redirect_stdout(io.StringIO()):  # the metrics' EMF lines
            return self.handler(event, LambdaContext("DeliverFunction"))


def message_for(webhook_id: str, index: int) -> str:
    return a_delivery_message(
        delivery_id=f"msg_{webhook_id}_{index}", webhook_id=webhook_id, environment=Environment.DEVELOPMENT
    ).model_dump_json()


@contextmanager
def deliver_stack() -> Iterator[DeliverStack]:
    with moto_server() as endpoint, running_receiver() as receiver:
        use_emulator(endpoint)
        session = boto3.Session(region_name="us-east-1")
        deployed = deploy_data_plane(session)
        environment = function_environment(translated_template(), "DeliverFunction", deployed)
        os.environ.update(
            environment
            | {"ALLOW_LOOPBACK_DELIVERY": "true", "ALLOW_HTTP_FOR_DEVELOPMENT": "true"}
            # the per-attempt INFO lines would measure the terminal, not delivery
            | {"POWERTOOLS_LOG_LEVEL": "WARNING"}
        )
        # The handler's clients come from boto3's default session: count its KMS calls there.
        boto3.setup_default_session(region_name="us-east-1")
        kms_calls: list[str] = []
        boto3.DEFAULT_SESSION.events.register(  # type: ignore[union-attr]
            "before-call.kms", lambda model, **_: kms_calls.append(model.name)
        )
        module = importlib.import_module("functions.deliver.app")
        yield DeliverStack(deployed, receiver, session, module.handler, kms_calls)
