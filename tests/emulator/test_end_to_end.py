"""The SDK against the emulator, for both providers: every operation, over real HTTP.

The emulator checks what the SDK sends (paths, verbs, auth, spelling, rules) and answers
as the provider's pages do; these tests check that the two agree, that segment
membership read through the SDK matches an independent evaluation, and that the SDK
recovers from the faults the emulator injects. Backoff sleeps are skipped (the transport's
``_sleep`` hook), never waited out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

import mailseg
from mailseg import all_of, any_of, campaign, field, tag
from mailseg.testing import Emulator, FaultKind, Faults
from tests.emulator.emulator_reference import select_ids

PROVIDERS = ("sendcloud", "engagelab")


@pytest.fixture(params=PROVIDERS)
async def emu(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    marker = request.node.get_closest_marker("emu")
    kwargs: dict[str, Any] = {"contacts": 600, "seed": 3, "processing_polls": 0}
    if marker is not None:
        kwargs.update(marker.kwargs)
    async with Emulator(request.param, **kwargs) as emulator:
        yield emulator


@pytest.fixture
async def client(emu: Emulator) -> AsyncIterator[mailseg.Client]:
    async with emu.client() as sdk:
        yield sdk


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The transport's backoff delays, recorded instead of waited."""
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr("mailseg._transport._sleep", record)
    return delays


def _reference(emu: Emulator, relation: str, items: list[dict[str, Any]]) -> list[str]:
    names = {tag_id: t.name for tag_id, t in emu.tags.items()}
    return select_ids(emu.contacts, relation, items, names)


# -- segments --------------------------------------------------------------------------------


async def test_segment_lifecycle(emu: Emulator, client: mailseg.Client) -> None:
    condition = all_of(field("Age") >= 30, field("City") == "武汉")
    created = await client.segments.create("adults_wuhan", condition)
    assert created.id in emu.segments
    assert created.name == "adults_wuhan"

    got = await client.segments.get(created.id)
    expected = _reference(
        emu,
        "and",
        [
            {"field": "Age", "op": ">=", "value": "30"},
            {"field": "City", "op": "==", "value": "武汉"},
        ],
    )
    assert got.status is mailseg.SegmentStatus.COMPLETED
    assert got.member_total == len(expected) > 0
    assert got.condition == condition

    progress = await client.segments.progress(created.id)
    assert (progress.percent, progress.complete) == (100, True)

    updated = await client.segments.update(created.id, condition=tag("vip"), name="vips")
    assert updated.name == "vips"
    assert emu.segments[created.id].name == "vips"

    page = await client.segments.list(name="vip", limit=5)
    assert page.total == 1
    assert [s.id for s in page.items] == [created.id]

    await client.segments.delete(created.id)
    assert created.id not in emu.segments
    with pytest.raises(mailseg.NotFoundError):
        await client.segments.get(created.id)
    with pytest.raises(mailseg.NotFoundError):
        await client.segments.delete(created.id)


@pytest.mark.parametrize(
    ("condition", "relation", "items"),
    [
        (field("Age") >= 30, "and", [{"field": "Age", "op": ">=", "value": "30"}]),
        (
            any_of(field("Email").contains("tw"), tag("教育")),
            "or",
            [
                {"field": "Email", "op": "contain", "value": "tw"},
                {"field": "tag", "op": "==", "value": "教育"},
            ],
        ),
        (
            all_of(field("Gender") != "男", field("Birthday") < "06/01"),
            "and",
            [
                {"field": "Gender", "op": "!=", "value": "男"},
                {"field": "Birthday", "op": "<", "value": "06/01"},
            ],
        ),
        (
            all_of(campaign(2).opened(), campaign(3).not_clicked()),
            "and",
            [
                {"field": "campaign", "op": "==", "value": "open", "campaign": 2},
                {"field": "campaign", "op": "==", "value": "unclick", "campaign": 3},
            ],
        ),
    ],
    ids=["age", "email-or-tag", "gender-and-birthday", "campaigns"],
)
async def test_membership_matches_an_independent_evaluation(
    emu: Emulator,
    client: mailseg.Client,
    condition: Any,
    relation: str,
    items: list[dict[str, Any]],
) -> None:
    segment = await client.segments.create("evaluated", condition)
    expected = _reference(emu, relation, items)
    # Pages of 23: many pages, the last one partial.
    members = [m.id async for m in client.segments.iterate_members(segment.id, page_size=23)]
    assert members == expected
    first = await client.segments.members(segment.id, offset=0, limit=23)
    assert first.total == len(expected)
    second = await client.segments.members(segment.id, offset=23, limit=23)
    assert [m.id for m in first.items + second.items] == expected[:46]


