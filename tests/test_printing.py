"""What a newcomer sees: values that print as words, and help() that lists the operations."""

from __future__ import annotations

import inspect
import json
import pydoc

import pytest

import mailseg
from mailseg._segments import Segments
from mailseg._tags import Tags


@pytest.mark.parametrize("status", list(mailseg.SegmentStatus))
def test_segment_status_prints_its_name_and_stays_an_int(status: mailseg.SegmentStatus) -> None:
    assert str(status) == status.name
    assert f"{status}" == status.name
    assert f"{status:>10}" == f"{status.name:>10}"
    assert repr(status) == f"<SegmentStatus.{status.name}: {int(status)}>"
    assert status == status.value
    assert json.dumps({"status": status}) == f'{{"status": {status.value}}}'


def test_segment_status_values_are_the_providers() -> None:
    assert [int(s) for s in mailseg.SegmentStatus] == [-1, 1, 2]
    assert str(mailseg.SegmentStatus(2)) == "COMPLETED"
    assert str(mailseg.SegmentType.BY_CAMPAIGN) == "BY_CAMPAIGN"
    assert int(mailseg.SegmentType.BY_CAMPAIGN) == 1


@pytest.mark.parametrize(("resource", "cls"), [("segments", Segments), ("tags", Tags)])
def test_help_of_the_package_lists_every_operation(resource: str, cls: type) -> None:
    text = pydoc.render_doc(mailseg, renderer=pydoc.plaintext)
    section = text.split(f"on ``client.{resource}``:", 1)[1].split("\n\n    **bulk")[0]
    operations = [n for n, _ in inspect.getmembers(cls, inspect.isfunction) if n[0] != "_"]
    assert operations
    for name in operations:
        line = next((ln for ln in section.splitlines() if ln.strip().startswith(f"{name}(")), None)
        assert line is not None, f"help(mailseg) does not list {resource}.{name}"
        for parameter in list(inspect.signature(getattr(cls, name)).parameters)[1:]:
            if parameter != "bulk":
                assert parameter in section, f"{resource}.{name}: {parameter} is not shown"
