"""Setup errors: what must hold before any record is looked at, said in one line.

A Python older than the runtime's, a missing dependency, an unreadable schema file or an event
that is not a Kinesis event is not something a record did: the invocation fails, naming what is
wrong and how to fix it, and no record is rejected or quarantined. The Python version and the
dependencies are checked when this module is imported (handler.py imports it first, so that
they are named before other imports fail on them), with import-spec lookups, not imports, so
the cold start does not grow; the schema files and the event by check(event), at every
invocation, from what the container remembers after the first one. The schema files' check at
cold start is the cheap one (validation/shapes.py); `python -m operata_lambda.setup_check` runs
the full one (validation/schema_check.py), as the Serverless plugin does before packaging,
deploying or invoking locally.

This module runs on any Python 3: no syntax or library newer than 3.7 here.
"""

from __future__ import annotations

import importlib.util
import sys
from typing import Any, NoReturn

RUNTIME = (3, 12)  # provider.runtime in serverless.yml (tests/test_setup_check.py keeps them equal)

# Every third-party module the function may import, at start or lazily at first use:
# requirements.txt (bundled) and what the Lambda runtime provides (boto3, for the quarantine).
DEPENDENCIES = ("jsonschema", "referencing", "dataclasses_json", "orjson", "boto3", "botocore")

FIX = "activate the virtualenv (. .venv/bin/activate) or run make demo"
KINESIS_EVENT_FIX = (
    "wrap EventBridge event files with python -m operata kinesis-event FILE... -o batch.json "
    "and pass that file to -p"
)


class SetupError(Exception):
    """The function cannot run here as set up: one line, what is wrong and how to fix it."""


def _fail(line: str) -> NoReturn:
    _install_one_line_hook()
    raise SetupError(line)


def _install_one_line_hook() -> None:
    """An uncaught SetupError prints as its one line (sls invoke local, python -c), without the
    traceback; any other exception prints as before. The Lambda runtime reports a handler's
    exception itself (errorType SetupError, errorMessage the line), so nothing changes there."""
    previous = sys.excepthook
    if getattr(previous, "_one_line_setup_errors", False):
        return

    def hook(kind: Any, value: Any, traceback: Any) -> None:
        if isinstance(value, SetupError):
            sys.stderr.write(f"setup error: {value}\n")
            sys.stderr.flush()
            return
        previous(kind, value, traceback)

    hook._one_line_setup_errors = True  # type: ignore[attr-defined]
    sys.excepthook = hook


def python_problem(version: Any = None, executable: str | None = None) -> str | None:
    version = tuple(version or sys.version_info)[:3]
    if tuple(version[:2]) >= RUNTIME:
        return None
    wanted = f"python{RUNTIME[0]}.{RUNTIME[1]}"
    found = ".".join(str(n) for n in version)
    return (
        f"Python {found} at {executable or sys.executable} is older than the function's "
        f"runtime ({wanted}): {FIX}"
    )


def missing_dependencies(names: tuple[str, ...] = DEPENDENCIES) -> list[str]:
    """The modules this interpreter cannot find (find_spec: nothing is imported)."""
    missing = []
    for name in names:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def dependency_problem(names: tuple[str, ...] = DEPENDENCIES) -> str | None:
    missing = missing_dependencies(names)
    if not missing:
        return None
    verb = "is" if len(missing) == 1 else "are"
    return f"{', '.join(missing)} {verb} not installed for {sys.executable}: {FIX}"


# --- schema files --------------------------------------------------------------------------


