"""Every named query of queries/ on a local archive the function wrote, in DuckDB, against
answers worked out here in plain Python from the events themselves.

The batch holds every sample, calls of several agents, queues, ISPs and days, their headset
summaries, one record delivered twice, and one event sent twice (two records).
Every query counts an event id once.
"""

from __future__ import annotations

import copy
import io
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import redirect_stdout
from datetime import date, timedelta
from pathlib import Path
from statistics import mean
from typing import Any

import pytest
import sqlglot
from sqlglot import exp

from operata import cli
from operata.aws import ToolError
from operata.queries import all_queries, duckdb_sql, find, run_local
from operata_lambda.archive.rows import by_path
from operata_lambda.config import Settings
from operata_lambda.events.registry import EVENT_TYPES
from operata_lambda.pipeline.outcomes import Status
from tests.helpers import ONE_CONTACT_TYPES, SOURCES, encode, records_of, run_batch, source_event

QUERIES = sorted(all_queries())
MOS = "webRTCSession.metrics.mos.avg"


def call(n: int, agent: str, queue: str, isp: str, mos: float, day: str) -> dict[str, Any]:
    event = source_event("CallSummary")
    event["id"] = f"call-{n}"
    event["time"] = f"{day}T10:{n % 60:02d}:00Z"
    detail = event["detail"]
    detail["contact"]["id"]["current"] = f"contact-{n}"
    detail["contact"]["queueName"] = queue
    detail["serviceAgent"]["username"] = agent
    detail["serviceAgent"]["network"]["isp"] = isp
    detail["webRTCSession"]["metrics"]["mos"]["avg"] = mos
    return event


def headset(n: int, boom_arm: int, day: str) -> dict[str, Any]:
    event = source_event("HeadsetSummary")
    event["id"] = f"headset-{n}"
    event["time"] = f"{day}T11:00:00Z"
    event["detail"]["contact"]["id"]["current"] = f"contact-{n}"
    event["detail"]["headset"]["metrics"]["misalignedBoomArmCount"] = boom_arm
    return event


def the_events() -> list[dict[str, Any]]:
    samples = [source_event(path.stem) for path in sorted(SOURCES.glob("*.json"))]
    calls = [
        call(1, "ana", "Sales", "Net One", 4.4, "2024-03-04"),
        call(2, "ana", "Sales", "Net One", 3.9, "2024-03-04"),
        call(3, "ana", "Support", "Net Two", 2.8, "2024-03-05"),
        call(4, "ben", "Sales", "Net Two", 3.1, "2024-03-05"),
        call(5, "ben", "Support", "Net Two", 3.3, "2024-03-12"),
        call(6, "cy", "Support", "Net One", 4.0, "2024-03-12"),
    ]
    headsets = [
        headset(1, 2, "2024-03-04"),
        headset(3, 5, "2024-03-05"),
        headset(4, 1, "2024-03-05"),
    ]
    return samples + calls + headsets


@pytest.fixture(scope="module")
def archive(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Path, list[dict[str, Any]]]]:
    """The archive of one batch, and the events it holds once each (in the batch's order)."""
    events = the_events()
    payloads = [encode(e) for e in events]
    payloads.append(encode(copy.deepcopy(events[-4])))  # an event sent twice: another record
    records = records_of(*payloads)
    records.insert(3, records[2])  # a record delivered twice
    directory = tmp_path_factory.mktemp("archive")
    outcomes, _ = run_batch(records, Settings(archive=True, archive_dir=str(directory)))
    processed = {o.event_id for o in outcomes if o.status is Status.PROCESSED}
    assert processed == {e["id"] for e in events}
    yield directory, events


def run(directory: Path, name: str, **params: str) -> list[dict[str, Any]]:
    query = find(name)
    names, rows = run_local(query, query.bind(params), directory)
    return [dict(zip(names, row, strict=True)) for row in rows]


def of_type(events: list[dict[str, Any]], detail_type: str) -> list[dict[str, Any]]:
    return [e for e in events if e["detail-type"] == detail_type]


