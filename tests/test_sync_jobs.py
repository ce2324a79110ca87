"""mailseg.sync.jobs: durable jobs from the blocking client, against the emulator."""

from __future__ import annotations

import inspect
import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path

import pytest

import mailseg
import mailseg.sync
from mailseg import jobs as async_jobs
from mailseg.jobs import ChunkState, JobState
from mailseg.sync import jobs
from mailseg.testing import Faults
from tests.conftest import ThreadedEmulator


@pytest.fixture
def client(threaded_emulator: ThreadedEmulator) -> Iterator[mailseg.sync.Client]:
    emu = threaded_emulator.emulator
    with mailseg.sync.connect(
        emu.provider, base_url=emu.base_url, max_retries=0, **emu.credentials
    ) as client:
        yield client


def _ids(emu: ThreadedEmulator, count: int) -> list[str]:
    return [contact.id for contact in emu.emulator.contacts[:count]]


def test_a_job_runs_fails_exactly_and_resumes(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    emu = threaded_emulator.emulator
    tag = client.tags.create("sync_job")
    ids = _ids(threaded_emulator, 250)
    source = tmp_path / "ids.txt"
    source.write_text("\n".join(ids) + "\n", encoding="utf-8")

    with jobs.open_ledger(tmp_path / "jobs.sqlite", client=client) as ledger:
        job = jobs.Job.create(
            ledger, "tags.add_members", tag.id, source, job_id="j1", chunk_size=100,
            max_concurrency=1,
        )  # fmt: skip
        assert job.id == "j1"
        # The second request (chunk 2, ids 100..199) fails and is not retried (max_retries=0).
        emu.faults = Faults(schedule={1: "500"})
        status = job.run(client)
        assert status.state is JobState.FINISHED
        assert (status.requested, status.applied, status.failed) == (250, 150, 100)
        assert list(job.failed_ids()) == ids[100:200]
        assert [chunk.state for chunk in job.chunks()] == [
            ChunkState.SUCCEEDED,
            ChunkState.FAILED,
            ChunkState.SUCCEEDED,
        ]
        assert set(emu.tag_member_ids(tag.id)) == set(ids[:100] + ids[200:])

        emu.faults = Faults()
        emu.clear_requests()
        again = jobs.Job.open(ledger, "j1").run(client.with_options(max_retries=1))
        assert (again.applied, again.failed, again.requested) == (250, 0, 250)
        assert len(emu.requests) == 1  # only the failed chunk was sent again
        assert list(job.failed_ids()) == []
        assert set(emu.tag_member_ids(tag.id)) == set(ids)
        assert job.status() == again
        assert [s.job_id for s in jobs.list_jobs(ledger)] == ["j1"]
    client.tags.delete(tag.id)


def test_tags_sync_plan_is_a_dry_run_then_the_job_makes_the_tag_exact(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    emu = threaded_emulator.emulator
    ids = _ids(threaded_emulator, 120)
    tag = client.tags.create("sync_exact")
    client.tags.add_members(tag.id, ids[:80])  # A = 0..79, B = 40..119
    plan = jobs.plan_sync(client, tag.id, ids[40:], with_ids=True)
    assert (plan.current, plan.desired, plan.to_add, plan.to_remove) == (80, 80, 40, 40)
    assert plan.add_ids is not None
    assert set(plan.add_ids) == set(ids[80:])
    assert set(emu.tag_member_ids(tag.id)) == set(ids[:80])  # nothing written

    with jobs.open_ledger(tmp_path / "jobs.sqlite", client=client) as ledger:
        status = jobs.Job.create(ledger, "tags.sync", tag.id, ids[40:]).run(client)
    assert status.state is JobState.FINISHED
    assert set(emu.tag_member_ids(tag.id)) == set(ids[40:])
    client.tags.delete(tag.id)


def test_stop_from_another_thread_then_resume(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    emu = threaded_emulator.emulator
    ids = _ids(threaded_emulator, 300)
    tag = client.tags.create("sync_stop")
    first_chunk = threading.Event()
    with jobs.open_ledger(tmp_path / "jobs.sqlite", client=client) as ledger:
        job = jobs.Job.create(
            ledger, "tags.add_members", tag.id, ids, chunk_size=10, max_concurrency=1
        )
        emu.faults = Faults(latency=0.02)
        with ThreadPoolExecutor(1) as pool:
            running = pool.submit(job.run, client, on_progress=lambda _: first_chunk.set())
            assert first_chunk.wait(10)
            job.stop()  # from this thread, while run() blocks the pool's
            stopped = running.result(timeout=30)
        assert stopped.state is JobState.STOPPED
        assert 0 < stopped.applied < 300
        emu.faults = Faults()
        # An iterable source is not in the ledger: a resume is given it again.
        done = job.run(client, source=ids)
        assert (done.state, done.applied, done.failed) == (JobState.FINISHED, 300, 0)
    assert set(emu.tag_member_ids(tag.id)) == set(ids)
    client.tags.delete(tag.id)


def test_the_wrong_client_is_refused_by_name_before_anything_runs(
    client: mailseg.sync.Client, threaded_emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    emu = threaded_emulator.emulator
    with jobs.open_ledger(tmp_path / "jobs.sqlite", client=client) as ledger:
        job = jobs.Job.create(ledger, "tags.add_members", "t1", ["a"], job_id="wrong")
        other = mailseg.sync.connect(emu.provider, base_url=emu.base_url, **emu.credentials)
        with other, pytest.raises(mailseg.ValidationError, match=r"another mailseg\.sync") as e:
            job.run(other)
        assert e.value.parameter == "client"
        async_client = mailseg.connect(emu.provider, base_url=emu.base_url, **emu.credentials)
        with pytest.raises(mailseg.ValidationError, match=r"expected a mailseg\.sync\.Client"):
            jobs.plan_sync(async_client, "t1", ["a"])  # type: ignore[arg-type]
        assert job.status().state is JobState.CREATED  # nothing was sent or recorded
        with pytest.raises(async_jobs.JobNotFoundError):
            jobs.Job.open(ledger, "nope")


def test_closing_the_client_closes_its_ledgers_and_leaves_no_thread(
    threaded_emulator: ThreadedEmulator, tmp_path: Path
) -> None:
    emu = threaded_emulator.emulator
    before = set(threading.enumerate())
    client = mailseg.sync.connect(emu.provider, base_url=emu.base_url, **emu.credentials)
    ledger = jobs.open_ledger(tmp_path / "jobs.sqlite", client=client)
    jobs.Job.create(ledger, "tags.add_members", "t1", ["a", "b"], job_id="kept")
    assert set(threading.enumerate()) != before  # the loop thread and SQLite's writer
    client.close()  # without closing the ledger first
    assert set(threading.enumerate()) == before
    ledger.close()  # after the client: nothing left to do, no error
    with pytest.raises(mailseg.ConfigurationError, match="closed"):
        jobs.open_ledger(tmp_path / "jobs.sqlite", client=client)
    # What was written is on disk, readable by anyone.
    with closing(sqlite3.connect(tmp_path / "jobs.sqlite")) as db, db:
        assert db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1


def test_every_async_job_method_has_a_sync_twin_with_its_signature() -> None:
    public = {
        name
        for name, value in vars(async_jobs.Job).items()
        if not name.startswith("_") and callable(getattr(async_jobs.Job, name))
    }
    declared = {name for name in vars(jobs.Job) if not name.startswith("_")}
    assert public <= declared
    for name in public:
        async_params = inspect.signature(getattr(async_jobs.Job, name)).parameters
        sync_params = inspect.signature(getattr(jobs.Job, name)).parameters
        assert list(sync_params) == list(async_params), name
    for function in ("open_ledger", "list_jobs", "plan_sync"):
        assert hasattr(jobs, function)
