"""A batch's messages against their endpoints' circuit breakers: hold back what may not be POSTed now,
then write what the batch's results say about each endpoint.

A held-back message is deferred (sent again with an SQS delay, carrying the time it is due), which is not an
attempt: its attempt number and one-POST claim are untouched. What its endpoint holds back (circuit open, probe
running, no free in-flight slot, flagged slow) waits in the slow lane's queue, where the same function POSTs with
a small concurrency of its own, so the main lane meets a dead endpoint's backlog once, not at every recheck; a
message only over its rate limit waits in the main queue. One deferred longer than the deployment allows is
logged `failed` (`circuit_open`), which recovery can send again once the endpoint is back.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Protocol

from webhooks.delivery.attempt import BatchAttempt, ConcurrentMap, in_turn
from webhooks.delivery.circuit import (
    Admission,
    Circuit,
    CircuitPolicy,
    CircuitState,
    admit,
    after_results,
    is_fast_and_free,
    is_slow,
    is_unwell,
    lease_probe,
    lease_slots,
    needs_lease,
    rate_window,
    take_tokens,
)
from webhooks.delivery.record import DeliveryStatus, ErrorKind
from webhooks.delivery.resend import DeferralQueue, Resend, resend
from webhooks.delivery.retry import sqs_delay_until
from webhooks.delivery.timers import TimersOnOneThread
from webhooks.domain.webhook import Webhook

WebhookKey = tuple[str, str]  # (account_id, webhook_id)
# Another invocation wrote between our read and write: read again this many times (more to lease: all leases at once).
_WRITE_ROUNDS = 3
_LEASE_ROUNDS = 8
_CACHE_LIMIT = 10_000  # endpoints a container remembers at most before it forgets them all


class CircuitStore(Protocol):
    def read_many(self, keys: Iterable[WebhookKey]) -> dict[WebhookKey, Circuit]:
        """Every key's circuit; one never written is closed at version 0."""
        ...

    def save(self, circuit: Circuit) -> bool:
        """Write it if the stored one is still at `circuit.version - 1`; False when another writer was first."""
        ...


# (seconds, action) -> a function that cancels it: runs `action` once the seconds pass, unless cancelled.
StartTimer = Callable[[float, Callable[[], None]], Callable[[], None]]
# What a batch's results wrote: each endpoint's circuit before and after.
CircuitChanges = dict[WebhookKey, tuple[Circuit, Circuit]]


@dataclass(frozen=True, slots=True)
class BatchCircuits:
    """What `hold_back` read and leased, for `learn`: each endpoint's circuit, and the lease id under
    which this batch holds in-flight slots (on the endpoints in `leased`)."""

    circuits: dict[WebhookKey, Circuit] = field(default_factory=dict)
    lease_id: str = ""
    leased: frozenset[WebhookKey] = frozenset()


@dataclass(frozen=True, slots=True)
class GuardRules:
    policy: CircuitPolicy
    max_deferral: timedelta  # the deployment's bound on how long a message may wait for its endpoint
    # How long a container trusts a circuit it read of an endpoint known to be fast and free.
    cache_for: timedelta = timedelta(seconds=2)