def contact_of(event: dict[str, Any]) -> Any:
    return by_path(event["detail"], EVENT_TYPES[event["detail-type"]].contact_id)


def rated(event: dict[str, Any]) -> str:
    """The overall quality the report gives the call (the function's own rating)."""
    outcomes, _ = run_batch(records_of(encode(event)))
    return str(outcomes[0].summary["overallQuality"])


# --- each query ------------------------------------------------------------------------------


def test_every_query_runs_on_the_archive(archive: tuple[Path, list[dict[str, Any]]]) -> None:
    directory, _ = archive
    for name in QUERIES:
        query = find(name)
        defaults = {p.name: "contact-1" for p in query.params if p.default is None}
        names, _rows = run_local(query, query.bind(defaults), directory)
        assert names, name


def test_quality_by_queue(archive: tuple[Path, list[dict[str, Any]]]) -> None:
    directory, events = archive
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for e in of_type(events, "CallSummary"):
        groups[(e["time"][:10], e["detail"]["contact"].get("queueName") or "(no queue)")].append(e)
    rows = run(directory, "quality-by-queue")
    assert {(r["day"], r["queue"]): r["calls"] for r in rows} == {
        key: len(group) for key, group in groups.items()
    }
    for r in rows:
        group = groups[(r["day"], r["queue"])]
        scores = [m for e in group if (m := by_path(e["detail"], MOS)) is not None]
        assert r["avg_mos"] == (round(mean(scores), 2) if scores else None)
        assert r["worst_mos"] == (min(scores) if scores else None)
        assert r["calls_with_issues"] == sum(rated(e) == "Issues detected" for e in group)


def test_since_leaves_out_earlier_days(archive: tuple[Path, list[dict[str, Any]]]) -> None:
    directory, events = archive
    days = sorted({e["time"][:10] for e in of_type(events, "CallSummary")})
    rows = run(directory, "quality-by-queue", since=days[-1])
    assert {r["day"] for r in rows} == {days[-1]}


@pytest.mark.parametrize(
    ("name", "key", "path"),
    [
        ("worst-agents-by-mos", "agent", "serviceAgent.username"),
        ("worst-isps-by-mos", "isp", "serviceAgent.network.isp"),
    ],
)
def test_worst_by_mos_with_a_minimum_of_calls(
    archive: tuple[Path, list[dict[str, Any]]], name: str, key: str, path: str
) -> None:
    directory, events = archive
    scores: dict[str, list[float]] = defaultdict(list)
    for e in of_type(events, "CallSummary"):
        if (mos := by_path(e["detail"], MOS)) is not None:
            scores[by_path(e["detail"], path)].append(mos)
    minimum = 2
    expected = sorted(
        ((round(mean(s), 2), who, len(s)) for who, s in scores.items() if len(s) >= minimum),
    )
    rows = run(directory, name, min_calls=str(minimum))
    assert [(r["avg_mos"], r[key], r["calls"]) for r in rows] == expected
    assert len(run(directory, name, min_calls="1")) == len(scores)


def test_insight_tags_by_week(archive: tuple[Path, list[dict[str, Any]]]) -> None:
    directory, events = archive
    expected: Counter[tuple[date, str]] = Counter()
    for e in of_type(events, "InsightsSummary"):
        day = date.fromisoformat(e["time"][:10])
        monday = day - timedelta(days=day.weekday())
        for tag in e["detail"].get("insights", {}).get("tags", []):
            expected[(monday, tag["description"])] += 1
    rows = run(directory, "insight-tags-by-week")
    assert {(r["week"].date(), r["tag"]): r["times"] for r in rows} == dict(expected)


