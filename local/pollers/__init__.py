"""Local stand-ins for Lambda's event source mappings: DynamoDB stream pollers and SQS queue pollers."""
