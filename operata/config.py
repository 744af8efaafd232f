"""Settings read from the function's environment (serverless.yml sets them per stage)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    stage: str = "local"
    log_format: str = "text"  # text | json
    log_level: str = "INFO"
    redact_pii: bool = False
    quarantine_bucket: str = ""  # empty: rejected records are written to the log instead
    quarantine_prefix: str = "quarantine/"
    metrics_namespace: str = "Operata/EventProcessor"
    service_name: str = "operata-event-processor"
    deadline_margin_ms: int = 3000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        fmt = env.get("LOG_FORMAT", cls.log_format).strip().lower()
        if fmt not in {"text", "json"}:
            raise ValueError(f"LOG_FORMAT must be text or json, not {fmt!r}")
        prefix = env.get("QUARANTINE_PREFIX", cls.quarantine_prefix).strip("/")
        return cls(
            stage=env.get("STAGE", cls.stage),
            log_format=fmt,
            log_level=env.get("LOG_LEVEL", cls.log_level).strip().upper() or "INFO",
            redact_pii=_flag(env.get("REDACT_PII"), cls.redact_pii),
            quarantine_bucket=env.get("QUARANTINE_BUCKET", "").strip(),
            quarantine_prefix=f"{prefix}/" if prefix else "",
            metrics_namespace=env.get("METRICS_NAMESPACE", cls.metrics_namespace),
            service_name=env.get("SERVICE_NAME", cls.service_name),
            deadline_margin_ms=int(env.get("DEADLINE_MARGIN_MS", cls.deadline_margin_ms)),
        )
