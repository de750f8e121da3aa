"""The AWS clients a function's adapters take, from one factory: explicit timeouts and retries for all.

botocore's defaults (60 s read timeout, legacy retries) would let one stalled DynamoDB or SQS call use a
whole deliver invocation (60 s); every client here bounds each call and retries in standard mode.
Each client is built on first use, so requests that never reach AWS (the catalogue, the docs, a refused
request) and a handler's cold import do not pay the ~0.25 s boto3 costs. Tests pass their own clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CONNECT_TIMEOUT_SECONDS = 2
# An answer slower than this is retried; three attempts (about 45 s at the worst) still end inside deliver's
# 60 s. Shorter (5 s was tried) turned a slow table or emulator under load into a storm of retried batches.
READ_TIMEOUT_SECONDS = 15
MAX_ATTEMPTS = 3


def client(service: str, *, max_pool_connections: int = 10, validate_parameters: bool = True) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"mode": "standard", "max_attempts": MAX_ATTEMPTS},
        max_pool_connections=max_pool_connections,
        parameter_validation=validate_parameters,
    )
    return boto3.client(service, config=config)  # type: ignore[call-overload]  # service chosen at run time


class LazyClient:
    """Stands in for a boto3 client; builds the real one on first attribute access and reuses it."""

    def __init__(self, service: str, **options: Any) -> None:
        self._service = service
        self._options = options
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = client(self._service, **self._options)
        return getattr(self._client, name)


@dataclass(frozen=True)
class AwsClients:
    dynamodb: Any
    sqs: Any
    kms: Any

    @classmethod
    def on_first_use(cls, **options: Any) -> AwsClients:
        """Clients from `client(...)`, each built when first called (a function that never opens a secret
        never builds its KMS client)."""
        return cls(
            dynamodb=LazyClient("dynamodb", **options),
            sqs=LazyClient("sqs", **options),
            kms=LazyClient("kms", **options),
        )
