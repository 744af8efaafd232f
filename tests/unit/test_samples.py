"""Sample files that cannot be read are named, never raised: `schemas diff` exits 2 on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from operata.cli import main
from operata.samples import read_samples


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("nested.json", "[" * 100_000),  # not JSON at all: too deep for the parser
        ("nested.log", 'DEBUG envelope {"message": "envelope", "envelope": ' + "[" * 100_000),
        ("inside.json", '{"detail-type": "x", "source": "y", "detail": ' + "[" * 100_000),
        # shallow enough for the parser, deep enough to recurse on when looking for events
        ("lists.json", "[" * 990 + "]" * 990),
    ],
)
def test_a_sample_nested_too_deeply_is_named_as_unreadable(
    tmp_path: Path, name: str, text: str
) -> None:
    path = tmp_path / name
    path.write_text(text)
    found = read_samples([path])
    assert found.events == []
    (problem,) = found.unreadable
    assert problem.startswith(f"{path}:")
    if name.endswith(".json"):
        assert "nested too deeply" in problem


def test_schemas_diff_exits_2_on_a_deeply_nested_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "nested.json"
    path.write_text("[" * 100_000)
    assert main(["schemas", "diff", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"unreadable input: {path}" in err
    assert "Traceback" not in err
