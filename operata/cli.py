"""`python -m operata ...`: local tools around the processor.

Each command lives in its own module, imported only when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command -> (module, function); the function takes the parsed arguments, returns an exit status
COMMANDS = {
    "kinesis-event": ("operata.fixtures", "kinesis_event_command"),
    "publish": ("operata.stream", "publish_command"),
    "consume": ("operata.stream", "consume_command"),
    "redrive": ("operata.redrive", "redrive_command"),
    "schemas": ("operata.schema_tools", "schemas_command"),
    "query": ("operata.queries", "query_command"),
}


ENDPOINT_HELP = (
    "send AWS requests here, e.g. http://127.0.0.1:5000 for a local moto server "
    "(default: AWS_ENDPOINT_URL, else AWS itself)"
)
REGION_HELP = "AWS region (default: AWS_DEFAULT_REGION, else your AWS config's region)"
SCHEMAS_DIR_HELP = "the schemas to read and write (default: the project's schemas/)"
PATH_HELP = (
    "sample events: EventBridge event files, Lambda Kinesis events, quarantine entries, log "
    "files, or folders of them"
)


def _aws_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint-url", metavar="URL", help=ENDPOINT_HELP)
    p.add_argument("--region", help=REGION_HELP)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m operata", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    p = commands.add_parser(
        "kinesis-event", help="wrap EventBridge event files into a Lambda Kinesis event"
    )
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="EventBridge event JSON files, one record each"
    )
    p.add_argument(
        "--stream-arn",
        default="arn:aws:kinesis:us-east-1:123456789012:stream/operata",
        help="the eventSourceARN written into each record (default: %(default)s)",
    )
    p.add_argument(
        "--shard", default="shardId-000000000000", help="the shard id (default: %(default)s)"
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write here instead of stdout")
    p.add_argument(
        "--raw",
        action="store_true",
        help="wrap each file's bytes as they are, even when not JSON (to try bad input)",
    )

    p = commands.add_parser("publish", help="put EventBridge event files on a Kinesis stream")
    p.add_argument("--stream", required=True, metavar="NAME", help="the Kinesis stream's name")
    _aws_options(p)
    p.add_argument(
        "files", nargs="+", metavar="FILE", help="files to put, one record each (bytes as they are)"
    )

    p = commands.add_parser("consume", help="read a stream and run the handler on its batches")
    p.add_argument("--stream", required=True, metavar="NAME", help="the Kinesis stream's name")
    _aws_options(p)
    p.add_argument(
        "--from", dest="start", default="TRIM_HORIZON", help="TRIM_HORIZON | LATEST | AT_TIMESTAMP"
    )
    p.add_argument("--timestamp", help="ISO 8601 time for --from AT_TIMESTAMP")
    p.add_argument(
        "--batch-size", type=int, default=100, help="records per invocation (default: %(default)s)"
    )
    p.add_argument(
        "--max-retries",
        type=int,
        default=3,
        help="retries of a failed batch before giving up on it (default: %(default)s)",
    )
    p.add_argument("--drain", action="store_true", help="exit once every shard is read to its end")
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per invocation (context); default: the function's timeout in serverless.yml",
    )
    p.add_argument(
        "--on-failure-bucket",
        metavar="BUCKET",
        help="write given-up batches here, as the S3 on-failure destination",
    )

    p = commands.add_parser("redrive", help="run quarantined records through the current code")
    p.add_argument(
        "--bucket",
        required=True,
        help="the quarantine bucket (the stack's bucket: sls info --verbose --stage STAGE)",
    )
    p.add_argument("--reason", help="only entries rejected for this reason, e.g. schema_invalid")
    p.add_argument("--prefix", help="default: QUARANTINE_PREFIX, as the function reads it")
    _aws_options(p)
    p.add_argument("--dry-run", action="store_true", help="say what would be done; change nothing")

    p = commands.add_parser("schemas", help="compare, update and check the JSON Schemas")
    verbs = p.add_subparsers(dest="verb", required=True)
    for verb, text in [
        ("diff", "what events hold that schemas do not describe"),
        ("update", "write new fields into the schemas"),
    ]:
        v = verbs.add_parser(verb, help=text)
        v.add_argument("paths", nargs="+", metavar="PATH", help=PATH_HELP)
        v.add_argument("--schemas-dir", metavar="DIR", help=SCHEMAS_DIR_HELP)
        if verb == "update":
            v.add_argument(
                "--allow-type-change",
                action="store_true",
                help="also widen the type of fields whose type changed",
            )
            v.add_argument(
                "--new-type",
                action="store_true",
                help="write a starting schema (version 1.0.0) for each detail-type that has none",
            )
    v = verbs.add_parser("check", help="schemas, fixtures and models agree")
    v.add_argument("--schemas-dir", metavar="DIR", help=SCHEMAS_DIR_HELP)

    p = commands.add_parser(
        "query", help="run a named query of queries/ on the local archive (DuckDB) or Athena"
    )
    p.add_argument("name", nargs="?", help="the query (python -m operata query --list)")
    p.add_argument("--list", action="store_true", help="list the queries and their parameters")
    p.add_argument("--since", metavar="DATE", help="events on or after this day (YYYY-MM-DD)")
    p.add_argument("--param", action="append", metavar="KEY=VALUE", help="a parameter of the query")
    p.add_argument(
        "--stage", help="run on this deployed stage's Athena workgroup instead of locally"
    )
    p.add_argument(
        "--archive-dir",
        metavar="DIR",
        help="the local archive (default: ARCHIVE_DIR, else .archive)",
    )
    p.add_argument("--csv", action="store_true", help="print CSV instead of a table")
    _aws_options(p)
    return root


def main(argv: Sequence[str] | None = None) -> int:
    """Run a command; what goes wrong around it (AWS unreachable, no such stream or bucket, no
    region) ends in one line on stderr and exit status 2, never a traceback."""
    args = parser().parse_args(argv)
    module_name, function_name = COMMANDS[args.command]
    command = getattr(importlib.import_module(module_name), function_name)
    from operata import aws

    try:
        status: int = command(args)
    except aws.ToolError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        line = aws.describe(exc, args)
        if line is None:
            raise
        print(f"error: {line}", file=sys.stderr)
        return 2
    return status


if __name__ == "__main__":
    sys.exit(main())
