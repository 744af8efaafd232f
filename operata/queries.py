"""`python -m operata query NAME`: the archive's named queries, on DuckDB or on Athena.

Each query is one file in queries/, written in Athena's SQL (Trino). The stack saves the same
files as Athena named queries. Locally the text is translated to DuckDB's SQL with sqlglot and run
over the JSON lines under .archive/ (what `make demo` writes); with --stage it runs unchanged on
that stage's Athena workgroup. Parameters are the `?` marks of the text, declared in order by the
file's `-- param NAME TYPE [DEFAULT]` lines.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import re
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from operata.aws import ToolError
from operata.project import ROOT
from operata_lambda.archive.rows import COLUMNS, PARTITIONS

QUERIES_DIR = ROOT / "queries"
TABLE = "events"
STACK = "operata-kinesis-processor-{stage}"
_PARAM = re.compile(r"--\s*param\s+(\w+)\s+(date|integer|text)(?:\s+(\S+))?\s*$")
_DUCKDB_TYPES = {
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "double": "DOUBLE",
    "int": "INTEGER",
    "boolean": "BOOLEAN",
    "array<string>": "VARCHAR[]",
}
POLL_S = 1.0


@dataclass(frozen=True)
class Param:
    name: str
    kind: str  # date | integer | text
    default: str | None


@dataclass(frozen=True)
class NamedQuery:
    name: str
    description: str
    params: tuple[Param, ...]
    sql: str

    def bind(self, given: dict[str, str]) -> list[Any]:
        """The values of the `?` marks, in order, checked against the declared types."""
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            raise ToolError(
                f"query {self.name} has no parameter {unknown[0]}: it takes "
                f"{', '.join(p.name for p in self.params) or 'none'}"
            )
        values: list[Any] = []
        for param in self.params:
            text = given.get(param.name, param.default)
            if text is None:
                raise ToolError(
                    f"query {self.name} needs --param {param.name}=VALUE ({param.kind})"
                )
            values.append(_typed(self.name, param, text))
        return values


def _typed(query: str, param: Param, text: str) -> Any:
    try:
        if param.kind == "date":
            return date.fromisoformat(text).isoformat()
        if param.kind == "integer":
            return int(text)
    except ValueError:
        example = "2023-06-01" if param.kind == "date" else "20"
        raise ToolError(
            f"query {query}: {param.name} must be a {param.kind} such as {example}, not {text!r}"
        ) from None
    return text


def load(path: Path) -> NamedQuery:
    sql = path.read_text(encoding="utf-8")
    comments = [line for line in sql.splitlines() if line.startswith("--")]
    params = tuple(
        Param(m[1], m[2], m[3]) for line in comments if (m := _PARAM.fullmatch(line.strip()))
    )
    description = comments[0].lstrip("- ").strip() if comments else ""
    return NamedQuery(path.stem, description, params, sql)


def all_queries(directory: Path = QUERIES_DIR) -> dict[str, NamedQuery]:
    return {path.stem: load(path) for path in sorted(directory.glob("*.sql"))}


def find(name: str, directory: Path = QUERIES_DIR) -> NamedQuery:
    queries = all_queries(directory)
    if name not in queries:
        raise ToolError(
            f"no query named {name!r}: python -m operata query --list shows {', '.join(queries)}"
        )
    return queries[name]


# --- DuckDB, on the local archive --------------------------------------------------------


def duckdb_sql(query: NamedQuery) -> str:
    """The query in DuckDB's SQL, translated from Trino's by sqlglot."""
    import sqlglot

    return str(sqlglot.transpile(query.sql, read="trino", write="duckdb")[0])


def run_local(
    query: NamedQuery, values: list[Any], archive_dir: Path
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Column names and rows of the query over the JSON lines under archive_dir."""
    import duckdb

    files = list(archive_dir.glob("detail_type=*/event_date=*/*.json"))
    if not files:
        raise ToolError(
            f"no archive rows under {archive_dir}/: run make demo (or sls invoke local "
            "--stage local) first, or pass --archive-dir"
        )
    columns = {name: _DUCKDB_TYPES[kind] for name, kind in COLUMNS.items()}
    partitions = {name: "VARCHAR" for name in PARTITIONS}
    pattern = str(archive_dir / "detail_type=*" / "event_date=*" / "*.json")
    connection = duckdb.connect()
    try:
        connection.execute(
            f"CREATE VIEW {TABLE} AS SELECT * FROM read_json({_quoted(pattern)}, "
            f"format = 'newline_delimited', columns = {columns}, "
            f"hive_partitioning = true, hive_types = {partitions})"
        )
        result = connection.execute(duckdb_sql(query), values)
        names = [column[0] for column in result.description or []]
        return names, [tuple(row) for row in result.fetchall()]
    except duckdb.Error as exc:
        raise ToolError(f"query {query.name} failed on {archive_dir}/: {exc}") from None
    finally:
        connection.close()


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


