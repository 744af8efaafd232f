"""`python -m operata ...`: local tools around the processor.

Each command lives in its own module, imported only when that command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from datetime import date
from typing import Any, NoReturn

# What a record can be rejected for (the README's outcomes table), and redrive's name for the
# batches the event source mapping gave up on.
REJECTION_REASONS = (
    "not_base64",
    "not_utf8",
    "not_json",
    "not_eventbridge",
    "schema_invalid",
    "processing_error",
)
ON_FAILURE_REASON = "on_failure"

# command -> (module, function); the function takes the parsed arguments, returns an exit status
COMMANDS = {
    "kinesis-event": ("operata.fixtures", "kinesis_event_command"),
    "publish": ("operata.stream", "publish_command"),
    "consume": ("operata.stream", "consume_command"),
    "redrive": ("operata.redrive", "redrive_command"),
    "schemas": ("operata.schema_tools", "schemas_command"),
    "query": ("operata.queries", "query_command"),
    "outputs": ("operata.stack", "outputs_command"),
    "remove-check": ("operata.stack", "remove_check_command"),
    "local-aws": ("operata.local_aws", "local_aws_command"),
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


class Parser(argparse.ArgumentParser):
    """A mistake on the command line is one line (what, and `--help` for how) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def number(kind: type[int] | type[float], low: float, high: float | None = None) -> Any:
    """An argparse type: a whole number (int) or a number (float) from low to high."""
    words = "a whole number" if kind is int else "a number"
    allowed = f"from {low:g} to {high:g}" if high is not None else f"of at least {low:g}"

    def convert(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            value = None
        if value is None or value != value or value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text!r} is not {words} {allowed}")
        return value

    return convert


def day(text: str) -> str:
    """An argparse type: a date as YYYY-MM-DD, returned as the keys write it (YYYY/MM/DD)."""
    try:
        return date.fromisoformat(text).strftime("%Y/%m/%d")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def iso_day(text: str) -> str:
    """An argparse type: a date as YYYY-MM-DD, returned as it is."""
    day(text)
    return text


def _aws_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--endpoint-url", metavar="URL", help=ENDPOINT_HELP)
    p.add_argument("--region", help=REGION_HELP)


def parser() -> argparse.ArgumentParser:
    root = Parser(prog="python -m operata", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)

    p = commands.add_parser(
        "kinesis-event",
        help="wrap EventBridge event files or quarantine entries into a Lambda Kinesis event",
    )
    p.add_argument(
        "files",
        nargs="+",
        metavar="FILE",
        help="EventBridge event JSON files, or quarantine entries (their record's data as it "
        "was delivered), one record each",
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
        "--from",
        dest="start",
        default="TRIM_HORIZON",
        type=str.upper,
        choices=["TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"],
        help="where to start reading (default: %(default)s)",
    )
    p.add_argument("--timestamp", help="ISO 8601 time for --from AT_TIMESTAMP")
    p.add_argument(
        "--batch-size",
        type=number(int, 1, 10_000),
        default=100,
        help="records per invocation, 1 to 10000 (default: %(default)s)",
    )
    p.add_argument(
        "--max-retries",
        type=number(int, 0),
        default=3,
        help="retries of a failed batch before giving up on it (default: %(default)s)",
    )
    p.add_argument("--drain", action="store_true", help="exit once every shard is read to its end")
    p.add_argument(
        "--timeout",
        type=number(float, 1, 900),
        default=None,
        help="seconds per invocation, 1 to 900 (Lambda's limit); default: the function's timeout "
        "in serverless.yml",
    )
    p.add_argument(
        "--on-failure-bucket",
        metavar="BUCKET",
        help="write given-up batches here, as the S3 on-failure destination",
    )

    p = commands.add_parser(
        "redrive", help="run quarantined records through the current code (S3 or local)"
    )
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--bucket", help="the stage's quarantine bucket (python -m operata outputs --stage STAGE)"
    )
    where.add_argument(
        "--local",
        nargs="?",
        const="",
        metavar="DIR",
        help="the local quarantine of sls invoke local and consume (default: QUARANTINE_DIR, "
        "else .quarantine)",
    )
    p.add_argument(
        "--reason",
        choices=[*REJECTION_REASONS, ON_FAILURE_REASON],
        help="only entries rejected for this reason; on_failure: only the batches the event "
        "source mapping gave up on",
    )
    p.add_argument(
        "--detail-type", metavar="TYPE", help="only quarantine entries of this detail-type"
    )
    p.add_argument("--date", type=day, metavar="YYYY-MM-DD", help="only records that arrived then")
    p.add_argument("--prefix", help="default: QUARANTINE_PREFIX, as the function reads it")
    _aws_options(p)
    p.add_argument("--dry-run", action="store_true", help="say what would be done; change nothing")

    p = commands.add_parser(
        "outputs", help="a deployed stage's stream, bucket, function, dashboard"
    )
    p.add_argument("--stage", required=True, help="the deployed stage")
    _aws_options(p)

    p = commands.add_parser(
        "remove-check", help="before removing a stage: what its buckets hold (make remove)"
    )
    p.add_argument("--stage", required=True, help="the deployed stage")
    p.add_argument(
        "--empty-buckets",
        action="store_true",
        help="delete what the buckets removed with the stack hold (retained buckets are kept)",
    )
    _aws_options(p)

    p = commands.add_parser("local-aws", help="start or stop a local AWS API (moto) on loopback")
    p.add_argument(
        "action", choices=["start", "stop"], help="start: in the background; stop: forget it all"
    )
    p.add_argument(
        "--port", type=number(int, 1024, 65535), default=4566, help="default: %(default)s"
    )

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
    v.add_argument(
        "--schemas-dir", metavar="DIR", help="the schemas to read (default: the project's schemas/)"
    )

    p = commands.add_parser(
        "query", help="run a named query of queries/ on the local archive (DuckDB) or Athena"
    )
    p.add_argument("name", nargs="?", help="the query (python -m operata query --list)")
    p.add_argument("--list", action="store_true", help="list the queries and their parameters")
    p.add_argument(
        "--since",
        type=iso_day,
        metavar="YYYY-MM-DD",
        help="events on or after this day (YYYY-MM-DD)",
    )
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
