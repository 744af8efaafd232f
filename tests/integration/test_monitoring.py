"""The dashboard, the alarms and the saved Logs Insights queries, against what the function
really writes.

Every metric the dashboard graphs or an alarm watches must be one that exists: an AWS/Lambda
metric of this stack's function or of its event source mapping (with the mapping's EventCount
metrics on), an AWS/S3 request metric of this stack's bucket filter, or a metric the function
emits in Embedded Metric Format with exactly that namespace, name and dimensions. The emitted
ones are read from real output: handler.handler runs in-process on events/mixed-batch.json with
the packaged function's environment (LOG_FORMAT=json), and its EMF lines are parsed. Renaming
a metric, a dimension or the namespace on either side fails here; test_a_changed_name_is_caught
proves that by changing each name in a copy of the template.

Every saved query's fields must be in the JSON lines the function writes for the fixtures, in
lines that match the query's own filters.
"""

from __future__ import annotations

import copy
import io
import json
import re
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from typing import Any

import pytest

import handler
from operata.fixtures import kinesis_event
from operata_lambda import app
from tests.helpers import EVENTS, call_summary_with_three_new_fields, encode
from tests.packaging import FUNCTION, MAPPING, ROOT, SERVICE, Package

# The AWS metrics this stack may use, by the names AWS publishes them under: Lambda's
# per-function metrics for a stream-triggered function, and S3 request metrics.
LAMBDA_METRICS = {
    "Invocations", "Errors", "Throttles", "Duration", "ConcurrentExecutions", "IteratorAge",
    "DestinationDeliveryFailures",
}  # fmt: skip
# The event source mapping's own metrics (AWS/Lambda, per EventSourceMappingUUID), published
# only when its MetricsConfig asks for the EventCount group.
MAPPING_EVENT_COUNTS = {
    "PolledEventCount", "FilteredOutEventCount", "InvokedEventCount", "FailedInvokeEventCount",
    "DroppedEventCount", "OnFailureDestinationDeliveredEventCount", "DeletedEventCount",
}  # fmt: skip
S3_REQUEST_METRICS = {"AllRequests", "PutRequests", "GetRequests", "4xxErrors", "5xxErrors"}
FIREHOSE_METRICS = {
    "IncomingRecords", "DeliveryToS3.Records", "DeliveryToS3.Success",
    "DeliveryToS3.DataFreshness", "FailedConversion.Records", "ThrottledRecords",
}  # fmt: skip
PERCENTILE = re.compile(r"^p\d{1,2}(\.\d+)?$")
REQUEST_ID = "c0ffee00-1111-2222-3333-444455556666"
PLACEHOLDER_REQUEST_ID = "REQUEST_ID"  # in the saved query; a person pastes the real one


# --- the function's real output ------------------------------------------------------------


class Context:
    function_name = f"{SERVICE}-processEvents"
    aws_request_id = REQUEST_ID

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def run_handler(event: dict[str, Any], env: dict[str, str], mp: pytest.MonkeyPatch) -> list[str]:
    """handler.handler on one event, in-process, with `env`: the lines it prints."""
    for name, value in env.items():
        mp.setenv(name, value)
    out = io.StringIO()
    with redirect_stdout(out):
        handler.handler(event, Context())
    return out.getvalue().splitlines()


def function_env(pkg: Package) -> dict[str, str]:
    """The deployed function's environment, from the template; JSON logs, no bucket, the
    archive's rows in local files (ARCHIVE_DIR)."""
    variables = pkg.props(FUNCTION)["Environment"]["Variables"]
    env = {k: v for k, v in variables.items() if isinstance(v, str)}
    return {**env, "LOG_FORMAT": "json", "QUARANTINE_BUCKET": "", "ARCHIVE_STREAM": ""}


@dataclass(frozen=True)
class Emitted:
    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]
    unit: str