# --- Athena, on a deployed stage ---------------------------------------------------------


def athena_literal(param: Param, value: Any) -> str:
    """An Athena execution parameter: the value as SQL text (quoted unless a number)."""
    return str(value) if param.kind == "integer" else _quoted(str(value))


def stack_outputs(stage: str, cloudformation: Any) -> dict[str, str]:
    name = STACK.format(stage=stage)
    try:
        stacks = cloudformation.describe_stacks(StackName=name)["Stacks"]
    except Exception as exc:
        if "does not exist" in str(exc):
            raise ToolError(
                f"no stack {name}: deploy it first (sls deploy --stage {stage})"
            ) from None
        raise
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stacks[0].get("Outputs", [])}
    if "ArchiveWorkgroup" not in outputs:
        raise ToolError(
            f"stack {name} has no archive (its stage parameter archive is 'false'): "
            f"deploy with --param=archive=true"
        )
    return outputs


def run_athena(
    query: NamedQuery, values: list[Any], stage: str, args: argparse.Namespace
) -> tuple[list[str], list[tuple[Any, ...]]]:
    from operata import aws

    outputs = stack_outputs(stage, aws.client("cloudformation", args.endpoint_url, args.region))
    athena = aws.client("athena", args.endpoint_url, args.region)
    request: dict[str, Any] = {
        "QueryString": query.sql,
        "QueryExecutionContext": {"Database": outputs["ArchiveDatabase"]},
        "WorkGroup": outputs["ArchiveWorkgroup"],
    }
    if values:
        request["ExecutionParameters"] = [
            athena_literal(p, v) for p, v in zip(query.params, values, strict=True)
        ]
    execution = athena.start_query_execution(**request)["QueryExecutionId"]
    while True:
        status = athena.get_query_execution(QueryExecutionId=execution)["QueryExecution"]
        state = status["Status"]["State"]
        if state == "SUCCEEDED":
            break
        if state in ("FAILED", "CANCELLED"):
            reason = status["Status"].get("StateChangeReason", "no reason given")
            raise ToolError(f"query {query.name} {state.lower()} on Athena: {reason}")
        time.sleep(POLL_S)
    rows: list[tuple[Any, ...]] = []
    for page in athena.get_paginator("get_query_results").paginate(QueryExecutionId=execution):
        for row in page["ResultSet"]["Rows"]:
            rows.append(tuple(cell.get("VarCharValue") for cell in row["Data"]))
    if not rows:
        return [], []
    return [str(name) for name in rows[0]], rows[1:]


# --- output --------------------------------------------------------------------------------


def shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list):
        return ", ".join(shown(item) for item in value)
    return str(value)


def table(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    cells = [names] + [[shown(value) for value in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(names))]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True))
        for line in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(line.rstrip() for line in lines) + f"\n({len(rows)} rows)\n"


def as_csv(names: list[str], rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([shown(value) for value in row] for row in rows)
    return out.getvalue()


def query_command(args: argparse.Namespace) -> int:
    if args.list or not args.name:
        for query in all_queries().values():
            params = " ".join(
                f"[{p.name}={p.default}]" if p.default else f"{p.name}=..." for p in query.params
            )
            print(f"{query.name:28} {query.description}  {params}".rstrip())
        return 0
    query = find(args.name)
    given: dict[str, str] = {}
    for pair in args.param or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ToolError(f"--param {pair!r}: write it as key=value, e.g. min_calls=5")
        given[key.strip()] = value.strip()
    if args.since:
        given["since"] = args.since
    values = query.bind(given)
    if args.stage:
        names, rows = run_athena(query, values, args.stage, args)
    else:
        archive_dir = Path(args.archive_dir or os.environ.get("ARCHIVE_DIR") or ".archive")
        names, rows = run_local(query, values, archive_dir)
    sys.stdout.write(as_csv(names, rows) if args.csv else table(names, rows))
    return 0
