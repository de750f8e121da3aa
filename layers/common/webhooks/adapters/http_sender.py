"""The outbound HTTP client: one POST to a vetted public address, bounded in time and in what it reads.

urllib3 pools are keyed by (address, port, TLS host name), so keep-alive connections are reused across
invocations while every request still goes to the address that was checked, with SNI and the
certificate verified against the URL's host name.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Callable
from contextvars import ContextVar
from datetime import UTC, datetime

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    HTTPError,
    NewConnectionError,
    ProtocolError,
    SSLError,
)
from urllib3.exceptions import (
    TimeoutError as Urllib3Timeout,
)
from urllib3.response import HTTPResponse

from webhooks.delivery.address_policy import IPAddress
from webhooks.delivery.outbound import (
    OutboundRequest,
    Resolver,
    SendResult,
    UnsafeDestination,
    parse_destination,
    vetted_addresses,
)
from webhooks.delivery.record import RESPONSE_EXCERPT_BYTES, ErrorKind
from webhooks.delivery.retry import parse_retry_after

# Below the deliver function's 60 s timeout, so an attempt always ends before Lambda stops it.
MAX_ATTEMPT_SECONDS = 45.0
_READ_CHUNK_BYTES = 1024


# When the attempt made on this thread must have its answer's status line and headers (monotonic clock).
_HEADERS_DEADLINE: ContextVar[float | None] = ContextVar("headers_deadline", default=None)
_PAST_DEADLINE = "no complete answer within the attempt's time bound"


def _before_deadline(connection: HTTPConnection, read_headers: Callable[[], HTTPResponse]) -> HTTPResponse:
    """urllib3 bounds each read, not their sum: a receiver trickling header lines could hold the attempt,
    and with it the batch, past the function timeout. At the deadline the socket is shut, which ends the
    read; what was read by then (http.client takes the end of input for the end of the headers) is dropped."""
    deadline = _HEADERS_DEADLINE.get()
    if deadline is None:
        return read_headers()
    cut = threading.Event()
    watchdog = threading.Timer(max(0.0, deadline - time.monotonic()), _shut, args=(connection, cut))
    watchdog.daemon = True
    watchdog.start()
    try:
        response = read_headers()
    except Exception as error:
        if cut.is_set():  # the shut socket broke the read: the bound ended it, not the receiver
            raise TimeoutError(_PAST_DEADLINE) from error
        raise
    finally:
        watchdog.cancel()
    if cut.is_set():
        response.close()
        raise TimeoutError(_PAST_DEADLINE)
    return response


def _shut(connection: HTTPConnection, cut: threading.Event) -> None:
    cut.set()
    if connection.sock is not None:
        with contextlib.suppress(OSError):
            connection.sock.shutdown(socket.SHUT_RDWR)


class _BoundedHTTPConnection(HTTPConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3 declares it
        return _before_deadline(self, super().getresponse)


class _BoundedHTTPSConnection(HTTPSConnection):
    def getresponse(self) -> HTTPResponse:  # type: ignore[override]  # as urllib3 declares it
        return _before_deadline(self, super().getresponse)


class _BoundedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _BoundedHTTPConnection


class _BoundedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _BoundedHTTPSConnection


class SystemResolver:
    def resolve(self, host: str, port: int) -> list[IPAddress]:
        import ipaddress

        try:
            answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError) as error:
            raise UnsafeDestination(ErrorKind.DNS, f"{host} does not resolve") from error
        return list(dict.fromkeys(ipaddress.ip_address(str(answer[4][0])) for answer in answers))


class UrllibSender:
    def __init__(self, resolver: Resolver, *, allow_loopback: bool, pool_size: int, max_pools: int = 100) -> None:
        self._resolver = resolver
        self._allow_loopback = allow_loopback
        self._pools = urllib3.PoolManager(
            num_pools=max_pools, maxsize=pool_size, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where()
        )
        self._pools.pool_classes_by_scheme = {"http": _BoundedHTTPPool, "https": _BoundedHTTPSPool}

    def post(self, request: OutboundRequest) -> SendResult:
        started = time.monotonic()
        try:
            destination = parse_destination(request.url, allow_http=request.allow_http or self._allow_loopback)
            address = vetted_addresses(destination, self._resolver, allow_loopback=self._allow_loopback)[0]
            # Where loopback is allowed (the local stack), a loopback receiver may be plain http in any
            # environment, as manage's URL policy accepts it; anything else still needs https.
            if destination.scheme == "http" and not request.allow_http and not address.is_loopback:
                raise UnsafeDestination(ErrorKind.INVALID_URL, "HTTPS is required")
        except UnsafeDestination as refused:
            return SendResult(error_kind=refused.kind, error_detail=refused.detail, duration_ms=_ms(started))
        tls = {"server_hostname": destination.host, "assert_hostname": destination.host}
        pool = self._pools.connection_from_host(
            str(address),
            destination.port,
            destination.scheme,
            pool_kwargs=tls if destination.scheme == "https" else None,
        )
        total = min(request.connect_timeout_seconds + request.read_timeout_seconds, MAX_ATTEMPT_SECONDS)
        deadline = started + total
        bound = _HEADERS_DEADLINE.set(deadline)
        try:
            response = pool.urlopen(
                "POST",
                destination.target,
                body=request.body,
                headers=request.headers | {"host": destination.host_header},
                timeout=urllib3.Timeout(
                    connect=request.connect_timeout_seconds, read=request.read_timeout_seconds, total=total
                ),
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
            )
        except Exception as error:  # every transport failure becomes a logged outcome
            kind, detail = _classify(error)
            return SendResult(error_kind=kind, error_detail=detail, duration_ms=_ms(started))
        finally:
            _HEADERS_DEADLINE.reset(bound)
        excerpt, truncated = _read_capped(response, deadline, request.read_timeout_seconds)
        status = response.status
        outcome: ErrorKind | None = None
        if not 200 <= status < 300:
            outcome = ErrorKind.REDIRECT if 300 <= status < 400 else ErrorKind.HTTP_STATUS
        return SendResult(
            http_status=status,
            error_kind=outcome,
            error_detail=_redirect_detail(response) if outcome is ErrorKind.REDIRECT else None,
            response_excerpt=excerpt.decode("utf-8", errors="replace"),
            response_truncated=truncated,
            retry_after_seconds=parse_retry_after(response.headers.get("retry-after"), datetime.now(UTC)),
            duration_ms=_ms(started),
        )


def _read_capped(response: urllib3.BaseHTTPResponse, deadline: float, read_timeout: float) -> tuple[bytes, bool]:
    """At most RESPONSE_EXCERPT_BYTES (+1 to know there is more), one recv at a time, before the deadline.
    A connection with unread data is closed rather than pooled."""
    excerpt = bytearray()
    complete = False
    try:
        while len(excerpt) <= RESPONSE_EXCERPT_BYTES:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            sock = getattr(response.connection, "sock", None)
            if sock is not None:
                sock.settimeout(min(read_timeout, remaining))
            chunk = response.read1(_READ_CHUNK_BYTES)
            if not chunk:
                complete = True
                break
            excerpt += chunk
    except (HTTPError, OSError):
        complete = False
    if not complete:
        response.close()
    response.release_conn()
    return bytes(excerpt[:RESPONSE_EXCERPT_BYTES]), len(excerpt) > RESPONSE_EXCERPT_BYTES or not complete


def _redirect_detail(response: urllib3.BaseHTTPResponse) -> str:
    return f"redirect to {response.headers.get('location', '(no location)')[:200]} not followed"


def _classify(error: Exception) -> tuple[ErrorKind, str]:
    if isinstance(error, SSLError):
        return ErrorKind.TLS, "TLS handshake or certificate check failed"
    if isinstance(error, NewConnectionError):
        return ErrorKind.CONNECTION, "connection refused or unreachable"
    if isinstance(error, Urllib3Timeout | TimeoutError | socket.timeout):
        return ErrorKind.TIMEOUT, "no answer within the timeout"
    if isinstance(error, ProtocolError | HTTPError | OSError):
        return ErrorKind.CONNECTION, "connection reset or closed before an answer"
    return ErrorKind.CONNECTION, type(error).__name__


def _ms(started: float) -> int:
    return round((time.monotonic() - started) * 1000)