def emf_metrics(lines: list[str]) -> set[Emitted]:
    found = set()
    for line in lines:
        doc = json.loads(line)
        if "_aws" not in doc:
            continue
        for directive in doc["_aws"]["CloudWatchMetrics"]:
            for dimension_set in directive["Dimensions"]:
                dims = frozenset((d, doc[d]) for d in dimension_set)
                for metric in directive["Metrics"]:
                    unit = metric.get("Unit", "None")
                    found.add(Emitted(directive["Namespace"], metric["Name"], dims, unit))
    return found


@pytest.fixture(scope="module")
def emitted(dev: Package) -> Iterator[set[Emitted]]:
    event = json.loads((EVENTS / "mixed-batch.json").read_text())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app, "CONTAINER", app.Container())  # a new container
        lines = run_handler(event, function_env(dev), mp)
    metrics = emf_metrics(lines)
    assert metrics, "no EMF output from the function"
    yield metrics


# --- the metrics the template uses -----------------------------------------------------------


@dataclass(frozen=True)
class Used:
    where: str  # e.g. "dashboard: Records by outcome" or "alarm RecordsRejectedAlarm"
    namespace: str
    name: str
    dimensions: frozenset[tuple[str, str]]
    stat: str | None


def _token(node: Any) -> str:
    """A template value as comparable text: {"Ref": "X"} -> "<Ref X>"."""
    if isinstance(node, dict) and set(node) == {"Ref"}:
        return f"<Ref {node['Ref']}>"
    if isinstance(node, str):
        return node
    return json.dumps(node, sort_keys=True)


def dashboard_body(template: dict[str, Any]) -> dict[str, Any]:
    """The dashboard's JSON, its Fn::Sub variables replaced by tokens like those of _token."""
    text, variables = template["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    pseudo = {"AWS::Region": "us-east-1", "AWS::Partition": "aws", "AWS::AccountId": "123456789012"}

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in pseudo:
            return pseudo[name]
        value = variables[name]
        if isinstance(value, dict) and "Fn::Sub" in value:
            return re.sub(r"\$\{([^}!]+)\}", substitute, value["Fn::Sub"])
        if isinstance(value, dict) and "Fn::If" in value:
            return ""  # the quality alarms' ARNs, when they exist (checked on their own)
        return _token(value)

    return json.loads(re.sub(r"\$\{([^}!]+)\}", substitute, text))  # type: ignore[no-any-return]


def _dashboard_metrics(body: dict[str, Any]) -> Iterator[Used | tuple[str, str]]:
    """Metrics of the dashboard's graphs; expressions as (widget title, expression)."""
    for widget in body["widgets"]:
        if widget["type"] != "metric":
            continue
        props = widget["properties"]
        where = f"dashboard: {props['title']}"
        for row in props["metrics"]:
            options = row[-1] if isinstance(row[-1], dict) else {}
            if "expression" in options:
                yield where, options["expression"]
                continue
            names = row[:-1] if options else row
            namespace, name, *pairs = names
            assert "." not in names, f"{where}: write every metric out in full"
            dims = frozenset(zip(pairs[::2], pairs[1::2], strict=True))
            yield Used(where, namespace, name, dims, options.get("stat", props.get("stat")))


def _alarm_metrics(template: dict[str, Any]) -> Iterator[Used]:
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] != "AWS::CloudWatch::Alarm":
            continue
        props = resource["Properties"]
        where = f"alarm {logical_id}"
        if "MetricName" in props:
            dims = frozenset((d["Name"], _token(d["Value"])) for d in props["Dimensions"])
            yield Used(where, props["Namespace"], props["MetricName"], dims, props["Statistic"])
        for query in props.get("Metrics", []):
            if "MetricStat" in query:
                stat = query["MetricStat"]
                metric = stat["Metric"]
                dims = frozenset((d["Name"], _token(d["Value"])) for d in metric["Dimensions"])
                yield Used(where, metric["Namespace"], metric["MetricName"], dims, stat["Stat"])


def used_metrics(template: dict[str, Any]) -> tuple[list[Used], list[tuple[str, str]]]:
    metrics: list[Used] = list(_alarm_metrics(template))
    expressions = []
    for item in _dashboard_metrics(dashboard_body(template)):
        if isinstance(item, Used):
            metrics.append(item)
        else:
            expressions.append(item)
    return metrics, expressions


