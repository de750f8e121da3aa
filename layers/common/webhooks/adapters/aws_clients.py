"""boto3 clients, built once per execution environment, with timeouts that fit a Lambda invocation.

`lazy_client` defers importing boto3 and building the client to the first call that needs AWS, so
requests that never reach a table (the catalogue, the docs, a refused or invalid request) and the
cold import of a handler do not pay the ~0.25 s boto3 costs.
"""

from __future__ import annotations

from typing import Any


def client(service: str) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=5, retries={"mode": "standard", "max_attempts": 3})
    return boto3.client(service, config=config)  # type: ignore[call-overload]  # service chosen at run time


class LazyClient:
    """Stands in for a boto3 client; builds the real one on first attribute access and reuses it."""

    def __init__(self, service: str) -> None:
        self._service = service
        self._client: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._client is None:
            self._client = client(self._service)
        return getattr(self._client, name)


def lazy_client(service: str) -> Any:
    return LazyClient(service)
