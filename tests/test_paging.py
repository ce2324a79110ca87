"""Listings are walked lazily, one page in memory at a time, and end where they should."""

from __future__ import annotations

import pytest

import mailseg
from tests.conftest import Wire


def members_page(start: int, count: int, total: int) -> dict[str, object]:
    return {"result": [{"id": f"m{i}"} for i in range(start, start + count)], "total": total}


async def test_iterate_members_fetches_a_page_only_when_the_last_is_used_up(wire: Wire) -> None:
    for start in range(0, 250, 100):
        wire.reply(200, members_page(start, min(100, 250 - start), 250))
    async with wire.client("engagelab") as client:
        members = client.segments.iterate_members("s1", page_size=100)
        first = await anext(members)
        assert first.id == "m0"
        assert len(wire.requests) == 1
        rest = [m.id async for m in members]
    assert rest == [f"m{i}" for i in range(1, 250)]
    assert [r.query for r in wire.requests] == [
        (("offset", "0"), ("limit", "100")),
        (("offset", "100"), ("limit", "100")),
        (("offset", "200"), ("limit", "100")),
    ]


async def test_iteration_stops_at_total_without_asking_for_an_empty_page(wire: Wire) -> None:
    wire.reply(
        200,
        {
            "list": [{"segmentId": f"s{i}", "segmentName": "n", "type": 0} for i in range(2)],
            "total": 2,
        },
    )
    async with wire.client("sendcloud") as client:
        names = [s.id async for s in client.segments.iterate(page_size=2)]
    assert names == ["s0", "s1"]
    assert len(wire.requests) == 1


@pytest.mark.parametrize("total", [None, 10_000])
async def test_a_short_page_ends_the_walk_whatever_total_says(
    wire: Wire, total: int | None
) -> None:
    wire.reply(200, {"result": [{"tag_id": "t1", "tag_name": "a"}], "total": total, "count": 1})
    async with wire.client("engagelab") as client:
        tags = [t async for t in client.tags.iterate(page_size=50)]
    assert tags == [mailseg.Tag(id="t1", name="a")]
    assert len(wire.requests) == 1


async def test_a_page_indexes_like_its_items_and_slices_to_a_tuple(wire: Wire) -> None:
    wire.reply(200, members_page(0, 4, 9))
    async with wire.client("engagelab") as client:
        page = await client.segments.members("s1", limit=4)
    assert page[0].id == "m0"
    assert page[-1].id == "m3"
    # A slice is items, not a Page: total/offset/limit describe the request.
    assert [m.id for m in page[1:3]] == ["m1", "m2"]
    assert isinstance(page[1:3], tuple)
    assert page[::2] == (page[0], page[2])
    assert page[10:] == ()
    with pytest.raises(IndexError):
        page[4]
