"""Powertools' SQS BatchProcessor for a handler that takes the whole batch at once.

Deliver claims, reads and logs a batch in one call each, so its handler needs every record together.
It returns one result per record, in order: a value, or the exception that fails that record alone.
Each is settled through Powertools' own success and failure handlers, so the partial batch response
(batchItemFailures) is built exactly as for a per-record handler. Use it with process_partial_response,
passing the whole-batch handler where a record handler would go.
"""

from __future__ import annotations

from collections.abc import Callable

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

WholeBatchHandler = Callable[[list[SQSRecord]], list[object]]


class WholeBatchSqsProcessor(BatchProcessor):
    def __init__(self) -> None:
        super().__init__(EventType.SQS)

    def process(self) -> list[tuple[object, ...]]:
        handle_batch: WholeBatchHandler = self.handler
        records = [SQSRecord(raw) for raw in self.records]
        settled: list[tuple[object, ...]] = []
        # As Powertools' own _process_record: successes keep the raw record, failures the data class.
        for raw, record, result in zip(self.records, records, handle_batch(records), strict=True):
            if isinstance(result, Exception):
                settled.append(self.failure_handler(record, (type(result), result, result.__traceback__)))
            else:
                settled.append(self.success_handler(raw, result))
        return settled
