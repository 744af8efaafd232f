"""What the Lambda function runs: decode, validate, type, report. Nothing else is in the zip."""