def test_contact_timeline_joins_the_four_types(
    archive: tuple[Path, list[dict[str, Any]]],
) -> None:
    directory, events = archive
    contact = contact_of(source_event("CallSummary"))
    mine = sorted(
        (e for e in events if e["detail-type"] in EVENT_TYPES and contact_of(e) == contact),
        key=lambda e: (e["time"], e["detail-type"], e["id"]),
    )
    rows = run(directory, "contact-timeline", contact_id=contact)
    assert [(r["detail_type"], r["event_id"]) for r in rows] == [
        (e["detail-type"], e["id"]) for e in mine
    ]
    published = {name for name in ONE_CONTACT_TYPES if name in EVENT_TYPES}
    assert published <= {r["detail_type"] for r in rows}


def test_headset_problems_by_agent(archive: tuple[Path, list[dict[str, Any]]]) -> None:
    directory, events = archive
    agent_of = {
        contact_of(e): by_path(e["detail"], "serviceAgent.username")
        for e in of_type(events, "CallSummary")
    }
    boom: Counter[str] = Counter()
    contacts: Counter[str] = Counter()
    for e in of_type(events, "HeadsetSummary"):
        agent = agent_of.get(contact_of(e)) or "(unknown agent)"  # no call, or no agent in it
        boom[agent] += e["detail"]["headset"]["metrics"]["misalignedBoomArmCount"]
        contacts[agent] += 1
    rows = run(directory, "headset-problems-by-agent")
    assert {r["agent"]: (r["contacts"], r["misaligned_boom_arm"]) for r in rows} == {
        agent: (contacts[agent], boom[agent]) for agent in contacts
    }


def test_agent_issues_by_category(archive: tuple[Path, list[dict[str, Any]]]) -> None:
    directory, events = archive
    expected = Counter(
        (e["detail"]["context"]["category"], e["detail"]["context"]["severity"])
        for e in of_type(events, "AgentReportedIssue")
    )
    rows = run(directory, "agent-issues-by-category")
    assert {(r["category"], r["severity"]): r["issues"] for r in rows} == dict(expected)


# --- the files and the tool ----------------------------------------------------------------


def test_every_query_counts_an_event_id_once() -> None:
    for name, query in all_queries().items():
        assert "PARTITION BY event_id" in query.sql, name
        marks = list(sqlglot.parse_one(query.sql, read="trino").find_all(exp.Placeholder))
        assert len(marks) == len(query.params), name


def test_the_duckdb_text_is_a_translation_not_a_second_copy() -> None:
    for query in all_queries().values():
        assert duckdb_sql(query) != query.sql


def test_the_tool_lists_runs_and_prints_csv(archive: tuple[Path, list[dict[str, Any]]]) -> None:
    directory, _ = archive
    out = io.StringIO()
    with redirect_stdout(out):
        assert cli.main(["query", "--list"]) == 0
    assert [line.split()[0] for line in out.getvalue().splitlines()] == QUERIES
    out = io.StringIO()
    with redirect_stdout(out):
        status = cli.main(["query", "quality-by-queue", "--archive-dir", str(directory), "--csv"])
    assert status == 0
    header, *lines = out.getvalue().splitlines()
    assert header == "day,queue,calls,avg_mos,worst_mos,calls_with_issues"
    assert len(lines) == len(run(directory, "quality-by-queue"))


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["query", "no-such-query"], "no query named 'no-such-query'"),
        (["query", "worst-agents-by-mos", "--param", "min_calls=few"], "min_calls must be"),
        (["query", "contact-timeline"], "needs --param contact_id=VALUE"),
        (["query", "quality-by-queue", "--param", "colour=red"], "has no parameter colour"),
        (["query", "quality-by-queue", "--param", "since"], "write it as key=value"),
    ],
)
def test_mistakes_are_one_line_errors(
    argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1 and err.startswith("error: ")


def test_since_is_checked_when_the_command_line_is_read(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["query", "quality-by-queue", "--since", "yesterday"])
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "'yesterday' is not a date (YYYY-MM-DD)" in err and err.count("\n") == 1


def test_an_empty_archive_says_how_to_fill_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["query", "quality-by-queue", "--archive-dir", str(tmp_path)]) == 2
    assert "make demo" in capsys.readouterr().err
    with pytest.raises(ToolError):
        run_local(find("quality-by-queue"), ["2020-01-01"], tmp_path)