@dataclass(kw_only=True)
class EndpointGuard:
    circuits: CircuitStore
    queue: DeferralQueue
    slow_lane: DeferralQueue
    rules: GuardRules
    on_opened: Callable[[Circuit], None]
    on_slowed: Callable[[Circuit], None]
    uniform: Callable[[float, float], float] = random.uniform
    start_timer: StartTimer = field(default_factory=TimersOnOneThread)
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    concurrent_map: ConcurrentMap = in_turn  # runs each endpoint's circuit write of a batch at once
    # What this container holds between batches: the endpoints being flagged slow, and recent reads.
    _flag_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _flagged: set[WebhookKey] = field(default_factory=set, init=False, repr=False)
    _cache: dict[WebhookKey, tuple[Circuit, datetime]] = field(default_factory=dict, init=False, repr=False)

    def hold_back(self, attempts: list[BatchAttempt], now: datetime, *, in_slow_lane: bool = False) -> BatchCircuits:
        """Settle as deferred (or, past the bound, turn into a `failed` claim) each attempt whose endpoint
        may not be POSTed now, and as moved each one the slow lane must serve; returns the circuits read,
        for `learn`. `attempts` are those about to POST, received by the slow lane or not."""
        by_endpoint: dict[WebhookKey, list[BatchAttempt]] = defaultdict(list)
        for attempt in attempts:
            by_endpoint[(attempt.message.account_id, attempt.message.webhook_id)].append(attempt)
        if not by_endpoint:
            return BatchCircuits()
        limits = {
            key: webhook.rate_limit_per_second
            for key, endpoint_attempts in by_endpoint.items()
            if isinstance(webhook := endpoint_attempts[0].webhook, Webhook) and webhook.rate_limit_per_second
        }
        circuits = self._read(list(by_endpoint), now, fresh=set(limits))
        lease_id, with_slots = uuid.uuid4().hex, set()
        recheck = now + timedelta(seconds=self.rules.policy.probe_recheck_seconds)
        deferred: list[Resend] = []  # over the rate limit: due the next second, in the main queue
        waiting: list[Resend] = []  # held back by the endpoint's state: in the slow lane
        moved: list[Resend] = []
        decisions = {
            key: admit(circuits[key], self.rules.policy, now, in_slow_lane=in_slow_lane) for key in by_endpoint
        }
        sending = [key for key, decision in decisions.items() if decision.admission is Admission.SEND]
        leasing = {key for key in sending if needs_lease(circuits[key], now, in_slow_lane=in_slow_lane)}
        to_admit = [key for key in sending if key in leasing or key in limits]

        def admit_endpoint(key: WebhookKey) -> tuple[Circuit, int, bool]:
            slots = lease_id if key in leasing else ""
            wanted = len(by_endpoint[key])
            return self._admit(key, circuits[key], wanted, lease_id=slots, limit=limits.get(key), now=now)

        # Each endpoint's conditional write at once: a batch of ten new endpoints waits one round trip, not ten.
        admitted = dict(zip(to_admit, self.concurrent_map(admit_endpoint, to_admit), strict=True))
        for key, endpoint_attempts in by_endpoint.items():
            decision = decisions[key]
            if decision.admission is Admission.SEND:
                if key in admitted:
                    circuits[key], granted, rate_limited = admitted[key]
                    with_slots |= {key} if key in leasing and granted else set()
                    # Over the rate: from the next second on; no free slot: look again soon.
                    due = rate_window(now) + timedelta(seconds=1) if rate_limited else recheck
                    excess = [r for attempt in endpoint_attempts[granted:] if (r := self._wait(attempt, due, now))]
                    (deferred if rate_limited else waiting).extend(excess)
                continue
            if decision.admission is Admission.SLOW_LANE:
                moved += [(attempt, attempt.message, 0) for attempt in endpoint_attempts]
                continue
            held, until = endpoint_attempts, decision.until
            if decision.admission is Admission.PROBE:
                leased = lease_probe(circuits[key], self.rules.policy, now)
                if self.circuits.save(leased):  # ours: the first message is the one probe
                    circuits[key], held = leased, endpoint_attempts[1:]
                until = recheck
            waiting += [again for attempt in held if (again := self._wait(attempt, until or now, now))]
        resend(self.queue, deferred, "deferred")
        resend(self.slow_lane, waiting, "deferred")
        resend(self.slow_lane, moved, "moved")
        return BatchCircuits(circuits, lease_id, frozenset(with_slots))

    def _read(self, keys: list[WebhookKey], now: datetime, fresh: set[WebhookKey]) -> dict[WebhookKey, Circuit]:
        """The circuits, read in one call, except those of endpoints known to be fast and free (closed,
        not slow, no slot leased) read by this container in the last `cache_for`: a busy healthy
        endpoint's batches cost no read each, and anything else is read fresh."""
        if len(self._cache) > _CACHE_LIMIT:
            self._cache.clear()
        cached = {
            key: entry[0]
            for key in keys
            if key not in fresh
            and (entry := self._cache.get(key))
            and now - entry[1] < self.rules.cache_for
            and is_fast_and_free(entry[0], now)
        }
        read = self.circuits.read_many([key for key in keys if key not in cached]) if len(cached) < len(keys) else {}
        self._cache.update({key: (circuit, now) for key, circuit in read.items()})
        return cached | read

    @contextmanager
    def watching(self, key: WebhookKey) -> Iterator[None]:
        """Around one POST: if it is still running after a slow attempt's time, its endpoint is flagged
        slow there and then (once per endpoint and container at a time), so other invocations move its
        next messages to the slow lane while this one still waits for its answer."""
        cancel = self.start_timer(self.rules.policy.slow_attempt_seconds, lambda: self._flag_slow(key))
        try:
            yield
        finally:
            cancel()

    def _flag_slow(self, key: WebhookKey) -> None:
        with self._flag_lock:
            if key in self._flagged:
                return
            self._flagged.add(key)
        try:
            self._write_results(key, self.circuits.read_many([key])[key], [], self.clock(), slow=True)
        except Exception:  # a flag not written costs isolation, never a delivery: learn writes it after
            return
        finally:
            with self._flag_lock:
                self._flagged.discard(key)

    def _admit(
        self, key: WebhookKey, circuit: Circuit, wanted: int, *, lease_id: str, limit: int | None, now: datetime
    ) -> tuple[Circuit, int, bool]:
        """Take up to `wanted` of this second's POSTs under the webhook's rate `limit`, then lease as many
        in-flight slots (when `lease_id`), in one conditional write (read again on a conflict). Returns the
        circuit, how many may POST, and whether the rate held some back. None got after the last round
        counts as none free: the messages wait and look again."""
        for _ in range(_LEASE_ROUNDS):
            changed, granted = take_tokens(circuit, limit, wanted, now) if limit else (circuit, wanted)
            rate_limited = granted < wanted
            if lease_id and granted:
                changed, granted = lease_slots(changed, self.rules.policy, granted, lease_id, now)
            if granted == 0:
                return circuit, 0, rate_limited
            changed = replace(changed, version=circuit.version + 1)
            if self.circuits.save(changed):
                return changed, granted, rate_limited
            circuit = self.circuits.read_many([key])[key]
        return circuit, 0, False

    def learn(self, attempts: list[BatchAttempt], batch: BatchCircuits, now: datetime) -> CircuitChanges:
        """Each endpoint's results of the batch, in order, written onto its circuit with the batch's lease
        given back. Returns each circuit this wrote, as it was before and after."""
        results: dict[WebhookKey, list[bool]] = defaultdict(list)
        slow: set[WebhookKey] = set()
        for attempt in attempts:
            if attempt.sent is not None:
                key = (attempt.message.account_id, attempt.message.webhook_id)
                results[key].append(is_unwell(attempt.sent))
                if is_slow(attempt.sent, self.rules.policy):
                    slow.add(key)

        def write(key: WebhookKey) -> tuple[WebhookKey, tuple[Circuit, Circuit] | None]:
            released = batch.lease_id if key in batch.leased else None
            unwell = results.get(key, [])  # a read, not defaultdict's insert: this runs on the pool's threads
            return key, self._write_results(key, batch.circuits[key], unwell, now, slow=key in slow, released=released)

        # Each endpoint's write at once.
        written = self.concurrent_map(write, results.keys() | batch.leased)
        return {key: change for key, change in written if change is not None}

    def _write_results(
        self,
        key: WebhookKey,
        circuit: Circuit,
        unwell: list[bool],
        now: datetime,
        *,
        slow: bool,
        released: str | None = None,
    ) -> tuple[Circuit, Circuit] | None:
        """Results written when they change the circuit; on a conflict, applied again to what was written.
        Returns the circuit before and after the write (None: nothing written)."""
        for _ in range(_WRITE_ROUNDS):
            changed = after_results(circuit, unwell, self.rules.policy, now, self.uniform, slow=slow, released=released)
            if changed is circuit:
                return None
            if self.circuits.save(changed):
                self._cache[key] = (changed, now)
                self._report(circuit, changed, now)
                return circuit, changed
            circuit = self.circuits.read_many([key])[key]
        return None

    def _report(self, before: Circuit, after: Circuit, now: datetime) -> None:
        if after.state is CircuitState.OPEN and before.state is not CircuitState.OPEN:
            self.on_opened(after)
        if after.slow_until is not None and (before.slow_until is None or before.slow_until <= now):
            self.on_slowed(after)

    def _wait(self, attempt: BatchAttempt, until: datetime, now: datetime) -> Resend | None:
        """The message to queue in the attempt's stead, due `until`; None once it has waited too long."""
        message = attempt.message
        waiting_since = message.deferred_since or now
        if now - waiting_since < self.rules.max_deferral:
            deferred = message.model_copy(update={"not_before": until, "deferred_since": waiting_since})
            return attempt, deferred, sqs_delay_until(until, now)
        # Past the bound: its claim is the `failed` record itself, so it is logged and never POSTed.
        hours = self.rules.max_deferral.total_seconds() / 3600
        attempt.record = attempt.claimed_record().model_copy(
            update={
                "status": DeliveryStatus.FAILED,
                "completed_at": now,
                "error_kind": ErrorKind.CIRCUIT_OPEN,
                "error_detail": f"the endpoint's circuit stayed open for more than {hours:g} h; recover to send again",
            }
        )
        return None