async def test_members_filter(emu: Emulator, client: mailseg.Client) -> None:
    segment = await client.segments.create("age", field("Age") >= 25)
    narrowed = all_of(field("Gender") == "女", field("City").does_not_contain("京"))
    got = [
        m.id
        async for m in client.segments.iterate_members(segment.id, condition=narrowed, page_size=10)
    ]
    within = set(_reference(emu, "and", [{"field": "Age", "op": ">=", "value": "25"}]))
    expected = [
        i
        for i in _reference(
            emu,
            "and",
            [
                {"field": "Gender", "op": "==", "value": "女"},
                {"field": "City", "op": "does not contain", "value": "京"},
            ],
        )
        if i in within
    ]
    assert got == expected
    assert 0 < len(got) < len(within)


async def test_member_details(emu: Emulator, client: mailseg.Client) -> None:
    segment = await client.segments.create("all_vip", tag("vip"))
    page = await client.segments.members(segment.id, limit=5)
    for member in page.items:
        contact = emu.contact(member.id)
        assert member.email == contact.email
        assert dict(member.fields or {}) == contact.fields
        assert set(member.tag_names or ()) == {emu.tags[t].name for t in contact.tag_ids}
        assert "vip" in (member.tag_names or ())


async def test_remove_members(emu: Emulator, client: mailseg.Client) -> None:
    segment = await client.segments.create("age", field("Age") >= 20)
    before = [m.id async for m in client.segments.iterate_members(segment.id)]
    result = await client.segments.remove_members(segment.id, before[:1500:2])
    assert result.ok
    assert result.succeeded == len(before[:1500:2])
    after = [m.id async for m in client.segments.iterate_members(segment.id)]
    assert after == [i for i in before if i not in set(before[:1500:2])]


@pytest.mark.emu(processing_polls=3)
async def test_wait_until_complete(emu: Emulator, client: mailseg.Client) -> None:
    segment = await client.segments.create("slow", field("Age") < 40)
    seen: list[int | None] = []
    done = await client.segments.wait_until_complete(
        segment.id,
        poll_interval=0.001,
        on_progress=lambda s: seen.append(s.progress.percent if s.progress else None),
    )
    assert done.status is mailseg.SegmentStatus.COMPLETED
    assert seen == [25, 50, 75, 100]
    assert done.member_total == emu.segments[segment.id].member_total


@pytest.mark.emu(processing_polls=2)
async def test_a_fresh_segment_has_only_the_status_its_provider_sent(
    emu: Emulator, client: mailseg.Client
) -> None:
    # The documented difference (README, Segment): SendCloud's create answers the id alone,
    # so nothing is guessed; EngageLab's answers the segment, status included (its own
    # example shows "2", pinned by the conformance table). From the first read on, both agree.
    created = await client.segments.create("fresh", field("Age") < 40)
    assert (created.name, created.type) == ("fresh", mailseg.SegmentType.BY_FIELD)
    if emu.provider == "sendcloud":
        assert created.status is None
        assert (created.member_total, created.progress, created.created_at) == (None, None, None)
    else:
        assert created.status is mailseg.SegmentStatus.UPDATING
        assert created.progress is not None
        assert not created.progress.complete
    read = await client.segments.get(created.id)
    assert read.status is mailseg.SegmentStatus.UPDATING
    assert read.created_at is not None
    done = await client.segments.wait_until_complete(created.id, poll_interval=0.001)
    assert done.status is mailseg.SegmentStatus.COMPLETED
    assert done.member_total == emu.segments[created.id].member_total


