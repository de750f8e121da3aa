"""`make run`: the whole system on loopback, in the foreground, until Ctrl-C.

moto server (DynamoDB, Streams, SQS) with template.yaml's data plane, the local HTTP API (API Gateway
HttpApi + JWT authorizer) in front of the manage handler, and pollers that play the template's event
source mappings for the emit and deliver handlers. All three handlers run in this process.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from local.api_gateway import LocalApiGateway
from local.damaged_webhooks import damaged_webhooks
from local.emulator import MotoServer, PortBusy, require_free_port
from local.http_api_routes import http_api_routes
from local.jwt_keys import AUDIENCES, ISSUER, TOKEN_LIFETIME, JwtAuthorizer, load_or_create_key
from local.lambda_runtime import LocalFunction, load_functions
from local.parameter_overrides import InvalidOverride, parse_overrides
from local.pollers.mappings import EventSourceMapping, event_source_mappings, function_concurrency
from local.pollers.queues import QueuePoller
from local.pollers.streams import StreamPoller
from local.sam_template import ROOT, DeployedDataPlane, translated_template
from local.state import LocalPorts, StackInfo, stack_json_path, state_dir

logger = logging.getLogger("local.stack")
REGION = "us-east-1"
# Template parameters the local stack overrides: the demo's receiver is a plain-http development endpoint.
LOCAL_STACK_PARAMETERS = {"AllowHttpForDevelopment": "true"}
# Only here may deliveries go to loopback (DeliverSettings.allow_loopback_delivery; never set on AWS).
LOCAL_FUNCTION_ENVIRONMENT = {"ALLOW_LOOPBACK_DELIVERY": "true"}
Poller = StreamPoller | QueuePoller


def emulator_environment(endpoint: str) -> dict[str, str]:
    """Every boto3 client of this process (handlers included) talks to the emulator, with fake credentials."""
    return {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",  # the emulator accepts any credentials
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


class LocalStack:
    def __init__(self, ports: LocalPorts, state: Path, environ: dict[str, str] | None = None) -> None:
        self.ports = ports
        self.state = state
        self.stop_event = threading.Event()
        self.pollers: list[Poller] = []
        self.info: StackInfo | None = None
        self._environ = os.environ if environ is None else environ
        self._functions: dict[str, LocalFunction] = {}
        self._threads: list[threading.Thread] = []
        self._emulator = MotoServer(ports.aws, state / "moto.log")
        self._api: LocalApiGateway | None = None
        self._webhooks_table: tuple[Any, str] | None = None  # (DynamoDB client, table), once deployed
        self._started = time.monotonic()
        self.parameter_overrides: dict[str, str] = {}

    def start(self) -> StackInfo:
        # `make run PARAMS="..."`: checked before anything starts, so a typo costs no stack.
        overrides = parse_overrides(
            self._environ.get("LOCAL_PARAMETER_OVERRIDES", ""), translated_template()["Parameters"]
        )
        self.parameter_overrides = overrides
        if self.ports.api == self.ports.aws:
            raise PortBusy(self.ports.api, "LOCAL_AWS_PORT", "the AWS emulator, same as the API's")
        stack_json_path(self._environ).unlink(missing_ok=True)
        require_free_port(self.ports.aws, "LOCAL_AWS_PORT", "the AWS emulator")
        try:
            self._api = LocalApiGateway(
                self.ports.api,
                routes=http_api_routes(translated_template()),
                authorizer=JwtAuthorizer(load_or_create_key(self.state)),
                invoke=self._invoke_manage,
                status=self.status,
                portal_dir=ROOT / "portal",
            )
        except OSError as error:
            raise PortBusy(self.ports.api, "LOCAL_API_PORT", "the HTTP API") from error
        self._emulator.start()
        os.environ.update(emulator_environment(self._emulator.endpoint))
        os.environ.pop("AWS_PROFILE", None)
        import boto3

        from local.data_plane import deploy_data_plane

        session = boto3.Session(region_name=REGION)
        cfn = translated_template()
        deployed = deploy_data_plane(session, **(LOCAL_STACK_PARAMETERS | overrides))
        mappings = event_source_mappings(cfn, deployed.parameters)
        self._functions = load_functions(cfn, deployed, LOCAL_FUNCTION_ENVIRONMENT, function_concurrency(mappings))
        self._webhooks_table = (session.client("dynamodb"), deployed.tables["WebhooksTable"])
        self.pollers = [self._poller(mapping, deployed, session) for mapping in mappings]
        for poller in self.pollers:
            thread = threading.Thread(target=poller.run, name=poller.mapping.logical_id, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._api.start()
        self.info = StackInfo.for_deployment(self.ports, deployed, ISSUER, ",".join(AUDIENCES))
        self.info.write(stack_json_path(self._environ))
        return self.info

    def _invoke_manage(self, event: dict[str, Any]) -> Any:
        return self._functions["ManageFunction"].invoke(event)

    def _poller(self, mapping: EventSourceMapping, deployed: DeployedDataPlane, session: Any) -> Poller:
        function = self._functions[mapping.function]
        if mapping.kind == "queue":
            return QueuePoller(
                mapping,
                queue_url=deployed.queues[mapping.source],
                queue_arn=deployed.arn(mapping.source),
                region=deployed.region,
                sqs=session.client("sqs"),
                invoke=function.invoke,
                stop=self.stop_event,
                retry_visibility_seconds=int(self._environ.get("LOCAL_RETRY_VISIBILITY_SECONDS", "2")),
            )
        table = deployed.tables[mapping.source]
        stream_arn = session.client("dynamodb").describe_table(TableName=table)["Table"]["LatestStreamArn"]
        send_on_failure = None
        if mapping.on_failure:
            sqs, queue_url = session.client("sqs"), deployed.queues[mapping.on_failure]

            def send_on_failure(body: str) -> None:
                sqs.send_message(QueueUrl=queue_url, MessageBody=body)

        return StreamPoller(
            mapping,
            stream_arn=stream_arn,
            streams=session.client("dynamodbstreams"),
            invoke=function.invoke,
            function_arn=function.arn,
            send_on_failure=send_on_failure,
            stop=self.stop_event,
        )

    @property
    def healthy(self) -> bool:
        return self._emulator.alive and all(thread.is_alive() for thread in self._threads)

    def status(self) -> dict[str, Any]:
        """`healthy` is about the stack's own parts; damaged webhooks are data, listed for what the alarm says."""
        return {
            "uptime_seconds": round(time.monotonic() - self._started, 1),
            "healthy": self.healthy,
            "pollers": [poller.stats.snapshot() for poller in self.pollers],
            "damaged_webhooks": damaged_webhooks(*self._webhooks_table) if self._webhooks_table else [],
        }

    def close(self) -> None:
        """Stops everything it started: pollers, the API server, the emulator; removes stack.json."""
        self.stop_event.set()
        for thread in self._threads:
            thread.join(timeout=10)
        if self._api is not None:
            self._api.stop()
        self._emulator.stop()
        path = stack_json_path(self._environ)
        if self.info is not None and path.exists() and StackInfo.read(path).pid == os.getpid():
            path.unlink()


