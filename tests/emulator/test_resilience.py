"""Bulk jobs under injected faults, for both providers: no id lost, none counted twice.

A job of 1,000 chunks through 10% of 429, 503 and connection resets finishes with
every id applied in the emulator's state; faults that outlast the retries are reported
chunk by chunk, exactly, and a second call on ``failed_ids`` completes the job. Backoff
sleeps are recorded, not waited out.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

import pytest

import mailseg
from mailseg.testing import Emulator, Faults

PROVIDERS = ("sendcloud", "engagelab")


@pytest.fixture
def slept(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    delays: list[float] = []

    async def record(delay: float) -> None:
        delays.append(delay)

    monkeypatch.setattr("mailseg._transport._sleep", record)
    return delays


@pytest.fixture(params=PROVIDERS)
async def emu(request: pytest.FixtureRequest) -> AsyncIterator[Emulator]:
    async with Emulator(request.param, contacts=5000, seed=11, max_recorded=10) as emulator:
        yield emulator


def cycling_ids(emu: Emulator, total: int) -> Iterator[str]:
    """``total`` ids, the contacts' ids over and over: a generator, never a list."""
    return itertools.islice(itertools.cycle([c.id for c in emu.contacts]), total)


async def test_a_job_of_1000_chunks_survives_10_percent_of_faults(
    emu: Emulator, slept: list[float]
) -> None:
    async with emu.client(max_retries=6, max_concurrency=8) as client:
        vip = await client.tags.create("resilient")
        emu.faults = Faults(rate=0.1, kinds=["429", "503", "reset"], seed=2)
        done: list[int] = []
        result = await client.tags.add_members(
            vip.id, cycling_ids(emu, 1_000_000), on_progress=lambda d, _: done.append(d)
        )
    assert result.ok
    assert result.requested == 1_000_000
    assert result.chunks == 1000
    assert result.succeeded == 1_000_000  # each id counted by the chunk that carried it
    assert done[-1] == 1_000_000
    assert len(slept) > 50  # about 10% of 1,000 requests were retried
    assert set(emu.tag_member_ids(vip.id)) == {c.id for c in emu.contacts}


async def test_faults_that_outlast_the_retries_are_reported_exactly(
    emu: Emulator, slept: list[float]
) -> None:
    ids = [c.id for c in emu.contacts]  # 5 chunks of distinct ids
    async with emu.client(max_retries=1, max_concurrency=1) as client:
        vip = await client.tags.create("stubborn")
        # Chunks 2 and 4 fail twice in a row (attempt and retry); the others pass.
        emu.faults = Faults(schedule={1: "503", 2: "503", 4: "reset", 5: "reset"})
        with pytest.raises(mailseg.BulkError) as caught:
            await client.tags.add_members(vip.id, ids)
        result = caught.value.result
        assert result.requested == 5000
        assert result.chunks == 5
        assert [chunk.ids for chunk in result.failed] == [
            tuple(ids[1000:2000]),
            tuple(ids[3000:4000]),
        ]
        assert isinstance(result.failed[0].error, mailseg.ServerError)
        assert isinstance(result.failed[1].error, mailseg.TransportError)
        applied = set(emu.tag_member_ids(vip.id))
        assert applied == set(ids) - set(result.failed_ids)

        emu.faults = None
        again = await client.tags.add_members(vip.id, result.failed_ids)
    assert again == mailseg.BulkResult(requested=2000, chunks=2, succeeded=2000)
    assert set(emu.tag_member_ids(vip.id)) == set(ids)


async def test_segment_member_removal_resumes_from_failed_ids(
    emu: Emulator, slept: list[float]
) -> None:
    async with emu.client(max_retries=0, max_concurrency=4) as client:
        segment = await client.segments.create("everyone", mailseg.field("Email").contains("@"))
        assert len(emu.member_ids(segment.id)) == 5000
        emu.faults = Faults(rate=0.4, kinds=["503", "reset"], seed=9)
        first = await client.segments.remove_members(
            segment.id, [c.id for c in emu.contacts], raise_on_error=False
        )
        assert not first.ok
        left = set(emu.member_ids(segment.id))
        assert left == set(first.failed_ids)
        emu.faults = None
        second = await client.segments.remove_members(segment.id, first.failed_ids)
    assert second.ok
    assert emu.member_ids(segment.id) == []