async def test_a_failed_segment_stops_the_wait(emu: Emulator, client: mailseg.Client) -> None:
    segment = await client.segments.create("doomed", field("Age") < 40)
    emu.fail_segment(segment.id)
    with pytest.raises(mailseg.SegmentFailedError):
        await client.segments.wait_until_complete(segment.id, poll_interval=0.001)


async def test_segment_listing_pages(emu: Emulator, client: mailseg.Client) -> None:
    ids = [(await client.segments.create(f"s{n}", field("Age") > str(n))).id for n in range(25)]
    listed = [s.id async for s in client.segments.iterate(page_size=10)]
    assert sorted(listed) == sorted(ids)
    page = await client.segments.list(offset=20, limit=10)
    assert (page.total, len(page.items)) == (25, 5)


# -- tags ------------------------------------------------------------------------------------


async def test_tag_lifecycle(emu: Emulator, client: mailseg.Client) -> None:
    created = await client.tags.create("bulk_tag")
    assert emu.tags[created.id].name == "bulk_tag"
    ids = [c.id for c in emu.contacts]
    added = await client.tags.add_members(created.id, ids, max_concurrency=4)
    assert (added.requested, added.chunks, added.succeeded, added.ok) == (600, 1, 600, True)
    removed = await client.tags.remove_members(created.id, ids[:100])
    assert removed.succeeded == 100

    members = [m.id async for m in client.tags.iterate_members(created.id, page_size=30)]
    assert members == ids[100:]
    page = await client.tags.members(created.id, offset=495, limit=10)
    assert (page.total, len(page.items)) == (500, 5)

    await client.tags.update(created.id, name="renamed_tag")
    listed = await client.tags.list(name="renamed")
    assert [(t.id, t.name, t.member_count) for t in listed.items] == [
        (created.id, "renamed_tag", 500)
    ]
    every = [t.id async for t in client.tags.iterate(page_size=2)]
    assert sorted(every) == sorted(emu.tags)

    await client.tags.delete(created.id)
    with pytest.raises(mailseg.NotFoundError):
        await client.tags.members(created.id)
    assert all(created.id not in c.tag_ids for c in emu.contacts)


async def test_bulk_tagging_in_many_chunks(emu: Emulator, client: mailseg.Client) -> None:
    created = await client.tags.create("many")
    ids = [c.id for c in emu.contacts] * 9  # 5,400 ids, 6 chunks (repeats count again)
    result = await client.tags.add_members(created.id, iter(ids), max_concurrency=3)
    assert (result.requested, result.chunks, result.ok) == (5400, 6, True)
    assert emu.tags[created.id].member_count == 600
    adds = [r for r in emu.requests if r.path.endswith("/add")]
    assert len(adds) == 6
    assert all(len(next(iter(r.body.values()))) <= 1000 for r in adds)


async def test_duplicate_tag_name(client: mailseg.Client) -> None:
    await client.tags.create("twice")
    with pytest.raises(mailseg.APIError) as raised:
        await client.tags.create("twice")
    assert not isinstance(raised.value, mailseg.AuthenticationError)
    assert isinstance(raised.value, (mailseg.ConflictError, mailseg.BadRequestError))


# -- errors ----------------------------------------------------------------------------------


async def test_wrong_credentials(emu: Emulator) -> None:
    async with emu.client(api_key="not-the-key") as sdk:
        with pytest.raises(mailseg.AuthenticationError):
            await sdk.tags.list()
        with pytest.raises(mailseg.AuthenticationError):
            await sdk.segments.create("x", field("Age") > 1)
    assert not emu.segments


async def test_the_emulator_agrees_with_the_sdks_validation(
    emu: Emulator, client: mailseg.Client
) -> None:
    # The SDK refuses these before sending; the emulator would refuse them too.
    with pytest.raises(mailseg.ValidationError):
        await client.segments.create("bad.name", field("Age") > 1)
    with pytest.raises(mailseg.ValidationError):
        await client.tags.create("bad name")
    assert not [r for r in emu.requests if r.method == "POST"]