def banner(info: StackInfo, mappings: list[EventSourceMapping], state: Path, seconds: float) -> str:
    lines = [
        f"Local stack ready in {seconds:.1f} s (Ctrl-C stops it)",
        f"  API           {info.api_url}   API Gateway HttpApi + JWT authorizer -> ManageFunction",
        f"  AWS emulator  {info.aws_endpoint}   moto: DynamoDB, DynamoDB Streams, SQS ({info.region})",
        f"  API docs      {info.api_url}/docs   Swagger UI; {info.api_url}/openapi.json (no token needed)",
        f"  Status        {info.api_url}/_local/status   pollers' counters, damaged webhooks (no token needed)",
        f"  State         {state / 'stack.json'}",
        "  Tables",
        *(f"    {name:<14} {physical}" for name, physical in info.tables.items()),
        "  Queues",
        *(f"    {name:<14} {url}" for name, url in info.queues.items()),
        "  Pollers (Lambda event source mappings)",
        *(f"    {m.source} -> {m.function}: {m.describe()}" for m in mappings),
        f"  Token         make token ACCOUNT=acme ROLE=admin    (ROLE=reader: read-only; valid {TOKEN_LIFETIME})",
        f'  Try           curl -s -H "Authorization: Bearer $(make -s token)" {info.api_url}/events',
        f"  Write         boto3 with endpoint_url={info.aws_endpoint} to the tables above (stack.json lists them)",
    ]
    return "\n".join(lines)


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    started = time.monotonic()
    stack = LocalStack(LocalPorts.from_environ(), state_dir())
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stack.stop_event.set())
    try:
        info = stack.start()
    except (PortBusy, InvalidOverride) as error:
        print(f"error: {error}", file=sys.stderr)
        stack.close()
        return 2
    except BaseException:
        stack.close()
        raise
    # The loaded handlers and SDKs are long-lived: keep them out of GC passes (the one at exit took seconds).
    gc.freeze()
    print(banner(info, [poller.mapping for poller in stack.pollers], stack.state, time.monotonic() - started))
    if stack.parameter_overrides:
        print("Template parameters overridden: " + " ".join(f"{k}={v}" for k, v in stack.parameter_overrides.items()))
    sys.stdout.flush()
    while not stack.stop_event.wait(0.5):
        if not stack.healthy:
            print("error: the AWS emulator or a poller stopped; shutting down", file=sys.stderr)
            stack.close()
            return 1
    print("Stopping the local stack ...", flush=True)
    stack.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
