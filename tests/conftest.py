from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from operata_lambda.validation import schemas
from tests.helpers import ROOT
from tests.localaws import DUMMY_CREDENTIALS, moto_server
from tests.packaging import dev, personal, pkg, prod  # noqa: F401 (session fixtures: `sls package` once per stage)

# In CI (CI=true) the property tests draw the same examples every run, so a run's verdict is
# the code's, not the draw's; elsewhere (make test, make unit, make fuzz) they explore anew.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

# Tests that share an expensive fixture run on one worker when the suite runs in parallel
# (`make test`: pytest -n auto --dist loadgroup), so that it is built once: the stages that
# `sls package` builds, and the stack deployed to the local endpoint.
SHARED_FIXTURE_GROUPS = {
    "dev": "packaged-stages",
    "prod": "packaged-stages",
    "personal": "packaged-stages",
    "pkg": "packaged-stages",
    "deployed": "deployed-stack",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not config.pluginmanager.hasplugin("xdist"):
        return
    for item in items:
        names = getattr(item, "fixturenames", ())
        group = next((g for name, g in SHARED_FIXTURE_GROUPS.items() if name in names), None)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True, scope="session")
def quarantine_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Rejected records of local runs go to a temporary directory, not the working tree."""
    path = tmp_path_factory.mktemp("quarantine")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUARANTINE_DIR", str(path))
        yield path


@pytest.fixture(autouse=True, scope="session")
def archive_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Archive rows of local runs (sls invoke local --stage local) go to a temporary directory."""
    path = tmp_path_factory.mktemp("archive")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ARCHIVE_DIR", str(path))
        yield path


@pytest.fixture(scope="session")
def aws_endpoint() -> Iterator[str]:
    """A moto server on loopback, with dummy credentials in the environment (no real AWS)."""
    saved = {k: os.environ.get(k) for k in [*DUMMY_CREDENTIALS, "AWS_ENDPOINT_URL"]}
    os.environ.update(DUMMY_CREDENTIALS)
    with moto_server() as url:
        os.environ["AWS_ENDPOINT_URL"] = url
        yield url
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def fresh_container(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """A new Lambda container: no drift reported yet, local settings, the project's schemas."""
    from operata_lambda import app, setup_check
    from operata_lambda.validation import schemas

    monkeypatch.setattr(app, "CONTAINER", app.Container())
    for name in ["QUARANTINE_BUCKET", "LOG_LEVEL", "REDACT_PII", "DEADLINE_MARGIN_MS", "STAGE"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(schemas.SCHEMA_DIR_ENV, raising=False)
    monkeypatch.setenv("LOG_FORMAT", "text")
    monkeypatch.setenv("QUARANTINE_DIR", str(tmp_path / "quarantine"))
    schemas.clear_cache()
    setup_check.forget()
    yield
    schemas.clear_cache()
    setup_check.forget()


@pytest.fixture
def schema_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A copy of the project's schemas that the function and the tools read (a schema update
    in a test changes only the copy)."""
    directory = tmp_path / "schemas"
    shutil.copytree(ROOT / "schemas", directory)
    monkeypatch.setenv("OPERATA_SCHEMA_DIR", str(directory))
    schemas.clear_cache()
    yield directory
    schemas.clear_cache()
