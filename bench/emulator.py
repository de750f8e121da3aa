"""The benchmarks' emulator: the local stack's moto server on a free loopback port, logging to .local/bench/."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from local.emulator import MotoServer
from local.stack_process import free_port
from local.state import state_dir


@contextmanager
def moto_server(environ: Mapping[str, str] | None = None) -> Iterator[str]:
    """The emulator's endpoint while it runs; `environ` as MotoServer takes it."""
    server = MotoServer(free_port(), state_dir() / "bench" / "moto.log", environ)
    server.start()
    try:
        yield server.endpoint
    finally:
        server.stop()
