"""Deliver's side: one queue message to one signed POST and its logged attempt. Read in this order:

sqs_batch (queue records in, batchItemFailures out) -> deliverer (the batch use case) -> attempt (one
message's state through the batch) -> signing -> outbound (the request, where it may go) -> address_policy
-> retry; message and record are the contracts: the queue message, the delivery log's record.
"""
