"""What the local tools read from the project's own configuration, instead of copying it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
SERVERLESS_YML = ROOT / "serverless.yml"


def stage_parameter(name: str, stage: str = "default") -> Any:
    """A stage parameter of serverless.yml: `params.<stage>.<name>`, else its default."""
    params = yaml.safe_load(SERVERLESS_YML.read_text(encoding="utf-8"))["params"]
    return params.get(stage, {}).get(name, params["default"][name])


def function_timeout_s(stage: str = "default") -> float:
    """The function's timeout in seconds, as deployed for `stage`."""
    return float(stage_parameter("timeout", stage))
