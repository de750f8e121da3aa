"""The benchmarks' emulator: the local stack's moto server on a free loopback port, logging to .local/bench/."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from local.emulator import MotoServer
from local.stack_process import free_port
from local.state import state_dir

# The emulator takes any credentials; a benchmark's clients and handlers get these.
CREDENTIALS = {"AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}


def use_emulator(endpoint: str) -> None:
    """Every boto3 client this process makes from now on talks to the emulator at `endpoint`."""
    os.environ.update(CREDENTIALS | {"AWS_ENDPOINT_URL": endpoint})


@contextmanager
def moto_server(environ: Mapping[str, str] | None = None) -> Iterator[str]:
    """The emulator's endpoint while it runs; `environ` as MotoServer takes it."""
    server = MotoServer(free_port(), state_dir() / "bench" / "moto.log", environ)
    server.start()
    try:
        yield server.endpoint
    finally:
        server.stop()
