"""Every reason code a record can get is a member of Reason, and the user's pages name each."""

from __future__ import annotations

import pytest

from operata_lambda.pipeline.outcomes import Reason
from tests.helpers import ROOT


@pytest.mark.parametrize("page", ["README.md", "docs/records.md"])
def test_the_outcomes_tables_name_every_reason(page: str) -> None:
    text = (ROOT / page).read_text()
    assert [r.value for r in Reason if f"`{r.value}`" not in text] == []


def test_a_sink_unavailable_reason_is_the_member_when_there_is_one() -> None:
    unavailable = [r for r in Reason if r.value.endswith("_unavailable")]
    assert unavailable
    for reason in unavailable:
        sink = reason.value.removesuffix("_unavailable")
        assert Reason.unavailable(sink) is reason
    assert Reason.unavailable("elsewhere") == "elsewhere_unavailable"


def test_reasons_read_as_their_codes() -> None:
    for reason in Reason:
        assert str(reason) == reason.value and f"{reason}" == reason.value
