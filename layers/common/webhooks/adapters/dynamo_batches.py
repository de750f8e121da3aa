"""What the batch calls of DynamoDB share: their size limits and the bounded, backed-off retry of the
part a call left undone (unprocessed items or keys).

botocore already retries a throttled *request*; these are the parts a successful request reports back.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

BATCH_WRITE_ITEMS = 25
BATCH_GET_KEYS = 100
# Rounds of one batch call, the first included; the waits between them total at most about 0.75 s.
ROUNDS = 4
_FIRST_WAIT_SECONDS = 0.05

Sleep = Callable[[float], None]


def wait_before_round(round_number: int, sleep: Sleep = time.sleep) -> None:
    """Full jitter: a random wait up to 50 ms, 100 ms, 200 ms... before round 1, 2, 3..."""
    sleep(random.uniform(0, _FIRST_WAIT_SECONDS * 2 ** (round_number - 1)))  # noqa: S311 - not for security
