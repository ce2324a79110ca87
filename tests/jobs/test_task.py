"""The chunk task's code, delivered by taskiq's in-memory broker (no stream, no worker process).

The ledger is a real ``redis-server`` and the provider the in-process emulator: what is
stubbed out is only the delivery, which the distributed tests exercise for real.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator

import pytest_asyncio
from taskiq import InMemoryBroker

import mailseg
from mailseg import jobs
from mailseg.jobs.ledger import NewChunk
from mailseg.jobs.model import ChunkOp
from mailseg.jobs.redis import RedisLedger
from mailseg.jobs.taskiq import TASK_NAME, register_chunk_task, submit
from mailseg.jobs.taskiq import wait as distributed_wait
from mailseg.testing import Emulator
from tests.jobs.processes import RedisServer
from tests.jobs.test_ledger import assert_exact


@pytest_asyncio.fixture
async def ledger(redis_server: RedisServer) -> AsyncIterator[RedisLedger]:
    async with RedisLedger(redis_server.url) as ledger:
        yield ledger


@pytest_asyncio.fixture
async def emulator() -> AsyncIterator[Emulator]:
    async with Emulator("engagelab", contacts=200, seed=3, max_recorded=None) as emu:
        yield emu


def worker_env(emulator: Emulator, provider: str = "engagelab") -> dict[str, str]:
    return {
        "MAILSEG_PROVIDER": provider,
        "MAILSEG_API_USER": emulator.credentials["api_user"],
        "MAILSEG_API_KEY": emulator.credentials["api_key"],
        "MAILSEG_BASE_URL": emulator.base_url,
        "MAILSEG_MAX_RETRIES": "0",
    }


@pytest_asyncio.fixture
async def tag_id(emulator: Emulator) -> str:
    async with emulator.client() as client:
        return (await client.tags.create("in_memory")).id


def tag_requests(emulator: Emulator, tag_id: str) -> int:
    return sum(1 for request in emulator.requests if tag_id in request.path)


async def settled(ledger: RedisLedger, job_id: str, seq: int) -> jobs.ChunkRecord:
    """The chunk once its outcome is in Redis (a worker queues it as the task returns)."""
    for _ in range(500):
        record = await ledger.chunk(job_id, seq)
        if record.state is not jobs.ChunkState.IN_FLIGHT:
            return record
        await asyncio.sleep(0.01)
    raise AssertionError(f"chunk {seq} still in flight: {record}")


async def started_broker(redis_url: str, environ: dict[str, str]) -> InMemoryBroker:
    # await_inplace: a kiq returns once its task ran (and was acknowledged).
    broker = InMemoryBroker(await_inplace=True)
    register_chunk_task(broker, redis_url, lease=30.0, environ=environ)
    await broker.startup()
    return broker


async def test_a_chunk_task_claims_sends_and_records_and_a_repeat_is_not_sent(
    redis_server: RedisServer, ledger: RedisLedger, emulator: Emulator, tag_id: str
) -> None:
    ids = [contact.id for contact in emulator.contacts[:60]]
    job = await jobs.Job.create(
        ledger, "tags.add_members", tag_id, ids, chunk_size=20, provider="engagelab"
    )
    broker = await started_broker(redis_server.url, worker_env(emulator))
    try:
        assert await submit(job, broker) == 3  # each task ran as it was enqueued
        sent = tag_requests(emulator, tag_id)
        assert sent == 3
        # The same chunk delivered again (a redelivery): already succeeded, not sent.
        task = broker.find_task(TASK_NAME)
        assert task is not None
        await task.kiq(job.id, 1)
        assert tag_requests(emulator, tag_id) == sent
    finally:
        await broker.shutdown()
    assert sorted(emulator.tag_member_ids(tag_id)) == sorted(ids)
    status = await assert_exact(job, ids)
    assert status.finished
    assert status.applied == 60
    records = [chunk async for chunk in job.chunks()]
    assert [record.attempts for record in records] == [1, 1, 1]
    assert {record.worker for record in records} == {f"{socket.gethostname()}:{os.getpid()}"}
    assert all(record.state is jobs.ChunkState.SUCCEEDED for record in records)


async def test_a_failed_chunk_is_recorded_by_its_attempt_and_sent_again_by_the_next_delivery(
    redis_server: RedisServer, ledger: RedisLedger, emulator: Emulator, tag_id: str
) -> None:
    ids = [contact.id for contact in emulator.contacts[:20]]
    job = await jobs.Job.create(ledger, "tags.add_members", tag_id, ids, chunk_size=20)
    broker = await started_broker(redis_server.url, worker_env(emulator))
    try:
        emulator.set_faults(schedule=["503"])  # no retries in this worker: the chunk fails
        await submit(job, broker)
        failed = await settled(ledger, job.id, 0)
        assert failed.state is jobs.ChunkState.FAILED
        assert failed.error_class == "ServerError"
        assert failed.attempts == 1
        assert emulator.tag_member_ids(tag_id) == []
        emulator.faults = None
        task = broker.find_task(TASK_NAME)
        assert task is not None
        await task.kiq(job.id, 0)
    finally:
        await broker.shutdown()
    done = await ledger.chunk(job.id, 0)
    assert done.state is jobs.ChunkState.SUCCEEDED
    assert done.attempts == 2
    assert done.error_class is None
    assert done.count == 20
    assert sorted(emulator.tag_member_ids(tag_id)) == sorted(ids)
    await assert_exact(job, ids)


async def test_a_worker_of_another_provider_leaves_the_chunk_untouched(
    redis_server: RedisServer, ledger: RedisLedger, emulator: Emulator, tag_id: str
) -> None:
    ids = [contact.id for contact in emulator.contacts[:20]]
    job = await jobs.Job.create(
        ledger, "tags.add_members", tag_id, ids, chunk_size=20, provider="engagelab"
    )
    broker = await started_broker(redis_server.url, worker_env(emulator, "sendcloud"))
    try:
        await submit(job, broker)
    finally:
        await broker.shutdown()
    chunk = await ledger.chunk(job.id, 0)
    assert chunk.state is jobs.ChunkState.PENDING
    assert chunk.attempts == 0
    assert tag_requests(emulator, tag_id) == 0


async def test_submit_enqueues_the_first_chunk_before_it_reads_the_source_on(
    redis_server: RedisServer, ledger: RedisLedger, emulator: Emulator, tag_id: str
) -> None:
    # Workers start on a job at once, not after the submitter read and recorded a batch
    # of 50 chunks: this source gives its second chunk only once the first was sent.
    first_sent = False

    async def ids() -> AsyncIterator[str]:
        nonlocal first_sent
        for index in range(1000):
            yield f"first-{index}"
        for _ in range(200):
            if tag_requests(emulator, tag_id):
                first_sent = True
                break
            await asyncio.sleep(0.01)
        for index in range(1500):
            yield f"later-{index}"

    job = await jobs.Job.create(ledger, "tags.add_members", tag_id, ids(), chunk_size=1000)
    broker = await started_broker(redis_server.url, worker_env(emulator))
    try:
        assert await submit(job, broker) == 3
    finally:
        await broker.shutdown()
    assert first_sent
    status = await ledger.status(job.id)
    assert (status.requested, status.applied + status.unapplied) == (2500, 2500)
    assert tag_requests(emulator, tag_id) == 3


async def test_a_redis_ledger_counts_a_batch_of_pending_and_failed_chunks_exactly(
    ledger: RedisLedger, emulator: Emulator, tag_id: str
) -> None:
    # submit records its chunks in batches, each with its job counters moved once.
    ids = [f"m{index}" for index in range(7)] + ["bad id"] + [f"n{index}" for index in range(4)]
    job = await jobs.Job.create(ledger, "tags.add_members", tag_id, ids, chunk_size=3)
    bad = mailseg.ValidationError("position 7", "not an id: holds whitespace")
    batch = [
        NewChunk(seq, ChunkOp.TAG_ADD, 3 * seq, tuple(ids[3 * seq : 3 * seq + 3]), error)
        for seq, error in [(0, None), (1, None), (2, bad), (3, None)]
    ]
    await ledger.add_chunks(job.id, batch[:1], taken=3, source_done=False)
    await ledger.add_chunks(job.id, batch[1:], taken=12, source_done=True)
    status = await assert_exact(job, ids)
    assert status.chunks[jobs.ChunkState.PENDING] == 3
    assert status.chunks[jobs.ChunkState.FAILED] == 1
    assert (status.pending, status.failed, status.requested) == (9, 3, 12)
    assert [member async for member in job.failed_ids()] == ["m6", "bad id", "n0"]


async def test_wait_returns_when_the_last_chunk_ends_not_at_its_next_look(
    redis_server: RedisServer, ledger: RedisLedger, emulator: Emulator, tag_id: str
) -> None:
    ids = [contact.id for contact in emulator.contacts[:60]]
    job = await jobs.Job.create(ledger, "tags.add_members", tag_id, ids, chunk_size=20)
    broker = InMemoryBroker()  # the tasks run beside wait, on this loop
    register_chunk_task(broker, redis_server.url, lease=30.0, environ=worker_env(emulator))
    await broker.startup()
    emulator.set_faults(latency=0.5)  # the job is still running at wait's first look
    looks: list[jobs.JobStatus] = []
    try:
        await submit(job, broker)
        # A look every two minutes: only the end's announcement can bring it back sooner.
        waiting = distributed_wait(job, broker, poll=120.0, on_progress=looks.append)
        status = await asyncio.wait_for(waiting, timeout=60.0)
    finally:
        await broker.shutdown()
    assert status.finished
    assert status.applied == 60
    assert [look.finished for look in looks] == [False, True]
