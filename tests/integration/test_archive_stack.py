"""The archive's part of the packaged template (moto's CloudFormation creates no Firehose, Glue
or Athena resource, so what it would build is checked here): Parquet with the table's schema,
partitions the table can see through projection, the workgroup's limit, the named queries equal
to queries/, least-privilege IAM, and a bucket that outlives the stack."""

from __future__ import annotations

import json
import re
from typing import Any

from operata.queries import QUERIES_DIR, all_queries
from operata_lambda.archive.rows import COLUMNS, PARTITIONS
from operata_lambda.events.registry import EVENT_TYPES, OTHER_TYPE
from tests.packaging import SERVICE, Package

ARCHIVE_TYPES = {
    "AWS::KinesisFirehose::DeliveryStream",
    "AWS::Glue::Database",
    "AWS::Glue::Table",
    "AWS::Athena::WorkGroup",
    "AWS::Athena::NamedQuery",
}


def of_type(pkg: Package, kind: str) -> dict[str, Any]:
    return {k: r for k, r in pkg.resources.items() if r["Type"] == kind}


def only(pkg: Package, kind: str) -> dict[str, Any]:
    (props,) = [r["Properties"] for r in of_type(pkg, kind).values()]
    return props  # type: ignore[no-any-return]


def s3_destination(pkg: Package) -> dict[str, Any]:
    return only(pkg, "AWS::KinesisFirehose::DeliveryStream")["ExtendedS3DestinationConfiguration"]  # type: ignore[no-any-return]


def test_the_table_has_the_rows_columns_and_partitions(pkg: Package) -> None:
    table = only(pkg, "AWS::Glue::Table")["TableInput"]
    columns = {c["Name"]: c["Type"] for c in table["StorageDescriptor"]["Columns"]}
    assert list(columns.items()) == list(COLUMNS.items())
    assert {p["Name"]: p["Type"] for p in table["PartitionKeys"]} == PARTITIONS
    assert "Parquet" in table["StorageDescriptor"]["SerdeInfo"]["SerializationLibrary"]


def test_partition_projection_sees_every_partition_the_rows_name(pkg: Package) -> None:
    table = only(pkg, "AWS::Glue::Table")["TableInput"]
    parameters = table["Parameters"]
    assert parameters["projection.enabled"] == "true"
    assert parameters["projection.detail_type.type"] == "enum"
    projected = parameters["projection.detail_type.values"].split(",")
    assert projected == [*sorted(EVENT_TYPES), OTHER_TYPE]
    assert parameters["projection.event_date.type"] == "date"
    assert parameters["projection.event_date.format"] == "yyyy-MM-dd"  # as rows.py writes it
    assert parameters["projection.event_date.range"].endswith(",NOW")
    template = json.dumps(parameters["storage.location.template"])
    layout = "/".join(f"{key}=${{!{key}}}" for key in PARTITIONS)
    assert layout in template


def test_firehose_partitions_by_the_rows_own_fields(pkg: Package) -> None:
    destination = s3_destination(pkg)
    assert destination["DynamicPartitioningConfiguration"]["Enabled"] is True
    layout = "/".join(f"{key}=!{{partitionKeyFromQuery:{key}}}" for key in PARTITIONS)
    assert destination["Prefix"].endswith(f"{layout}/")
    assert "timestamp" not in destination["Prefix"]  # Firehose's arrival time: not the event's
    (processor,) = destination["ProcessingConfiguration"]["Processors"]
    parameters = {p["ParameterName"]: p["ParameterValue"] for p in processor["Parameters"]}
    extracted = re.findall(r"(\w+): \.(\w+)", parameters["MetadataExtractionQuery"])
    assert extracted == [(key, key) for key in PARTITIONS]
    assert destination["ErrorOutputPrefix"] and not destination["ErrorOutputPrefix"].startswith(
        destination["Prefix"].split("/")[0] + "/"
    )


def test_firehose_converts_to_parquet_with_the_tables_schema(pkg: Package) -> None:
    stream = only(pkg, "AWS::KinesisFirehose::DeliveryStream")
    assert stream["DeliveryStreamType"] == "DirectPut"
    assert stream["DeliveryStreamName"] == f"{SERVICE}-{pkg.stage}-archive"
    conversion = s3_destination(pkg)["DataFormatConversionConfiguration"]
    assert conversion["Enabled"] is True
    assert "OpenXJsonSerDe" in conversion["InputFormatConfiguration"]["Deserializer"]
    assert "ParquetSerDe" in conversion["OutputFormatConfiguration"]["Serializer"]
    schema = conversion["SchemaConfiguration"]
    table = only(pkg, "AWS::Glue::Table")
    assert schema["DatabaseName"] == table["DatabaseName"]
    assert schema["TableName"] == table["TableInput"]["Name"]
    assert (
        s3_destination(pkg)["BufferingHints"]["IntervalInSeconds"]
        == pkg.params["archiveBufferSeconds"]
    )


