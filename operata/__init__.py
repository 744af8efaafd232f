"""Consume Operata events delivered by EventBridge through a Kinesis stream."""
