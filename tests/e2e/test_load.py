"""The small load run (CI size): every (event, webhook) POST arrives exactly once and is logged once.

`make load` runs the same code at N = 10,000; here N is small so that CI stays fast.
"""

from __future__ import annotations

import pytest

from bench.load import WEBHOOKS_PER_ACCOUNT, run_load
from tests.e2e.conftest import RunningStack

pytestmark = pytest.mark.e2e

CI_WRITES = 200


def test_every_write_reaches_each_matching_webhook_exactly_once_and_is_logged_once(local_stack: RunningStack):
    account = "load-ci"

    report = run_load(local_stack.info, local_stack.token(account), account, CI_WRITES)

    expected = CI_WRITES * WEBHOOKS_PER_ACCOUNT
    assert (report.received, report.lost, report.duplicated, report.unexpected) == (expected, 0, 0, 0), report
    assert (report.records, report.succeeded_records) == (expected, expected), report
