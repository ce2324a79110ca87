"""The local runner: faults that outlast the retries, stop and resume, tags.sync, one runner."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path

import pytest

from mailseg import jobs
from mailseg.testing import Emulator, Faults
from tests.jobs.conftest import write_lines
from tests.jobs.test_ledger import assert_exact


def member_ids_of(body: dict[str, list[str]]) -> list[str]:
    return body.get("member_ids") or body["memberIds"]


async def test_failed_chunks_are_reported_exactly_and_a_resume_completes_the_job(
    emulator: Emulator, ledger: jobs.SqliteLedger, tmp_path: Path
) -> None:
    ids = [c.id for c in emulator.contacts]
    path = write_lines(tmp_path / "ids.txt", ids)
    async with emulator.client(max_retries=0) as client:
        tag = await client.tags.create("faulty")
        emulator.clear_requests()
        emulator.faults = Faults(rate=0.3, kinds=["500", "503", "reset"], seed=4)
        job = await jobs.Job.create(
            ledger, "tags.add_members", tag.id, path, chunk_size=20, max_concurrency=4
        )
        status = await job.run(client)
        faulted = [r for r in emulator.requests if r.fault is not None]
        assert faulted, "the faults must outlast the retries (none here)"
        failed_ids = [i async for i in job.failed_ids()]
        assert sorted(failed_ids) == sorted(i for r in faulted for i in member_ids_of(r.body))
        assert status.failed == len(failed_ids)
        assert status.chunks[jobs.ChunkState.FAILED] == len(faulted)
        assert status.state is jobs.JobState.FINISHED
        assert not status.ok
        assert sorted(emulator.tag_member_ids(tag.id)) == sorted(set(ids) - set(failed_ids))
        errors = {c.error_class async for c in job.chunks([jobs.ChunkState.FAILED])}
        assert errors <= {"ServerError", "TransportError"}

        emulator.faults = None
        emulator.clear_requests()
        resumed = await (await jobs.Job.open(ledger, job.id)).run(client)
    assert resumed.ok
    # Only the failed chunks went out again.
    assert sorted(i for r in emulator.requests for i in member_ids_of(r.body)) == sorted(failed_ids)
    assert sorted(emulator.tag_member_ids(tag.id)) == sorted(ids)
    await assert_exact(job, ids)
    retried = [c async for c in job.chunks() if c.attempts == 2]
    assert sorted(i for c in retried for i in c.ids) == sorted(failed_ids)


async def test_a_stopped_job_resumes_where_it_stopped(
    ledger: jobs.SqliteLedger, tmp_path: Path
) -> None:
    async with Emulator("engagelab", contacts=2000, seed=8) as emu, emu.client() as client:
        ids = [c.id for c in emu.contacts]
        path = write_lines(tmp_path / "ids.txt", ids)
        tag = await client.tags.create("stopping")
        emu.faults = Faults(latency=0.005)
        job = await jobs.Job.create(
            ledger, "tags.add_members", tag.id, path, chunk_size=10, max_concurrency=2
        )
        seen: list[jobs.JobStatus] = []

        def progress(status: jobs.JobStatus) -> None:
            seen.append(status)
            if status.done >= 300:
                job.stop()

        stopped = await job.run(client, on_progress=progress)
        assert stopped.state is jobs.JobState.STOPPED
        assert 300 <= stopped.done < len(ids)
        assert stopped.in_flight == 0  # the chunks in flight finished before it stopped
        assert all(b.done >= a.done for a, b in itertools.pairwise(seen))
        emu.clear_requests()
        finished = await job.run(client)
    assert finished.ok
    assert finished.applied == len(ids)
    sent = [i for r in emu.requests for i in r.body["member_ids"]]
    assert sorted(sent) == sorted(ids[stopped.done :])  # nothing sent twice
    await assert_exact(job, ids)


async def test_a_job_from_an_iterable_needs_it_again_to_resume(
    ledger: jobs.SqliteLedger,
) -> None:
    job = await jobs.Job.create(ledger, "tags.add_members", "t1", iter(["a", "b"]), job_id="it")
    await ledger.add_chunks(
        "it", [], taken=0, source_done=False
    )  # as if a run died before reading it
    again = await jobs.Job.open(ledger, "it")
    async with Emulator("sendcloud", contacts=10) as emu, emu.client() as client:
        with pytest.raises(jobs.SourceError, match="pass it again"):
            await again.run(client)
        tag = await client.tags.create("iterated")
        other = await jobs.Job.create(ledger, "tags.add_members", tag.id, ["x"], job_id="it2")
        status = await other.run(client, source=[c.id for c in emu.contacts])
    assert status.requested == 10
    assert status.applied == 10
    assert job.spec.source is None
    assert job.spec.source_description == "a Python list_iterator"


async def test_one_job_runs_in_one_process_at_a_time(ledger: jobs.SqliteLedger) -> None:
    async with Emulator("sendcloud", contacts=500) as emu, emu.client() as client:
        tag = await client.tags.create("locked")
        emu.faults = Faults(latency=0.05)
        ids = [c.id for c in emu.contacts]
        job = await jobs.Job.create(ledger, "tags.add_members", tag.id, ids, chunk_size=10)
        first = asyncio.ensure_future(job.run(client))
        await asyncio.sleep(0.1)
        with pytest.raises(jobs.JobConflictError, match="already running"):
            await job.run(client)
        assert (await job.status()).state is jobs.JobState.RUNNING
        job.stop()
        await first


@pytest.mark.usefixtures("no_backoff")
async def test_sync_makes_the_tag_hold_exactly_the_set_and_the_dry_run_writes_nothing(
    emulator: Emulator, ledger: jobs.SqliteLedger, tmp_path: Path
) -> None:
    ids = [c.id for c in emulator.contacts]
    current, desired = ids[:1800], ids[1200:2600]  # overlapping
    path = write_lines(tmp_path / "crm.txt", desired + desired[:10])  # duplicates are fine
    async with emulator.client() as client:
        tag = await client.tags.create("synced")
        await client.tags.add_members(tag.id, current)
        emulator.clear_requests()
        plan = await jobs.plan_sync(client, tag.id, path, with_ids=True)
        assert all(r.method == "GET" for r in emulator.requests)  # the dry run only reads
        assert sorted(emulator.tag_member_ids(tag.id)) == sorted(current)
        assert (plan.current, plan.desired, plan.to_add, plan.to_remove, plan.unchanged) == (
            1800,
            1400,
            800,
            1200,
            600,
        )
        assert sorted(plan.add_ids or ()) == sorted(set(desired) - set(current))
        assert sorted(plan.remove_ids or ()) == sorted(set(current) - set(desired))
        # A few faults on the way: the client's retries absorb them.
        emulator.faults = Faults(rate=0.2, kinds=["503", "429"], seed=1)
        job = await jobs.Job.create(ledger, "tags.sync", tag.id, path)
        status = await job.run(client)
    assert status.ok
    assert sorted(emulator.tag_member_ids(tag.id)) == sorted(desired)
    ops = [(c.op, c.size) async for c in job.chunks()]
    assert sum(n for op, n in ops if op is jobs.ChunkOp.TAG_ADD) == 800
    assert sum(n for op, n in ops if op is jobs.ChunkOp.TAG_REMOVE) == 1200
