"""Sources: streamed in batches, every entry named by its line, bad input refused up front."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mailseg
from mailseg import jobs
from mailseg.jobs import sources
from mailseg.jobs.sources import Invalid, chunks
from mailseg.testing import Emulator
from tests.jobs.conftest import write_lines


async def collect(source: jobs.Source, size: int = 3, skip: int = 0) -> list[object]:
    return [
        (chunk.start, chunk.ids, None if chunk.error is None else chunk.error.parameter)
        async for chunk in chunks(source, None, skip=skip, size=size)
    ]


async def test_a_text_file_skips_blank_lines_and_names_a_bad_id_by_its_line(
    tmp_path: Path,
) -> None:
    path = write_lines(tmp_path / "ids.txt", ["a1", "", "  a2  ", "a 3", "a4", "a5"])
    source = jobs.source_from(path)
    assert isinstance(source, jobs.TextFile)
    found = await collect(source)
    assert found == [
        (0, ("a1", "a2", "a 3"), f"{path} line 4"),
        (3, ("a4", "a5"), None),
    ]
    # A resume skips the entries taken already (blank lines are not entries).
    assert await collect(source, skip=3) == [(3, ("a4", "a5"), None)]


async def test_a_csv_column_is_read_by_name_and_an_empty_cell_fails_its_chunk(
    tmp_path: Path,
) -> None:
    path = tmp_path / "crm.csv"
    path.write_text('\ufeffname,contact_id\n"Smith, J",c1\nLee,\nKim,c3\nDoe\n', encoding="utf-8")
    source = jobs.source_from(path, column="contact_id")
    found = await collect(source, size=2)
    assert found == [
        (0, ("c1", ""), f"{path} line 3 column contact_id"),
        (2, ("c3", ""), f"{path} line 5 column contact_id"),
    ]


async def test_a_json_lines_field_is_read_and_bad_records_are_named(tmp_path: Path) -> None:
    path = tmp_path / "people.jsonl"
    lines = [json.dumps({"id": "p1"}), "not json", json.dumps({"id": 7}), json.dumps({"x": 1})]
    write_lines(path, lines)
    source = jobs.source_from(path, field="id")
    assert await collect(source, size=1) == [
        (0, ("p1",), None),
        (1, ("",), f"{path} line 2 field id"),
        (2, ("",), f"{path} line 3 field id"),
        (3, ("",), f"{path} line 4 field id"),
    ]


async def test_standard_input_is_read_line_by_line() -> None:
    source = jobs.Stdin(io.BytesIO(b"s1\ns2\n\ns3\n"))
    assert await collect(source, size=2) == [(0, ("s1", "s2"), None), (2, ("s3",), None)]
    assert jobs.source_from("-").description == "standard input"


async def test_an_iterable_names_a_bad_entry_by_its_position() -> None:
    source = jobs.source_from(["x1", "", "x3", 4])
    assert await collect(source, size=2) == [
        (0, ("x1", ""), "member_ids[1]"),
        (2, ("x3", ""), "member_ids[3]"),
    ]

    async def stream():  # type: ignore[no-untyped-def]
        for i in range(5):
            yield f"y{i}"

    assert await collect(jobs.source_from(stream()), size=4, skip=1) == [
        (1, ("y1", "y2", "y3", "y4"), None)
    ]


async def test_segment_and_tag_members_are_read_page_by_page() -> None:
    async with Emulator("engagelab", contacts=250, seed=3) as emu, emu.client() as client:
        tag = await client.tags.create("jobs_src")
        wanted = [c.id for c in emu.contacts[:230]]
        await client.tags.add_members(tag.id, wanted)
        source = jobs.source_from(f"tag:{tag.id}")
        assert isinstance(source, jobs.TagMembers)
        got = [i async for c in chunks(source, client, skip=0, size=1000) for i in c.ids]
        assert sorted(got) == sorted(wanted)
        segment = await client.segments.create("all_of_them", mailseg.field("Age") >= 0)
        members = jobs.source_from(f"segment:{segment.id}")
        got = [i async for c in chunks(members, client, skip=0, size=1000) for i in c.ids]
        assert sorted(got) == sorted(emu.member_ids(segment.id))
        assert len(got) > 100  # more than one page


def test_bad_source_arguments_are_named(tmp_path: Path) -> None:
    with pytest.raises(mailseg.ValidationError) as caught:
        jobs.source_from(tmp_path / "a.csv")
    assert caught.value.parameter == "column"
    with pytest.raises(mailseg.ValidationError) as caught:
        jobs.source_from(tmp_path / "a.jsonl")
    assert caught.value.parameter == "field"
    with pytest.raises(mailseg.ValidationError) as caught:
        jobs.source_from("segment:")
    assert caught.value.parameter == "source"


def test_an_unreadable_file_or_a_missing_column_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(jobs.SourceError, match=r"missing\.txt: cannot be read: No such file"):
        jobs.source_from(tmp_path / "missing.txt").check()
    with pytest.raises(jobs.SourceError, match="is a directory"):
        jobs.source_from(tmp_path).check()
    path = tmp_path / "crm.csv"
    path.write_text("name,email\nA,a@x\n", encoding="utf-8")
    with pytest.raises(jobs.SourceError) as caught:
        jobs.source_from(path, column="contact_id").check()
    assert "no column 'contact_id' (its header: name, email)" in str(caught.value)
    assert caught.value.source == f"CSV file {path}"


def test_the_first_column_of_a_csv_is_read_from_its_header(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_text("\ufeff contact_id ,name\nc1,Ann\n", encoding="utf-8")
    first = jobs.CsvColumn.first(path)
    assert first.column == "contact_id"
    assert first.spec() == {"kind": "csv", "path": str(path.resolve()), "column": "contact_id"}
    path.write_text(",name\nc1,Ann\n")
    with pytest.raises(jobs.SourceError, match="its first column has no name"):
        jobs.CsvColumn.first(path)
    path.write_text("")
    with pytest.raises(jobs.SourceError, match="is empty: a header row"):
        jobs.CsvColumn.first(path)
    with pytest.raises(jobs.SourceError, match="cannot be read: No such file"):
        jobs.CsvColumn.first(tmp_path / "absent.csv")


def _lines_one_by_one(data: bytes, skip: int) -> list[tuple[int, object]]:
    """What a text source is: each line trimmed, blank ones dropped, bad UTF-8 named."""
    entries: list[tuple[int, object]] = []
    for number, raw in enumerate(io.BytesIO(data), start=1):
        raw = raw.strip()
        if raw:
            try:
                entries.append((number, raw.decode()))
            except UnicodeDecodeError:
                entries.append((number, Invalid("is not valid UTF-8")))
    return entries[skip:]


_LINES = [b"a1", b"id-2", b"  padded ", b"", b" ", b"\t", b"x\r", b"\x0bv\x0c"]
_LINES += [b"caf\xc3\xa9", b"\xff\xfe", b"\xc2\xa0nbsp", b"a b", b"\r"]
_LINE = st.lists(st.sampled_from(_LINES), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    lines=_LINE,
    ending=st.sampled_from([b"\n", b"\r\n"]),
    last_break=st.booleans(),
    block=st.integers(min_value=1, max_value=64),
    skip=st.integers(min_value=0, max_value=10),
)
def test_a_text_stream_read_by_blocks_is_the_same_as_line_by_line(
    lines: list[bytes], ending: bytes, last_break: bool, block: int, skip: int
) -> None:
    data = ending.join(lines) + (ending if last_break and lines else b"")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sources, "_BLOCK", block)  # lines cut across blocks, at every place
        batches = list(sources._text_batches(io.BytesIO(data), skip))
    assert all(batch.values and batch.lines is not None for batch in batches)
    found = [
        pair for batch in batches for pair in zip(batch.lines or (), batch.values, strict=True)
    ]
    assert found == _lines_one_by_one(data, skip)
