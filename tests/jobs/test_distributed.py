"""The distributed runner: real worker processes, a real Redis, the standalone emulator."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from mailseg import jobs
from mailseg.jobs.redis import RedisLedger
from mailseg.jobs.taskiq import make_broker, submit, wait
from tests.jobs.conftest import write_lines
from tests.jobs.processes import ROOT, EmulatorProcess, RedisServer, Workers, free_port
from tests.jobs.test_ledger import assert_exact


@pytest.fixture
def emulator_process(request: pytest.FixtureRequest) -> Iterator[EmulatorProcess]:
    """The standalone emulator; its latency (default 20 ms) by indirect parametrization."""
    process = EmulatorProcess("engagelab", contacts=3000, latency=getattr(request, "param", 0.02))
    yield process
    process.stop()


@pytest.fixture
def workers(
    tmp_path: Path, redis_server: RedisServer, emulator_process: EmulatorProcess
) -> Iterator[Workers]:
    group = Workers(tmp_path, redis_server.url, emulator_process.env())
    yield group
    group.stop()


@pytest_asyncio.fixture
async def ledger(redis_server: RedisServer) -> AsyncIterator[RedisLedger]:
    async with RedisLedger(redis_server.url) as ledger:
        yield ledger


async def create_tag(emulator: EmulatorProcess, name: str) -> str:
    import mailseg

    env = emulator.env()
    async with mailseg.Client.from_env(env) as client:
        return (await client.tags.create(name)).id


@pytest.mark.slow
# 100 ms per request: a chunk seen in flight is still held when the kill lands.
@pytest.mark.parametrize("emulator_process", [0.1], indirect=True)
async def test_three_workers_finish_a_job_when_one_is_killed_holding_a_chunk(
    tmp_path: Path,
    redis_server: RedisServer,
    emulator_process: EmulatorProcess,
    workers: Workers,
    ledger: RedisLedger,
) -> None:
    ids = emulator_process.contacts
    tag_id = await create_tag(emulator_process, "distributed")
    path = write_lines(tmp_path / "ids.txt", ids)
    job = await jobs.Job.create(
        ledger, "tags.add_members", tag_id, path, chunk_size=20, provider="engagelab"
    )
    workers.start(3, concurrency=2, lease=2.0)
    await workers.listening()
    broker = make_broker(redis_server.url)
    await broker.startup()
    try:
        assert await submit(job, broker) == 150
        victim = workers.name(0)
        held: jobs.ChunkRecord | None = None
        for _ in range(400):
            in_flight = await ledger._redis.zrange(f"mailseg:job:{{{job.id}}}:inflight", 0, -1)
            holders = [
                await ledger._redis.hget(f"mailseg:job:{{{job.id}}}:chunk:{seq}", "worker")
                for seq in in_flight
            ]
            if victim in holders:
                held = await ledger.chunk(job.id, int(in_flight[holders.index(victim)]))
                break
            await asyncio.sleep(0.01)
        assert held is not None, "worker 0 never held a chunk"
        workers.processes[0].send_signal(signal.SIGKILL)
        workers.processes[0].wait()
        # What it held when it died: its chunks left in flight.
        orphans = [
            c
            async for c in ledger.chunks(job.id, [jobs.ChunkState.IN_FLIGHT])
            if c.worker == victim
        ]
        assert orphans, "worker 0 died holding no chunk"
        status = await wait(job, broker, poll=0.2, timeout=120)
    finally:
        await broker.shutdown()
    assert status.ok
    assert sorted(emulator_process.admin(f"/tags/{tag_id}")) == sorted(ids)
    await assert_exact(job, ids)
    # Counted once although it may have been applied twice (the emulator counts repeats).
    assert status.applied == len(ids)
    for orphan in orphans:
        redelivered = await ledger.chunk(job.id, orphan.seq)
        assert redelivered.state is jobs.ChunkState.SUCCEEDED
        assert redelivered.attempts == orphan.attempts + 1
        assert redelivered.worker != victim
    others = {c.worker async for c in ledger.chunks(job.id)}
    assert {workers.name(1), workers.name(2)} <= others
    # No credential went through Redis: not in a key, a value, or the task stream.
    key = emulator_process.info["api_key"]
    found = await ledger._redis.keys("*")
    for name in found:
        kind = await ledger._redis.type(name)
        if kind == "hash":
            values = await ledger._redis.hgetall(name)
            blob = str(values)
        elif kind == "stream":
            blob = str(await ledger._redis.xrange(name))
        elif kind == "string":
            blob = str(await ledger._redis.get(name))
        else:
            blob = ""
        assert key not in name
        assert key not in blob


@pytest.mark.slow
async def test_a_job_survives_a_redis_restart(
    tmp_path: Path,
    redis_server: RedisServer,
    emulator_process: EmulatorProcess,
    workers: Workers,
    ledger: RedisLedger,
) -> None:
    ids = emulator_process.contacts[:2000]
    tag_id = await create_tag(emulator_process, "restarted")
    job = await jobs.Job.create(
        ledger, "tags.add_members", tag_id, write_lines(tmp_path / "ids.txt", ids), chunk_size=10
    )
    workers.start(3, concurrency=2, lease=2.0)
    broker = make_broker(redis_server.url)
    await broker.startup()
    try:
        await submit(job, broker)
        for _ in range(500):
            if (await job.status()).done >= 400:
                break
            await asyncio.sleep(0.02)
        redis_server.stop()
        await asyncio.sleep(0.5)
        redis_server.start()  # the same port and folder: the append-only file is read back
        assert (await job.status()).requested == len(ids)
        status = await wait(job, broker, poll=0.2, stall=5.0, timeout=120)
    finally:
        await broker.shutdown()
    assert status.ok
    assert sorted(emulator_process.admin(f"/tags/{tag_id}")) == sorted(ids)
    await assert_exact(job, ids)


@pytest.mark.slow
async def test_a_job_rate_limit_is_shared_by_three_workers(
    tmp_path: Path,
    redis_server: RedisServer,
    emulator_process: EmulatorProcess,
    workers: Workers,
    ledger: RedisLedger,
) -> None:
    rate = 20.0
    ids = emulator_process.contacts[:2600]
    tag_id = await create_tag(emulator_process, "paced")
    job = await jobs.Job.create(
        ledger,
        "tags.add_members",
        tag_id,
        write_lines(tmp_path / "ids.txt", ids),
        chunk_size=10,
        rate_limit=rate,
    )
    workers.start(3, concurrency=4)
    broker = make_broker(redis_server.url)
    await broker.startup()
    try:
        await submit(job, broker)
        status = await wait(job, broker, poll=0.5, timeout=120)
    finally:
        await broker.shutdown()
    assert status.ok
    sent = sorted(
        entry["at"]
        for entry in emulator_process.admin("/log")
        if entry["method"] == "POST" and tag_id in entry["path"] and entry["ids"]
    )
    assert len(sent) == 260
    elapsed = sent[-1] - sent[0]
    assert elapsed >= 10.0
    measured = (len(sent) - 1) / elapsed
    print(f"{measured:.2f} requests/s over {elapsed:.1f} s for a limit of {rate}")
    assert abs(measured - rate) / rate <= 0.10, f"{measured:.2f} requests/s for a limit of {rate}"
    busy = {c.worker async for c in ledger.chunks(job.id)}
    assert len(busy) == 3  # every worker took part


@pytest.mark.slow
async def test_a_stopped_distributed_job_resumes_on_a_second_submit(
    tmp_path: Path,
    redis_server: RedisServer,
    emulator_process: EmulatorProcess,
    workers: Workers,
    ledger: RedisLedger,
) -> None:
    ids = emulator_process.contacts[:2000]
    tag_id = await create_tag(emulator_process, "stopped")
    job = await jobs.Job.create(
        ledger, "tags.add_members", tag_id, write_lines(tmp_path / "ids.txt", ids), chunk_size=10
    )
    workers.start(2, concurrency=2)
    broker = make_broker(redis_server.url)
    await broker.startup()
    try:
        await submit(job, broker)
        for _ in range(500):
            if (await job.status()).done >= 300:
                break
            await asyncio.sleep(0.02)
        await job.request_stop()
        stopped = await wait(job, broker, poll=0.1, timeout=60)
        assert not stopped.finished
        assert stopped.in_flight == 0
        assert 300 <= stopped.done < len(ids)
        await asyncio.sleep(0.5)
        assert (await job.status()).done == stopped.done  # nothing is sent while stopped
        # The chunks left pending are enqueued again (deliveries still queued from the
        # first submit may take some first: a chunk is claimed once either way).
        assert 0 < await submit(job, broker) <= stopped.chunks[jobs.ChunkState.PENDING]
        status = await wait(job, broker, poll=0.2, timeout=120)
    finally:
        await broker.shutdown()
    assert status.ok
    assert sorted(emulator_process.admin(f"/tags/{tag_id}")) == sorted(ids)
    await assert_exact(job, ids)


@pytest.mark.slow
async def test_the_taskiq_worker_command_runs_a_job(
    tmp_path: Path,
    redis_server: RedisServer,
    emulator_process: EmulatorProcess,
    workers: Workers,
    ledger: RedisLedger,
) -> None:
    ids = emulator_process.contacts[:500]
    tag_id = await create_tag(emulator_process, "via_taskiq")
    job = await jobs.Job.create(ledger, "tags.add_members", tag_id, ids, chunk_size=50)
    workers.start_taskiq()
    broker = make_broker(redis_server.url)
    await broker.startup()
    try:
        assert await submit(job, broker) == 10
        status = await wait(job, broker, poll=0.2, timeout=120)
    finally:
        await broker.shutdown()
    assert status.ok
    assert status.applied == 500
    assert sorted(emulator_process.admin(f"/tags/{tag_id}")) == sorted(ids)
    # What a supervisor sends: the manager passes it on and the worker stops (taskiq
    # 0.13's own signal handling left it waiting on Redis forever; see
    # mailseg.jobs.taskiq._taskiq_signals_through_the_loop). 30 s only bounds a hang.
    manager = workers.processes[0]
    manager.send_signal(signal.SIGTERM)
    assert await asyncio.to_thread(manager.wait, 30) == 0
    with pytest.raises(ProcessLookupError):  # its worker process is gone too
        os.killpg(manager.pid, 0)


@pytest.mark.slow
async def test_the_readme_example_runs_on_two_workers(
    tmp_path: Path,
    redis_server: RedisServer,
    emulator_process: EmulatorProcess,
    workers: Workers,
) -> None:
    ids = emulator_process.contacts
    csv_path = tmp_path / "contacts.csv"
    csv_path.write_text("id\n" + "".join(f"{i}\n" for i in ids), encoding="utf-8")
    workers.start(2, concurrency=8)
    example = await asyncio.create_subprocess_exec(
        sys.executable,
        "examples/durable_job.py",
        "--redis", redis_server.url, "--job", "import-2", "--tag", "imported2",
        str(csv_path), "--column", "id",
        cwd=ROOT,
        env=emulator_process.env(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(example.communicate(), timeout=120)
    assert example.returncode == 0, err.decode()
    assert out.decode().strip().splitlines()[-1].startswith("finished  done 3,000/3,000")
    async with RedisLedger(redis_server.url) as ledger:
        status = await ledger.status("import-2")
        workers_seen = {c.worker async for c in ledger.chunks("import-2")}
    assert sorted(emulator_process.admin(f"/tags/{status.target}")) == sorted(ids)
    assert workers_seen <= {workers.name(0), workers.name(1)}  # 3 chunks: one may do all


async def test_a_redis_url_that_refuses_connections_is_a_clear_error() -> None:
    port = free_port()
    async with RedisLedger(f"redis://:s3cret-pass@127.0.0.1:{port}/0", retries=0) as ledger:
        with pytest.raises(jobs.LedgerError) as caught:
            await jobs.Job.create(ledger, "tags.add_members", "t1", ["a"])
    message = str(caught.value)
    assert f"redis://:***@127.0.0.1:{port}/0" in message
    assert "s3cret-pass" not in message
    assert caught.value.__cause__ is None
    assert "s3cret-pass" not in repr(ledger)
