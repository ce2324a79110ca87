"""Bulk member operations: chunked, concurrent, and accounting for every id."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator, Sequence

import pytest

import mailseg
from mailseg import _transport
from mailseg._bulk import run_bulk
from tests.conformance.engagelab_table import seed
from tests.conftest import Reply, Wire

IDS = [f"m{i:05d}" for i in range(2500)]


def sent_ids(wire: Wire, key: str = "member_ids") -> list[list[str]]:
    return [r.json()[key] for r in wire.requests]


async def test_ids_go_out_1000_per_request_in_order(wire: Wire) -> None:
    wire.default = Reply(200, {"count": 7})
    async with wire.client("engagelab", max_concurrency=1) as client:
        result = await client.tags.add_members("t1", IDS)
    assert sent_ids(wire) == [IDS[:1000], IDS[1000:2000], IDS[2000:]]
    assert result == mailseg.BulkResult(requested=2500, chunks=3, succeeded=21)
    assert result.ok
    assert result.failed_ids == ()


@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_empty_input_sends_nothing(wire: Wire, provider: str) -> None:
    async with wire.client(provider) as client:
        for result in (
            await client.tags.add_members("t1", []),
            await client.tags.remove_members("t1", iter(())),
            await client.segments.remove_members("s1", ()),
        ):
            assert result == mailseg.BulkResult(requested=0, chunks=0, succeeded=0)
    assert wire.requests == []


async def test_concurrency_is_bounded_by_the_client_option(wire: Wire) -> None:
    wire.default = Reply(200, {"count": 1000}, delay=0.05)
    ids = [f"m{i}" for i in range(8000)]
    async with wire.client("engagelab", max_concurrency=3) as client:
        result = await client.tags.add_members("t1", ids)
    assert result.chunks == 8
    assert wire.max_in_flight == 3
    assert sorted(i for chunk in sent_ids(wire) for i in chunk) == sorted(ids)


async def test_a_call_can_override_the_concurrency(wire: Wire) -> None:
    wire.default = Reply(200, {"count": 1}, delay=0.05)
    async with wire.client("engagelab", max_concurrency=4) as client:
        await client.tags.add_members("t1", IDS, max_concurrency=1)
        with pytest.raises(mailseg.ValidationError) as caught:
            await client.tags.add_members("t1", IDS, max_concurrency=0)
    assert caught.value.parameter == "max_concurrency"
    assert wire.max_in_flight == 1


async def test_a_generator_is_read_lazily_never_whole() -> None:
    produced = 0
    backlog: list[int] = []

    def ids() -> Iterator[str]:
        nonlocal produced
        for i in range(200_000):
            produced += 1
            yield f"m{i}"

    sent = 0

    async def send(chunk: Sequence[str]) -> int:
        nonlocal sent
        backlog.append(produced - sent)
        await asyncio.sleep(0)
        sent += len(chunk)
        return len(chunk)

    result = await run_bulk(ids(), send, max_concurrency=4)
    assert result.requested == 200_000
    assert result.chunks == 200
    # Never more than the chunks in flight plus the one being read.
    assert max(backlog) <= 5 * 1000


async def test_an_async_iterable_is_accepted(wire: Wire) -> None:
    wire.default = Reply(200, {"successCount": 5})

    async def ids() -> AsyncIterator[str]:
        for i in range(1500):
            yield f"m{i}"

    async with wire.client("sendcloud") as client:
        result = await client.segments.remove_members("s1", ids())
    assert result == mailseg.BulkResult(requested=1500, chunks=2, succeeded=10)
    assert sorted(len(chunk) for chunk in sent_ids(wire, "memberIds")) == [500, 1000]


async def test_progress_reports_ids_done_and_the_total_when_known(wire: Wire) -> None:
    wire.default = Reply(200, {"count": 1})
    seen: list[tuple[int, int | None]] = []
    async with wire.client("engagelab", max_concurrency=1) as client:
        await client.tags.add_members("t1", IDS, on_progress=lambda d, t: seen.append((d, t)))
        await client.tags.add_members(
            "t1", (i for i in IDS[:1500]), on_progress=lambda d, t: seen.append((d, t))
        )
    assert seen == [(1000, 2500), (2000, 2500), (2500, 2500), (1000, None), (1500, None)]


async def test_a_failed_chunk_is_reported_with_its_ids_and_the_rest_applied(wire: Wire) -> None:
    wire.reply(200, {"count": 1000})
    wire.reply(400, {"code": 30035, "message": "bad ids"})
    wire.reply(200, {"count": 500})
    async with wire.client("engagelab", max_concurrency=1) as client:
        with pytest.raises(mailseg.BulkError) as caught:
            await client.tags.add_members("t1", IDS)
    result = caught.value.result
    assert result.requested == 2500
    assert result.chunks == 3
    assert result.succeeded == 1500
    assert len(result.failed) == 1
    assert result.failed[0].ids == tuple(IDS[1000:2000])
    assert isinstance(result.failed[0].error, mailseg.BadRequestError)
    assert result.failed[0].error.code == 30035
    assert result.failed_ids == tuple(IDS[1000:2000])
    assert "1 of 3 chunks failed (1000 of 2500 ids)" in str(caught.value)


async def test_every_id_is_in_exactly_one_succeeded_or_failed_chunk(wire: Wire) -> None:
    ids = [f"m{i}" for i in range(10_500)]
    for i in range(11):
        wire.reply(503 if i % 3 == 1 else 200, {"count": 1000} if i % 3 != 1 else b"")
    async with wire.client("engagelab", max_concurrency=4, max_retries=0) as client:
        result = await client.tags.add_members("t1", ids, raise_on_error=False)
    chunks = sent_ids(wire)
    assert len(chunks) == result.chunks == 11
    failed = set(result.failed_ids)
    applied = [i for chunk in chunks for i in chunk if i not in failed]
    assert len(failed) == len(result.failed_ids)  # no id twice among the failed
    assert sorted(applied + list(result.failed_ids)) == sorted(ids)
    assert result.requested == len(ids)
    assert len(result.failed) == 4


async def test_retrying_the_failed_ids_completes_the_job(wire: Wire) -> None:
    wire.reply(200, {"count": 1000})
    wire.reply(401, {"code": 30000, "message": "Authentication failed"})
    wire.reply(200, {"count": 500})
    async with wire.client("engagelab", max_concurrency=1) as client:
        first = await client.tags.add_members("t1", IDS, raise_on_error=False)
        wire.reply(200, {"count": 1000})
        second = await client.tags.add_members("t1", first.failed_ids)
    assert not first.ok
    assert second == mailseg.BulkResult(requested=1000, chunks=1, succeeded=1000)
    assert sent_ids(wire)[-1] == IDS[1000:2000]


@pytest.mark.parametrize("bad", ["", "x\udcff"], ids=["empty", "lone surrogate"])
async def test_a_bad_id_in_a_stream_fails_its_chunk_without_sending_it(
    wire: Wire, bad: str
) -> None:
    wire.default = Reply(200, {"count": 1000})
    stream = (i if n != 1500 else bad for n, i in enumerate(IDS))
    async with wire.client("engagelab", max_concurrency=1) as client:
        result = await client.tags.add_members("t1", stream, raise_on_error=False)
    assert [len(chunk) for chunk in sent_ids(wire)] == [1000, 500]
    assert len(result.failed) == 1
    assert isinstance(result.failed[0].error, mailseg.ValidationError)
    assert result.failed[0].error.parameter == "member_ids[1500]"
    assert len(result.failed_ids) == 1000


async def test_a_list_changed_while_it_is_sent_cannot_slip_an_unchecked_id_in(
    wire: Wire,
) -> None:
    # Checked whole up front, then each chunk again as it is sliced off the list (it is
    # not copied): a bad id put in after the first request fails its own chunk, unsent;
    # an id appended goes unsent (the call sends the length the list had at the start).
    wire.default = Reply(200, {"count": 1000}, delay=0.05)
    ids = list(IDS)
    async with wire.client("engagelab", max_concurrency=1) as client:
        job = asyncio.create_task(client.tags.add_members("t1", ids, raise_on_error=False))
        while not wire.requests:  # noqa: ASYNC110 - polling the test server
            await asyncio.sleep(0.005)
        ids[1500] = ""
        ids.append("late")
        result = await job
    assert sent_ids(wire) == [IDS[:1000], IDS[2000:]]
    assert result.requested == 2500
    (failed,) = result.failed
    assert isinstance(failed.error, mailseg.ValidationError)
    assert failed.error.parameter == "member_ids[1500]"
    assert len(failed.ids) == 1000


async def test_str_and_int_subclasses_go_out_as_their_plain_values(wire: Wire) -> None:
    class MemberId(str):
        def __str__(self) -> str:
            return "not what is sent"

    class CampaignId(int):
        pass

    wire.default = Reply(200, {"count": 2})
    async with wire.client("sendcloud") as client:
        result = await client.tags.add_members("t1", [MemberId("m1"), "m2"])
    assert sent_ids(wire, "memberIds") == [["m1", "m2"]]
    assert result.succeeded == 2
    wire.requests.clear()
    wire.default = Reply(200, seed("segment_create"))
    async with wire.client("engagelab") as client:
        await client.segments.create("opened", mailseg.campaign(CampaignId(42)).opened())
    (item,) = wire.requests[0].json()["condition"]["items"]
    assert item["campaign_id"] == 42


async def test_cancelling_the_job_cancels_requests_and_leaves_no_task(wire: Wire) -> None:
    wire.default = Reply(200, {"count": 1000}, delay=5.0)
    ids = [f"m{i}" for i in range(20_000)]
    async with wire.client("engagelab", max_concurrency=4) as client:
        job = asyncio.create_task(client.tags.add_members("t1", ids))
        while wire.in_flight < 4:  # noqa: ASYNC110 - polling the test server
            await asyncio.sleep(0.01)
        job.cancel()
        with pytest.raises(asyncio.CancelledError):
            await job
        # Only the loopback server's own handler tasks may remain.
        leftover = {
            task
            for task in asyncio.all_tasks()
            if task is not asyncio.current_task()
            and not task.get_coro().__qualname__.startswith("RequestHandler.")  # type: ignore[union-attr]
        }
        assert leftover == set()
        session = client._transport.pool._session
        assert session is not None
        connector = session.connector
        assert connector is not None
        assert sum(len(c) for c in connector._acquired_per_host.values()) == 0
    assert len(wire.requests) == 4


async def test_the_rate_limit_spaces_every_request_of_the_client(
    wire: Wire, monkeypatch: pytest.MonkeyPatch
) -> None:
    waits: list[float] = []

    async def fake_sleep(delay: float) -> None:
        waits.append(delay)

    monkeypatch.setattr(_transport, "_sleep", fake_sleep)
    wire.default = Reply(200, {"count": 1})
    async with wire.client("engagelab", rate_limit=0.5, max_concurrency=1) as client:
        # Two calls at once share the client's pace: four requests, three waits.
        await asyncio.gather(client.tags.add_members("t1", IDS), client.tags.delete("t2"))
    # At 0.5 requests per second the slots pile up 2 s apart (the fake sleep
    # returns at once, so nothing moves the clock meanwhile).
    assert len(wire.requests) == 4
    assert sorted(waits) == pytest.approx([2.0, 4.0, 6.0], abs=0.5)
