"""Where the local stack listens and what it tells other tools: ports, the state folder, `stack.json`.

The stack.json contract is read by `make token`, the demo, the e2e tests and any
platform service that writes domain records with boto3.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Self

from local.sam_template import ROOT, DeployedDataPlane

DEFAULT_API_PORT = 3000
DEFAULT_AWS_PORT = 5000
LOOPBACK = "127.0.0.1"

# stack.json's logical names -> the template's logical ids.
TABLES = {
    "licenses": "LicensesTable",
    "activations": "ActivationsTable",
    "products": "ProductsTable",
    "contracts": "ContractsTable",
    "webhooks": "WebhooksTable",
    "deliveries": "DeliveriesTable",
    "audit": "AuditTable",
    "endpoint_stats": "EndpointStatsTable",
}
QUEUES = {
    "delivery": "DeliveryQueue",
    "delivery_dlq": "DeliveryDeadLetterQueue",
    "emit_failures": "EmitFailureQueue",
}


@dataclass(frozen=True)
class LocalPorts:
    api: int
    aws: int

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Self:
        environ = os.environ if environ is None else environ
        return cls(
            api=int(environ.get("LOCAL_API_PORT", DEFAULT_API_PORT)),
            aws=int(environ.get("LOCAL_AWS_PORT", DEFAULT_AWS_PORT)),
        )


def state_dir(environ: Mapping[str, str] | None = None) -> Path:
    """`.local/` of the repository, or LOCAL_STATE_DIR (tests use their own so they never clash with `make run`)."""
    environ = os.environ if environ is None else environ
    return Path(environ.get("LOCAL_STATE_DIR") or ROOT / ".local")


@dataclass(frozen=True)
class StackInfo:
    """The contents of stack.json."""

    api_url: str
    aws_endpoint: str
    region: str
    tables: dict[str, str]
    queues: dict[str, str]
    jwt_issuer: str = ""
    jwt_audience: str = ""
    pid: int = 0

    @classmethod
    def for_deployment(cls, ports: LocalPorts, deployed: DeployedDataPlane, issuer: str, audience: str) -> Self:
        return cls(
            api_url=f"http://{LOOPBACK}:{ports.api}",
            aws_endpoint=f"http://{LOOPBACK}:{ports.aws}",
            region=deployed.region,
            tables={name: deployed.tables[logical_id] for name, logical_id in TABLES.items()},
            queues={name: deployed.queues[logical_id] for name, logical_id in QUEUES.items()},
            jwt_issuer=issuer,
            jwt_audience=audience,
            pid=os.getpid(),
        )

    def write(self, path: Path) -> None:
        """Written last and atomically: the file's presence means the stack is ready."""
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(asdict(self), indent=2) + "\n", encoding="utf-8")
        temporary.replace(path)

    @classmethod
    def read(cls, path: Path) -> Self:
        return cls(**json.loads(path.read_text(encoding="utf-8")))

    def client(self, service: str) -> Any:
        """A boto3 client for the emulator, as a platform service would make one."""
        import boto3

        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.aws_endpoint,
            region_name=self.region,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - the emulator accepts any credentials
        )


def stack_json_path(environ: Mapping[str, str] | None = None) -> Path:
    return state_dir(environ) / "stack.json"