# -- recovery from faults --------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["429", "429_retry_after", "503", "503_retry_after"])
async def test_a_create_is_retried_after_429_and_503(
    emu: Emulator, client: mailseg.Client, slept: list[float], kind: str
) -> None:
    emu.faults = Faults(schedule=[kind], retry_after=1)
    created = await client.segments.create("after_retry", field("Age") > 30)
    assert list(emu.segments) == [created.id]  # exactly one: the failed attempt did nothing
    assert [r.fault for r in emu.requests[-2:]] == [FaultKind(kind), None]
    assert len(slept) == 1
    if kind.endswith("retry_after"):
        assert slept == [1.0]


async def test_a_create_is_not_repeated_after_a_reset(
    emu: Emulator, client: mailseg.Client, slept: list[float]
) -> None:
    emu.faults = Faults(schedule=["reset"])
    with pytest.raises(mailseg.TransportError):
        await client.segments.create("maybe", field("Age") > 30)
    assert not emu.segments
    assert len([r for r in emu.requests if r.method == "POST"]) == 1


async def test_a_create_is_not_repeated_after_a_500_that_took_effect(
    emu: Emulator, client: mailseg.Client, slept: list[float]
) -> None:
    emu.faults = Faults(schedule=["apply_then_500"])
    with pytest.raises(mailseg.ServerError):
        await client.segments.create("applied", field("Age") > 30)
    assert [s.name for s in emu.segments.values()] == ["applied"]  # once, not twice


@pytest.mark.parametrize(
    "schedule",
    [
        ["reset", "reset"],  # aiohttp repeats a GET once by itself; the second is the SDK's
        ["500"],
        ["502"],
        ["503"],
        ["429_retry_after"],
        ["html_error"],
    ],
    ids=lambda s: "+".join(s),
)
async def test_reads_recover(
    emu: Emulator, client: mailseg.Client, slept: list[float], schedule: list[str]
) -> None:
    segment = await client.segments.create("read_me", field("Age") > 30)
    emu.faults = Faults(schedule=schedule)
    got = await client.segments.get(segment.id)
    assert got.id == segment.id
    reads = emu.requests[-len(schedule) - 1 :]
    assert [r.fault for r in reads] == [*map(FaultKind, schedule), None]
    assert reads[-1].status == 200


@pytest.mark.parametrize("kind", ["truncated_json", "empty_body"])
async def test_a_broken_200_body_is_reported(
    emu: Emulator, client: mailseg.Client, slept: list[float], kind: str
) -> None:
    # The SDK reports a 200 whose body is not the provider's JSON instead of retrying it.
    segment = await client.segments.create("read_me", field("Age") > 30)
    emu.faults = Faults(schedule=[kind])
    with pytest.raises(mailseg.UnexpectedResponseError):
        await client.segments.get(segment.id)
    assert emu.requests[-1].fault is FaultKind(kind)


async def test_bulk_tagging_recovers_from_faults(
    emu: Emulator, client: mailseg.Client, slept: list[float]
) -> None:
    created = await client.tags.create("flaky")
    ids = [c.id for c in emu.contacts] * 5  # 3 chunks
    emu.faults = Faults(schedule={0: "503", 2: "429", 3: "reset"})
    result = await client.tags.add_members(created.id, ids, max_concurrency=1)
    assert result.ok
    assert result.chunks == 3
    assert emu.tags[created.id].member_count == 600
    fired = [r.fault for r in emu.requests if r.fault is not None]
    assert fired == [FaultKind.UNAVAILABLE, FaultKind.RATE_LIMITED, FaultKind.RESET]


async def test_random_faults_with_enough_retries(emu: Emulator, slept: list[float]) -> None:
    emu.faults = Faults(rate=0.3, seed=5, kinds=["429", "503", "503_retry_after"], retry_after=0)
    async with emu.client(max_retries=10) as sdk:
        created = await sdk.tags.create("random")
        result = await sdk.tags.add_members(created.id, [c.id for c in emu.contacts] * 4)
        members = [m.id async for m in sdk.tags.iterate_members(created.id, page_size=50)]
    assert result.ok
    assert members == [c.id for c in emu.contacts]
    assert any(r.fault for r in emu.requests)
