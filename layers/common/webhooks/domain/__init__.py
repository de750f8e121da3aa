"""Domain: entities, rules and use cases. Knows nothing of Lambda events, boto3 or HTTP clients."""
