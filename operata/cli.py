"""`python -m operata ...`: local tools around the processor.

Each command lives in its own module, imported only when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

FUNCTION_TIMEOUT_S = 60.0  # the function's timeout (serverless.yml): consume's context default

# command -> (module, function); the function takes the parsed arguments, returns an exit status
COMMANDS = {
    "kinesis-event": ("operata.fixtures", "kinesis_event_command"),
    "publish": ("operata.stream", "publish_command"),
    "consume": ("operata.stream", "consume_command"),
    "redrive": ("operata.redrive", "redrive_command"),
    "schemas": ("operata.schema_tools", "schemas_command"),
}


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m operata", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    p = commands.add_parser(
        "kinesis-event", help="wrap EventBridge event files into a Lambda Kinesis event"
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="EventBridge event JSON files")
    p.add_argument("--stream-arn", default="arn:aws:kinesis:us-east-1:123456789012:stream/operata")
    p.add_argument("--shard", default="shardId-000000000000")
    p.add_argument("-o", "--output", help="write here instead of stdout")

    p = commands.add_parser("publish", help="put EventBridge event files on a Kinesis stream")
    p.add_argument("--stream", required=True)
    p.add_argument("--endpoint-url")
    p.add_argument("files", nargs="+", metavar="FILE")

    p = commands.add_parser("consume", help="read a stream and run the handler on its batches")
    p.add_argument("--stream", required=True)
    p.add_argument("--endpoint-url")
    p.add_argument(
        "--from", dest="start", default="TRIM_HORIZON", help="TRIM_HORIZON | LATEST | AT_TIMESTAMP"
    )
    p.add_argument("--timestamp", help="ISO 8601 time for --from AT_TIMESTAMP")
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--max-retries", type=int, default=3)
    p.add_argument("--drain", action="store_true", help="exit once every shard is read to its end")
    p.add_argument(
        "--timeout",
        type=float,
        default=FUNCTION_TIMEOUT_S,
        help="seconds per invocation (context); default: %(default)g, the function's",
    )
    p.add_argument(
        "--on-failure-bucket", help="write given-up batches here, as the S3 on-failure destination"
    )

    p = commands.add_parser("redrive", help="run quarantined records through the current code")
    p.add_argument("--bucket", required=True)
    p.add_argument("--reason", help="only entries rejected for this reason")
    p.add_argument("--prefix", help="default: QUARANTINE_PREFIX, as the function reads it")
    p.add_argument("--endpoint-url")
    p.add_argument("--dry-run", action="store_true")

    p = commands.add_parser("schemas", help="compare, update and check the JSON Schemas")
    verbs = p.add_subparsers(dest="verb", required=True)
    for verb, text in [
        ("diff", "what events hold that schemas do not describe"),
        ("update", "write new fields into the schemas"),
    ]:
        v = verbs.add_parser(verb, help=text)
        v.add_argument("paths", nargs="+", metavar="PATH")
        v.add_argument("--schemas-dir", help="default: the project's schemas/")
        if verb == "update":
            v.add_argument(
                "--allow-type-change",
                action="store_true",
                help="also widen the type of fields whose type changed",
            )
    v = verbs.add_parser("check", help="schemas, fixtures and models agree")
    v.add_argument("--schemas-dir", help="default: the project's schemas/")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    module_name, function_name = COMMANDS[args.command]
    command = getattr(importlib.import_module(module_name), function_name)
    status: int = command(args)
    return status


if __name__ == "__main__":
    sys.exit(main())