def schema_problem(directory_setting: str = "") -> str | None:
    """Every schema file is readable JSON with the shape of a schema (validation/shapes.py:
    keyword values, patterns compiled, references inside the file; no jsonschema, so the cold
    start does not grow). They are loaded into the function's schema set as they are read
    here, so no file is read twice."""
    from operata_lambda.validation.paths import shown
    from operata_lambda.validation.schemas import ENVELOPE, SchemaFileError, schema_set
    from operata_lambda.validation.shapes import ShapeProblem, check_shape

    loaded_set = schema_set(directory_setting)
    directory = loaded_set.directory
    if not directory.is_dir():
        return f"no schemas directory at {directory}: the function's package lacks schemas/"
    files = sorted(directory.glob("*.json"))
    if not any(p.stem == ENVELOPE for p in files):
        return f"no {ENVELOPE}.json in {directory}"
    for path in files:
        try:
            loaded = (
                loaded_set.envelope()
                if path.stem == ENVELOPE
                else loaded_set.for_detail_type(path.stem)
            )
            if loaded is not None:
                check_shape(loaded.document)
        except SchemaFileError as exc:
            return f"{shown(path)}: {exc.problem}; fix the file"
        except ShapeProblem as exc:
            return (
                f"{shown(path)}: not a valid JSON Schema at {exc}; fix the file "
                "(python -m operata schemas check)"
            )
    return None


def full_schema_problem(directory_setting: str = "") -> str | None:
    """schema_problem, then the meta-schema and every $ref (jsonschema: not at a cold start;
    `sls package`, `sls deploy` and `sls invoke local` run it through main())."""
    problem = schema_problem(directory_setting)
    if problem:
        return problem
    from operata_lambda.validation.schema_check import directory_problems
    from operata_lambda.validation.schemas import schema_set

    return next(directory_problems(schema_set(directory_setting).directory), None)


# --- the event -----------------------------------------------------------------------------


def _is_eventbridge_event(value: Any) -> bool:
    return isinstance(value, dict) and "detail-type" in value and "detail" in value


def event_problem(event: Any) -> str | None:
    """An EventBridge event (or a list of them) given where a Kinesis event belongs (`-p`).

    Other shapes without a Records list are processed as an empty batch, as before: the event
    source mapping never sends them, and the function must not raise on them."""
    if isinstance(event, dict) and isinstance(event.get("Records"), list):
        return None
    if _is_eventbridge_event(event):
        shape = "one EventBridge event"
    elif isinstance(event, list) and any(_is_eventbridge_event(item) for item in event):
        shape = "a list of EventBridge events"
    else:
        return None
    return f"the event is {shape}, not a Lambda Kinesis event: {KINESIS_EVENT_FIX}"


# --- the check -----------------------------------------------------------------------------

_ready: set[str] = set()  # schema directories checked in this container


def check(event: Any, schema_dir: str = "") -> None:
    """Raise SetupError with one line when this invocation cannot be run as set up."""
    if schema_dir not in _ready:
        problem = schema_problem(schema_dir)
        if problem:
            _fail(problem)
        _ready.add(schema_dir)
    problem = event_problem(event)
    if problem:
        _fail(problem)


def settings() -> Any:
    """The function's Settings, or SetupError naming the variable that is wrong."""
    from operata_lambda.config import Settings

    try:
        return Settings.from_env()
    except ValueError as exc:
        _fail(f"{exc}: fix the stage parameter (serverless.yml params) or the variable")


def forget() -> None:
    """Check again at the next invocation (tests: a new container)."""
    _ready.clear()


# When handler.py imports this module, before its other imports (some import a dependency at
# once, e.g. orjson): an old interpreter or a missing dependency is named instead of an
# ImportError's traceback. Both are facts of the container, checked once.
_problem = python_problem() or dependency_problem()
if _problem:
    _fail(_problem)


def main() -> None:
    """`python -m operata_lambda.setup_check`: the full check of the schemas the function would
    read (OPERATA_SCHEMA_DIR, else the packaged schemas/), as the Serverless plugin runs it
    before packaging, deploying or invoking locally. Silent when all is well; otherwise one
    `setup error:` line and exit status 1."""
    import os

    from operata_lambda.config import SCHEMA_DIR_ENV

    problem = full_schema_problem(os.environ.get(SCHEMA_DIR_ENV, "").strip())
    if problem:
        sys.stderr.write(f"setup error: {problem}\n")
        sys.exit(1)


if __name__ == "__main__":
    main()