def test_the_workgroup_limits_each_query_and_encrypts_results(pkg: Package) -> None:
    workgroup = only(pkg, "AWS::Athena::WorkGroup")
    config = workgroup["WorkGroupConfiguration"]
    assert config["BytesScannedCutoffPerQuery"] == pkg.params["archiveScanLimitBytes"]
    assert config["EnforceWorkGroupConfiguration"] is True
    results = config["ResultConfiguration"]
    assert results["EncryptionConfiguration"]["EncryptionOption"] == "SSE_S3"
    assert "ArchiveBucket" in json.dumps(results["OutputLocation"])


def test_the_named_queries_are_the_files_of_queries(pkg: Package) -> None:
    named = {
        r["Properties"]["Name"]: r["Properties"]
        for r in of_type(pkg, "AWS::Athena::NamedQuery").values()
    }
    files = all_queries()
    assert set(named) == set(files)
    database = only(pkg, "AWS::Glue::Table")["DatabaseName"]
    for name, props in named.items():
        assert props["QueryString"] == (QUERIES_DIR / f"{name}.sql").read_text()
        assert props["Database"] == database
        assert props["WorkGroup"] == {"Ref": "ArchiveWorkgroup"}


def test_the_bucket_is_private_encrypted_expiring_and_kept(pkg: Package) -> None:
    bucket = pkg.resources["ArchiveBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    props = bucket["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    rule = props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    expiry = {r["Id"]: r["ExpirationInDays"] for r in props["LifecycleConfiguration"]["Rules"]}
    assert expiry["expire-rows"] == pkg.params["archiveRetentionDays"]


def _statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]


def test_the_delivery_role_writes_the_archive_prefixes_and_reads_the_table_only(
    pkg: Package,
) -> None:
    role = pkg.props("ArchiveDeliveryRole")
    trust = role["AssumeRolePolicyDocument"]["Statement"]
    assert [s["Principal"] for s in trust] == [{"Service": "firehose.amazonaws.com"}]
    destination = s3_destination(pkg)
    prefixes = {destination["Prefix"].split("/")[0], destination["ErrorOutputPrefix"].split("/")[0]}
    for statement in _statements(role):
        actions = (
            statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        )
        resources = json.dumps(statement["Resource"])
        assert "*" not in "".join(actions)
        service = {a.split(":")[0] for a in actions}
        if actions == ["s3:PutObject", "s3:AbortMultipartUpload"]:
            written = set(re.findall(r"Arn}/([\w-]+)/\*", resources))
            assert written == prefixes
        elif service == {"s3"}:
            assert not {a for a in actions if "Put" in a or "Delete" in a}
        elif service == {"glue"}:
            assert all(a.startswith("glue:Get") for a in actions)
            assert "table/" in resources and "events" in resources
        else:
            assert actions == ["logs:PutLogEvents"], actions


def test_no_getatt_to_what_moto_does_not_create(pkg: Package) -> None:
    """moto's CloudFormation creates no Firehose, Glue or Athena resource: a Fn::GetAtt to one
    fails the deploy, so their ARNs are built with Fn::Sub."""
    unbuilt = {k for k, r in pkg.resources.items() if r["Type"] in ARCHIVE_TYPES}
    text = json.dumps(pkg.template)
    for logical_id in unbuilt:
        assert f'"Fn::GetAtt": ["{logical_id}"' not in text
        assert f"${{{logical_id}." not in text


def test_every_archive_resource_follows_the_archive_parameter(pkg: Package) -> None:
    archive = {
        k for k, r in pkg.resources.items() if r["Type"] in ARCHIVE_TYPES or k.startswith("Archive")
    }
    assert archive and all(pkg.created(k) for k in archive)
    assert pkg.template["Parameters"]["Archive"]["Default"] == pkg.params["archive"]
    off = Package(pkg.stage, pkg.params, json.loads(json.dumps(pkg.template)), pkg.zip_path)
    off.template["Parameters"]["Archive"]["Default"] = "false"
    assert not [k for k in archive if off.created(k)]
    outputs = [k for k in pkg.template["Outputs"] if k.startswith("Archive")]
    assert outputs and all(pkg.template["Outputs"][k]["Condition"] == "Archive" for k in outputs)
