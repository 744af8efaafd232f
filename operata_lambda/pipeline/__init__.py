"""Kinesis records in, one outcome per record out: decoding, the batch loop, outcomes."""
