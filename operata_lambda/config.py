"""Settings read from the function's environment (serverless.yml sets them per stage).

Defaults here are those of a local run (`make demo`, tests): text logs, INFO. Redaction is the
exception: REDACT_PII left unset means on, unless STAGE is local (or unset), so a deployed
stage that loses the variable still masks PII. The README's "Configuration" lists every
variable with its value per stage.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40}
_LEVEL_ALIASES = {"WARN": "WARNING"}
LOCAL_STAGE = "local"
SCHEMA_DIR_ENV = "OPERATA_SCHEMA_DIR"


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    text = value.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected true or false, not {value!r}")


def _level(value: str | None) -> str:
    text = (value or "").strip().upper() or "INFO"
    text = _LEVEL_ALIASES.get(text, text)
    if text not in LEVELS:
        raise ValueError(f"LOG_LEVEL must be one of {', '.join(LEVELS)}, not {value!r}")
    return text


def _milliseconds(value: str | None, default: int) -> int:
    if value is None or not value.strip():
        return default
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise ValueError(f"DEADLINE_MARGIN_MS must be a whole number of ms, not {value!r}")
    return number


def key_prefix(text: str) -> str:
    """An S3 key prefix as a folder: `quarantine`, `/quarantine/` -> `quarantine/`; '' stays."""
    text = text.strip().strip("/")
    return f"{text}/" if text else ""


@dataclass(frozen=True)
class Settings:
    stage: str = LOCAL_STAGE
    log_format: str = "text"  # text | json
    log_level: str = "INFO"  # DEBUG | INFO | WARNING | ERROR
    redact_pii: bool = False
    quarantine_bucket: str = ""  # empty: rejected records are written under quarantine_dir
    quarantine_prefix: str = "quarantine/"
    quarantine_dir: str = ".quarantine"  # without a bucket: one file per rejected record here
    metrics_namespace: str = "Operata/EventProcessor"
    service_name: str = "operata-kinesis-processor"
    deadline_margin_ms: int = 12000  # > the worst case of one quarantine write
    schema_dir: str = ""  # '' : the schemas/ packaged with the function
    archive: bool = False  # one row per processed event (serverless.yml turns it on per stage)
    archive_stream: str = ""  # the Firehose delivery stream; empty: rows go under archive_dir
    archive_dir: str = ".archive"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        stage = env.get("STAGE", "").strip() or cls.stage
        fmt = env.get("LOG_FORMAT", cls.log_format).strip().lower() or cls.log_format
        if fmt not in {"text", "json"}:
            raise ValueError(f"LOG_FORMAT must be text or json, not {fmt!r}")
        try:
            redact = _flag(env.get("REDACT_PII"), default=stage != LOCAL_STAGE)
        except ValueError as exc:
            raise ValueError(f"REDACT_PII: {exc}") from None
        try:
            archive = _flag(env.get("ARCHIVE"), default=False)
        except ValueError as exc:
            raise ValueError(f"ARCHIVE: {exc}") from None
        return cls(
            stage=stage,
            log_format=fmt,
            log_level=_level(env.get("LOG_LEVEL")),
            redact_pii=redact,
            quarantine_bucket=env.get("QUARANTINE_BUCKET", "").strip(),
            quarantine_prefix=key_prefix(env.get("QUARANTINE_PREFIX", cls.quarantine_prefix)),
            quarantine_dir=env.get("QUARANTINE_DIR", "").strip() or cls.quarantine_dir,
            metrics_namespace=env.get("METRICS_NAMESPACE", "").strip() or cls.metrics_namespace,
            service_name=env.get("SERVICE_NAME", "").strip() or cls.service_name,
            deadline_margin_ms=_milliseconds(env.get("DEADLINE_MARGIN_MS"), cls.deadline_margin_ms),
            schema_dir=env.get(SCHEMA_DIR_ENV, "").strip(),
            archive=archive,
            archive_stream=env.get("ARCHIVE_STREAM", "").strip(),
            archive_dir=env.get("ARCHIVE_DIR", "").strip() or cls.archive_dir,
        )
