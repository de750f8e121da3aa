"""Powertools' SQS BatchProcessor, with the records of one batch handled concurrently.

Deliveries wait on the network, so ten slow endpoints should cost one timeout, not ten. Only
`process` changes: each record still goes through Powertools' own record handling, and the
partial batch response (batchItemFailures) is built the same way.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType


class ConcurrentSqsBatchProcessor(BatchProcessor):
    def __init__(self, concurrency: int) -> None:
        super().__init__(EventType.SQS)
        # Built once per container and reused by every invocation (threads stay warm).
        self._executor = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="deliver")

    def process(self) -> list[tuple[object, ...]]:
        return list(self._executor.map(self._process_record, self.records))