SEARCH = re.compile(r"SEARCH\('\{([^}]*)\}\s+(.*?)',\s*'(\w+)',\s*\d+\)")


def search_metrics(where: str, expression: str) -> Iterator[Used]:
    """A SEARCH expression's schema and filters as the metric it finds (one per SEARCH)."""
    for schema, terms, stat in SEARCH.findall(expression):
        namespace, *dimension_names = [part.strip() for part in schema.split(",")]
        filters = dict(re.findall(r'(\w+)="([^"]*)"', terms))
        name = filters.pop("MetricName")
        dims = frozenset((d, filters.get(d, "*")) for d in dimension_names)
        yield Used(where, namespace, name, dims, stat)


# --- the check ---------------------------------------------------------------------------------


def problems(template: dict[str, Any], emitted: set[Emitted]) -> list[str]:
    """Each metric the template uses that does not exist, or is read with a wrong statistic."""
    env = template["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]
    namespace = env["METRICS_NAMESPACE"]
    function = {("FunctionName", f"<Ref {FUNCTION}>")}
    bucket = template["Resources"]["FailureBucket"]["Properties"]
    filters = {f["Id"] for f in bucket.get("MetricsConfigurations", [])}
    mapping = {("EventSourceMappingUUID", f"<Ref {MAPPING}>")}
    config = template["Resources"][MAPPING]["Properties"].get("MetricsConfig", {})
    counted = "EventCount" in config.get("Metrics", [])
    metrics, expressions = used_metrics(template)
    for where, expression in expressions:
        metrics += search_metrics(where, expression)
    found = []
    for m in metrics:
        label = f"{m.where}: {m.namespace} {m.name} {dict(sorted(m.dimensions))} {m.stat}"
        if m.namespace == "AWS/Lambda" and m.dimensions == mapping:
            if m.name not in MAPPING_EVENT_COUNTS or not counted:
                found.append(f"{label}: not an event count the mapping publishes")
        elif m.namespace == "AWS/Lambda":
            if m.name not in LAMBDA_METRICS or m.dimensions != function:
                found.append(f"{label}: not a Lambda metric of this function")
        elif m.namespace == "AWS/Firehose":
            stream = {("DeliveryStreamName", env["ARCHIVE_STREAM"])}
            if m.name not in FIREHOSE_METRICS or m.dimensions != stream:
                found.append(f"{label}: not a Firehose metric of the archive's stream")
        elif m.namespace == "AWS/S3":
            dims = dict(m.dimensions)
            bucket_ok = dims.get("BucketName") == "<Ref FailureBucket>"
            if (
                m.name not in S3_REQUEST_METRICS
                or not bucket_ok
                or dims.get("FilterId") not in filters
            ):
                found.append(f"{label}: not a request metric of this stack's bucket filter")
        else:
            matches = [
                e
                for e in emitted
                if e.namespace == m.namespace == namespace
                and e.name == m.name
                and {d for d, _ in e.dimensions} == {d for d, _ in m.dimensions}
                and all(v in ("*", dict(e.dimensions)[d]) for d, v in m.dimensions)
            ]
            if not matches:
                found.append(f"{label}: the function emits no such metric")
            elif m.stat is not None and not _stat_fits(m.stat, matches[0].unit):
                found.append(f"{label}: statistic {m.stat} does not fit unit {matches[0].unit}")
    return found


def _stat_fits(stat: str, unit: str) -> bool:
    """Counts are summed; value lists (MOS, unit None) are averaged, counted or ranked."""
    if unit == "Count":
        return stat == "Sum"
    return stat in {"Average", "SampleCount", "Minimum", "Maximum"} or bool(PERCENTILE.match(stat))


def test_every_dashboard_and_alarm_metric_exists(pkg: Package, emitted: set[Emitted]) -> None:
    if pkg.stage != "dev":  # the EMF run used dev's Stage dimension: rename it to this stage
        emitted = {
            Emitted(
                e.namespace,
                e.name,
                frozenset((d, pkg.stage if d == "Stage" else v) for d, v in e.dimensions),
                e.unit,
            )
            for e in emitted
        }
    metrics, _ = used_metrics(pkg.template)
    assert len(metrics) > 20
    assert problems(pkg.template, emitted) == []


def _names_in(template: dict[str, Any]) -> set[str]:
    metrics, expressions = used_metrics(template)
    for where, expression in expressions:
        metrics += search_metrics(where, expression)
    return {m.name for m in metrics} | {d for m in metrics for d, _ in m.dimensions}


def _renamed(template: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    """A copy of the template with a name replaced, as a whole word, in the dashboard and the
    alarms only (the function, whose output the names are checked against, is unchanged)."""
    changed = copy.deepcopy(template)
    pattern = re.compile(rf"(?<![\w/]){re.escape(old)}(?![\w/])")
    for logical_id, resource in template["Resources"].items():
        if resource["Type"] in {"AWS::CloudWatch::Dashboard", "AWS::CloudWatch::Alarm"}:
            text = pattern.sub(new, json.dumps(resource))
            changed["Resources"][logical_id] = json.loads(text)
    return changed


def test_a_changed_name_is_caught(dev: Package, emitted: set[Emitted]) -> None:
    """Rename each metric and dimension the dashboard and alarms use, one at a time, in a copy
    of the template: the check must name it every time. Then the namespace."""
    names = _names_in(dev.template)
    assert {"RecordsRejected", "SchemaDriftFields", "MOS", "IteratorAge", "Stage"} <= names
    for name in sorted(names):
        changed = _renamed(dev.template, name, f"{name}Renamed")
        found = problems(changed, emitted)
        assert found, f"renaming {name} was not caught"
        assert all(f"{name}Renamed" in p for p in found), found
    namespace = dev.props(FUNCTION)["Environment"]["Variables"]["METRICS_NAMESPACE"]
    found = problems(_renamed(dev.template, namespace, "Operata/Renamed"), emitted)
    assert found and all("Operata/Renamed" in p for p in found), found


def test_mapping_metrics_need_the_mapping_to_publish_them(
    dev: Package, emitted: set[Emitted]
) -> None:
    assert problems(dev.template, emitted) == []
    changed = copy.deepcopy(dev.template)
    del changed["Resources"][MAPPING]["Properties"]["MetricsConfig"]
    found = problems(changed, emitted)
    assert found and all("OnFailureDestinationDeliveredEventCount" in p for p in found), found


def test_a_wrong_statistic_is_caught(dev: Package, emitted: set[Emitted]) -> None:
    changed = copy.deepcopy(dev.template)
    alarm = changed["Resources"]["RecordsRejectedAlarm"]["Properties"]["Metrics"][0]
    alarm["MetricStat"]["Stat"] = "Average"  # an average of per-batch counts means nothing
    (found,) = problems(changed, emitted)
    assert "RecordsRejected" in found and "Average" in found


def test_expressions_use_only_ids_defined_beside_them(pkg: Package) -> None:
    body = dashboard_body(pkg.template)
    groups: list[tuple[str, list[dict[str, Any]]]] = []
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            rows = widget["properties"]["metrics"]
            groups.append(
                (widget["properties"]["title"], [r[-1] for r in rows if isinstance(r[-1], dict)])
            )
    for logical_id, resource in pkg.resources.items():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            groups.append((logical_id, resource["Properties"].get("Metrics", [])))
    for where, entries in groups:
        ids = {e["id" if "id" in e else "Id"] for e in entries if "id" in e or "Id" in e}
        for entry in entries:
            expression = entry.get("expression") or entry.get("Expression")
            if not expression or expression.startswith("SEARCH("):
                continue
            names = set(re.findall(r"\b([a-z][A-Za-z0-9_]*)\b", expression))
            assert names <= ids, (where, expression, names - ids)


# --- dashboard, alarms and queries per stage -------------------------------------------------


def test_dashboard_is_named_after_service_and_stage(pkg: Package) -> None:
    props = pkg.props("Dashboard")
    assert props["DashboardName"] == f"{SERVICE}-{pkg.stage}"
    body = dashboard_body(pkg.template)
    headings = [w["properties"]["markdown"] for w in body["widgets"] if w["type"] == "text"]
    assert [h.split(". ", 1)[0] for h in headings] == ["## 1", "## 2", "## 3", "## 4", "## 5"]
    rows: dict[str, list[str]] = {h: [] for h in headings}
    texts = sorted(
        (w["y"], w["properties"]["markdown"]) for w in body["widgets"] if w["type"] == "text"
    )
    for widget in body["widgets"]:
        if widget["type"] in {"metric", "log"}:
            heading = [h for y, h in texts if y < widget["y"]][-1]
            rows[heading].append(widget["properties"]["title"])
    keeping_up, records, calls, broken, archive = rows.values()
    assert any("Throttles" in t for t in keeping_up) and any(
        "Iterator age" in t for t in keeping_up
    )
    assert any("outcome" in t for t in records) and any("drift" in t.lower() for t in records)
    assert any("MOS" in t for t in calls) and any("quality" in t.lower() for t in calls)
    assert len(broken) >= 2
    assert any("delivered" in t for t in archive) and any("freshness" in t for t in archive)
    assert any("failures" in t and "throttling" in t for t in archive)


def test_alarm_thresholds_are_on_the_dashboard(pkg: Package) -> None:
    """Each threshold parameter shows as a horizontal line; every alarm is in the status strip."""
    body = dashboard_body(pkg.template)
    lines = {
        a["label"]: a["value"]
        for w in body["widgets"]
        if w["type"] == "metric"
        for a in w["properties"].get("annotations", {}).get("horizontal", [])
    }
    p = pkg.params
    expected = {
        "iterator-age alarm": p["iteratorAgeAlarmMs"],
        "duration alarm": p["durationAlarmPercent"],
        "error-rate alarm (%)": p["errorRateAlarmPercent"],
        "records-rejected alarm (count)": p["rejectedAlarmCount"],
        "schema-drift alarm": p["schemaDriftAlarmFields"],
        "call-issues alarm (%)": p["callIssuesAlarmPercent"],
        "mos alarm": p["mosAlarmThreshold"],
        "archive-delivery alarm": 0,
        "buffer interval (s)": p["archiveBufferSeconds"],
    }
    assert {k: lines.get(k) for k in expected} == expected
    (strip,) = [w for w in body["widgets"] if w["type"] == "alarm"]
    shown = {arn.rsplit(":", 1)[-1] for arn in strip["properties"]["alarms"]}
    named = {
        r["Properties"]["AlarmName"]
        for r in pkg.resources.values()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r.get("Condition") not in {"QualityAlarms", "Archive"}
    }
    assert shown == named  # the quality and archive alarms are added when they exist
    variables = pkg.props("Dashboard")["DashboardBody"]["Fn::Sub"][1]
    assert variables["QualityAlarmArns"]["Fn::If"][0] == "QualityAlarms"
    assert variables["ArchiveAlarmArn"]["Fn::If"][0] == "Archive"


def test_quality_alarms_follow_the_stage_parameter(pkg: Package) -> None:
    wanted = pkg.params["qualityAlarms"] == "true"
    assert pkg.template["Parameters"]["QualityAlarms"]["Default"] == pkg.params["qualityAlarms"]
    for logical_id in ["CallIssuesAlarm", "MosAlarm"]:
        assert pkg.resources[logical_id]["Condition"] == "QualityAlarms"
        assert pkg.created(logical_id) is wanted
    assert (pkg.stage, wanted) != ("dev", True)  # dev turns them off


def _expression(alarm: dict[str, Any]) -> str:
    (returned,) = [m for m in alarm["Metrics"] if m.get("ReturnData")]
    return returned["Expression"]  # type: ignore[no-any-return]


def test_contact_centre_alarms_carry_their_parameters(pkg: Package) -> None:
    p = pkg.params
    drift = pkg.props("SchemaDriftAlarm")
    assert drift["Threshold"] == p["schemaDriftAlarmFields"]
    rejected = pkg.props("RecordsRejectedAlarm")
    assert f"rejected > {p['rejectedAlarmCount']}" in _expression(rejected)
    assert f"100 * rejected / records > {p['rejectedAlarmPercent']}" in _expression(rejected)
    issues = pkg.props("CallIssuesAlarm")
    assert issues["Threshold"] == p["callIssuesAlarmPercent"]
    assert f">= {p['callIssuesAlarmMinCalls']}" in _expression(issues)
    mos = pkg.props("MosAlarm")
    assert (mos["Threshold"], mos["ComparisonOperator"]) == (
        p["mosAlarmThreshold"],
        "LessThanThreshold",
    )
    assert f"calls >= {p['callIssuesAlarmMinCalls']}" in _expression(mos)
    period = p["qualityAlarmWindowMinutes"] * 60
    for alarm in (issues, mos):
        assert {m["MetricStat"]["Period"] for m in alarm["Metrics"] if "MetricStat" in m} == {
            period
        }


def test_every_alarm_description_is_a_one_line_runbook(pkg: Package) -> None:
    for logical_id in ["SchemaDriftAlarm", "RecordsRejectedAlarm", "CallIssuesAlarm", "MosAlarm"]:
        description = pkg.props(logical_id)["AlarmDescription"]
        text = description["Fn::Sub"] if isinstance(description, dict) else description
        assert "\n" not in text and len(text) <= 1024, logical_id
    drift = pkg.props("SchemaDriftAlarm")["AlarmDescription"]
    assert "python -m operata schemas diff" in drift
    rejected = pkg.props("RecordsRejectedAlarm")["AlarmDescription"]["Fn::Sub"]
    assert "python -m operata redrive --bucket ${FailureBucket}" in rejected
    assert f"s3://${{FailureBucket}}/{pkg.params['quarantinePrefix']}" in rejected
    for resource in pkg.resources.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            props = resource["Properties"]
            assert props["AlarmName"].startswith(f"{SERVICE}-{pkg.stage}-")
            assert props["AlarmActions"] == props["OKActions"]


# --- the saved queries -----------------------------------------------------------------------

KEYWORDS = {
    "fields", "filter", "stats", "sort", "by", "as", "and", "or", "not", "desc", "asc",
    "limit", "unnest", "into", "display", "like", "in", "parse", "dedup",
}  # fmt: skip


def query_terms(query: str) -> tuple[set[str], list[tuple[str, str]]]:
    """The log fields a query names (not @-fields, functions or aliases), and its
    `field = 'value'` comparisons (single or double quotes)."""
    comparisons = [
        (f, a or b)
        for f, a, b in re.findall(
            r"(?<![@\w.])([A-Za-z_][\w.]*)\s*=\s*(?:'([^']*)'|\"([^\"]*)\")", query
        )
    ]
    bare = re.sub(r"'[^']*'|\"[^\"]*\"", "''", query)
    aliases = set(re.findall(r"\b(?:as|into)\s+([A-Za-z_]\w*)", bare))
    fields = set()
    for match in re.finditer(r"(?<![@\w.])([A-Za-z_][\w.]*)(\s*\()?", bare):
        name, call = match.group(1), match.group(2)
        if not call and name not in KEYWORDS and name not in aliases:
            fields.add(name)
    return fields, comparisons


def flatten(line: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A JSON line's fields as Logs Insights names them (nested keys joined with dots)."""
    flat = {}
    for key, value in line.items():
        if isinstance(value, dict):
            flat.update(flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


@pytest.fixture(scope="module")
def json_lines(dev: Package) -> list[dict[str, Any]]:
    """Every JSON line the function writes for the fixtures, and for an event with new fields,
    run as the deployed function runs (its environment, LOG_FORMAT=json)."""
    events = [json.loads(p.read_text()) for p in sorted(EVENTS.glob("*.json"))]
    events.append(kinesis_event([encode(call_summary_with_three_new_fields())]))
    lines = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(app, "CONTAINER", app.Container())  # a new container
        for event in events:
            lines += [json.loads(x) for x in run_handler(event, function_env(dev), mp)]
    return [flatten(line) for line in lines if "_aws" not in line]


def saved_queries(pkg: Package) -> dict[str, dict[str, Any]]:
    return {
        logical_id: resource["Properties"]
        for logical_id, resource in pkg.resources.items()
        if resource["Type"] == "AWS::Logs::QueryDefinition"
    }


def test_saved_queries_are_scoped_to_the_function_log_group(pkg: Package) -> None:
    queries = saved_queries(pkg)
    names = {q["Name"].rsplit("/", 1)[-1] for q in queries.values()}
    assert names == {
        "rejections by reason and path",
        "calls with issues by queue and agent",
        "schema drift by field",
        "one invocation by request id",
    }
    for query in queries.values():
        assert query["Name"].startswith(f"{SERVICE}-{pkg.stage}/")
        assert query["LogGroupNames"] == [{"Ref": "ProcessEventsLogGroup"}]


def test_dashboard_log_widgets_run_the_saved_queries(pkg: Package) -> None:
    saved = {q["QueryString"] for q in saved_queries(pkg).values()}
    body = dashboard_body(pkg.template)
    widgets = [w["properties"] for w in body["widgets"] if w["type"] == "log"]
    assert widgets
    for props in widgets:
        source, query = props["query"].split(" | ", 1)
        assert source == "SOURCE '<Ref ProcessEventsLogGroup>'"
        assert query in saved, props["title"]


@pytest.mark.parametrize(
    "logical_id", ["RejectionsQuery", "CallIssuesQuery", "SchemaDriftQuery", "InvocationQuery"]
)
def test_saved_query_fields_are_in_the_function_lines(
    dev: Package, json_lines: list[dict[str, Any]], logical_id: str
) -> None:
    query = saved_queries(dev)[logical_id]["QueryString"]
    fields, comparisons = query_terms(query.replace(PLACEHOLDER_REQUEST_ID, REQUEST_ID))
    assert fields
    # The lines the query's filters keep (`a = 'x' or b = 'y'` on @-fields aside: all must hold).
    matching = [line for line in json_lines if all(line.get(f) == v for f, v in comparisons)]
    assert matching, f"no JSON line matches {comparisons}"
    keys = set().union(*(line.keys() for line in matching))
    assert fields <= keys, sorted(fields - keys)
    # An alias that is also a function or a field of the lines is ambiguous where it is used
    # again (`sort latest desc`): every alias is a name of its own.
    aliases = set(re.findall(r"\bas (\w+)", query))
    functions = set(re.findall(r"\b(\w+)\(", query))
    all_keys = set().union(*(line.keys() for line in json_lines))
    assert not aliases & (functions | all_keys | {"latest", "earliest"}), aliases


def test_query_terms_parser() -> None:
    fields, comparisons = query_terms(
        "filter detailType = 'X' and overallQuality = \"Issues detected\" "
        "| stats count(*) as n, avg(mos) as m, latest(message) as e by queue, error.path "
        "| filter requestId = 'r' or @requestId = 'r' | sort n desc"
    )
    assert fields == {
        "detailType",
        "overallQuality",
        "mos",
        "message",
        "queue",
        "error.path",
        "requestId",
    }
    assert comparisons == [
        ("detailType", "X"), ("overallQuality", "Issues detected"), ("requestId", "r")
    ]  # fmt: skip


def test_docs_list_every_alarm_and_query(dev: Package) -> None:
    text = (ROOT / "docs" / "monitoring.md").read_text()
    prefix = f"{SERVICE}-dev-"
    for resource in dev.resources.values():
        if resource["Type"] == "AWS::CloudWatch::Alarm":
            assert f"| `{resource['Properties']['AlarmName'].removeprefix(prefix)}` |" in text
    for query in saved_queries(dev).values():
        assert f"**{query['Name'].rsplit('/', 1)[-1]}**" in text
