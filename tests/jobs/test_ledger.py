"""The SQLite ledger: the job's truth, exact by construction, and careful with other files."""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter
from contextlib import closing
from pathlib import Path

import pytest

from mailseg import jobs
from mailseg.jobs.ledger import LEDGER_FORMAT
from mailseg.testing import Emulator
from tests.jobs.conftest import write_lines


async def assert_exact(job: jobs.Job, source_ids: list[str]) -> jobs.JobStatus:
    """Every id of the source in exactly one chunk, and the sums equal to the chunks."""
    status = await job.status()
    records = [chunk async for chunk in job.chunks()]
    seen = Counter(member for chunk in records for member in chunk.ids)
    assert seen == Counter(source_ids)
    assert [chunk.seq for chunk in records] == list(range(len(records)))
    assert status.requested == sum(chunk.size for chunk in records) == len(source_ids)
    assert status.requested == (
        status.applied + status.unapplied + status.failed + status.pending + status.in_flight
    )
    succeeded = [c for c in records if c.state is jobs.ChunkState.SUCCEEDED]
    assert status.applied == sum(c.count or 0 for c in succeeded)
    assert status.unapplied == sum(c.unapplied for c in succeeded)
    assert status.failed == sum(c.size for c in records if c.state is jobs.ChunkState.FAILED)
    assert sum(status.chunks.values()) == len(records)
    return status


async def test_the_ledger_accounts_for_every_id_and_reports_the_shortfall(
    ledger: jobs.SqliteLedger, tmp_path: Path
) -> None:
    async with Emulator("sendcloud", contacts=900, seed=2) as emu, emu.client() as client:
        tag = await client.tags.create("ledger_exact")
        known = [c.id for c in emu.contacts]
        # The emulator counts ids that name a contact (tagged before or not), and not
        # ids it does not know: those are the shortfall.
        await client.tags.add_members(tag.id, known[:100])
        unknown = [f"ffff{i:020d}" for i in range(50)]  # unknown to the provider
        ids = known + unknown
        path = write_lines(tmp_path / "ids.txt", ids)
        job = await jobs.Job.create(ledger, "tags.add_members", tag.id, path, chunk_size=100)
        status = await job.run(client)
        assert status.state is jobs.JobState.FINISHED
        assert status.ok
        assert (status.applied, status.unapplied, status.failed) == (900, 50, 0)
        await assert_exact(job, ids)
        assert sorted(emu.tag_member_ids(tag.id)) == sorted(known)
        first, last = await ledger.chunk(job.id, 0), await ledger.chunk(job.id, 9)
        assert (first.count, first.unapplied, first.attempts) == (100, 0, 1)
        assert (last.ids, last.count, last.unapplied) == (tuple(unknown), 0, 50)
        # The job's last change is its last chunk's end (moved once per commit).
        ends = [chunk.finished_at async for chunk in job.chunks()]
        assert None not in ends
        recorded = await jobs.Job.open(ledger, job.id)
        assert (await recorded.status()).updated_at == max(ends)  # type: ignore[type-var]


async def test_a_ledger_of_another_job_is_named(ledger: jobs.SqliteLedger) -> None:
    await jobs.Job.create(ledger, "tags.add_members", "t1", ["a"], job_id="first")
    with pytest.raises(jobs.JobNotFoundError) as caught:
        await jobs.Job.open(ledger, "second")
    assert caught.value.job_id == "second"
    assert "holds no job 'second' (its jobs: first)" in str(caught.value)
    with pytest.raises(jobs.JobConflictError, match=r"job first .* is another job"):
        await jobs.Job.create(ledger, "tags.remove_members", "t1", ["a"], job_id="first")
    # The same job again is found, not duplicated.
    again = await jobs.Job.create(ledger, "tags.add_members", "t1", ["b"], job_id="first")
    assert again.spec.operation is jobs.Operation.TAG_ADD
    assert [s.job_id for s in await ledger.list_jobs()] == ["first"]


async def test_a_newer_ledger_format_is_refused_and_left_untouched(ledger_path: Path) -> None:
    async with jobs.SqliteLedger(ledger_path) as ledger:
        await jobs.Job.create(ledger, "tags.add_members", "t1", ["a"], job_id="j")
    with closing(sqlite3.connect(ledger_path)) as db, db:
        db.execute("UPDATE mailseg_ledger SET value = ? WHERE key = 'format'", (LEDGER_FORMAT + 1,))
    before = ledger_path.read_bytes()  # noqa: ASYNC240 - a small file, read to compare
    async with jobs.SqliteLedger(ledger_path) as ledger:
        with pytest.raises(jobs.LedgerFormatError) as caught:
            await jobs.Job.open(ledger, "j")
    assert caught.value.ledger == str(ledger_path)
    assert f"format {LEDGER_FORMAT + 1} by a newer mailseg" in str(caught.value)
    assert ledger_path.read_bytes() == before  # noqa: ASYNC240


async def test_a_file_that_is_not_a_ledger_is_refused_and_left_untouched(tmp_path: Path) -> None:
    other = tmp_path / "app.sqlite"
    with closing(sqlite3.connect(other)) as db, db:
        db.execute("CREATE TABLE users (name TEXT)")
    before = other.read_bytes()
    text = tmp_path / "notes.txt"
    text.write_text("hello " * 200, encoding="utf-8")
    for path, message in ((other, "not a mailseg ledger"), (text, "is not a SQLite database")):
        async with jobs.SqliteLedger(path) as ledger:
            with pytest.raises(jobs.LedgerError, match=message):
                await ledger.list_jobs()
    assert other.read_bytes() == before
    async with jobs.SqliteLedger(tmp_path / "absent.sqlite", create=False) as ledger:
        with pytest.raises(jobs.LedgerError, match="no such ledger file"):
            await ledger.list_jobs()
    assert not (tmp_path / "absent.sqlite").exists()


async def test_an_unreadable_source_records_nothing(
    ledger: jobs.SqliteLedger, tmp_path: Path
) -> None:
    with pytest.raises(jobs.SourceError):
        await jobs.Job.create(ledger, "tags.add_members", "t1", tmp_path / "missing.txt")
    path = tmp_path / "crm.csv"
    path.write_text("name\nA\n", encoding="utf-8")
    with pytest.raises(jobs.SourceError, match="no column 'id'"):
        await jobs.Job.create(ledger, "tags.add_members", "t1", path, column="id")
    assert await ledger.list_jobs() == []


async def test_bad_job_options_are_named_before_anything_is_recorded(
    ledger: jobs.SqliteLedger,
) -> None:
    for kwargs, parameter in (
        ({"chunk_size": 1001}, "chunk_size"),
        ({"max_concurrency": 0}, "max_concurrency"),
        ({"rate_limit": -1}, "rate_limit"),
        ({"job_id": "no spaces"}, "job_id"),
    ):
        with pytest.raises(jobs.JobError.__bases__[0]) as caught:  # a MailsegError
            await jobs.Job.create(ledger, "tags.add_members", "t1", ["a"], **kwargs)  # type: ignore[arg-type]
        assert getattr(caught.value, "parameter", None) == parameter
    with pytest.raises(ValueError, match="operation: must be one of"):
        await jobs.Job.create(ledger, "tags.explode", "t1", ["a"])
    assert await ledger.list_jobs() == []


def files_holding(folder: Path, secret: bytes) -> list[str]:
    return [path.name for path in folder.iterdir() if secret in path.read_bytes()]


async def test_the_ledger_file_holds_no_credential(ledger_path: Path, tmp_path: Path) -> None:
    emulator = Emulator("sendcloud", contacts=300, api_key="k3y-never-written")
    async with emulator as emu, emu.client() as client, jobs.SqliteLedger(ledger_path) as ledger:
        tag = await client.tags.create("secretless")
        ids = [c.id for c in emu.contacts]
        job = await jobs.Job.create(
            ledger, "tags.add_members", tag.id, ids, provider=client.provider
        )
        assert (await job.run(client)).ok
    assert files_holding(tmp_path, b"k3y-never-written") == []
    assert files_holding(tmp_path, b"emulator_user") == []
    assert ledger_path.name in {path.name for path in tmp_path.iterdir()}  # noqa: ASYNC240


def test_many_openers_of_a_new_file_at_once_agree_on_one_schema(tmp_path: Path) -> None:
    # A job starting while `mailseg jobs status` opens the same new file: each finds it
    # empty; only one may create the schema, and none may fail.
    path = tmp_path / "new.sqlite"
    openers = 8
    start = threading.Barrier(openers)
    failures: list[BaseException] = []

    def open_it() -> None:
        start.wait()
        try:
            jobs.SqliteLedger(path)._connect().close()
        except BaseException as exc:  # collected, and asserted below
            failures.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(openers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    with closing(sqlite3.connect(path)) as db, db:
        rows = db.execute("SELECT key, value FROM mailseg_ledger ORDER BY key").fetchall()
    assert [key for key, _ in rows] == ["created_at", "format"]
    assert dict(rows)["format"] == str(LEDGER_FORMAT)


async def test_a_batch_whose_commit_fails_is_reported_and_leaves_nothing_behind(
    ledger: jobs.SqliteLedger, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mailseg.jobs import sqlite as sqlite_ledger
    from mailseg.jobs.ledger import NewChunk
    from mailseg.jobs.model import ChunkOp

    job = await jobs.Job.create(ledger, "tags.add_members", "t1", ["a", "b"], chunk_size=1)
    commit = sqlite_ledger._Connection.commit
    failures = [sqlite3.OperationalError("disk I/O error")]

    def failing_once(db: sqlite3.Connection) -> None:
        if failures:
            raise failures.pop()
        commit(db)

    monkeypatch.setattr(sqlite_ledger._Connection, "commit", failing_once)
    first = NewChunk(0, ChunkOp.TAG_ADD, 0, ("a",), None)
    with pytest.raises(jobs.LedgerError, match="disk I/O error"):
        await ledger.add_chunks(job.id, [first], taken=1, source_done=False)
    # The next batch commits; the failed one's chunk must not land with it.
    second = NewChunk(1, ChunkOp.TAG_ADD, 1, ("b",), None)
    await ledger.add_chunks(job.id, [second], taken=2, source_done=True)
    assert [chunk.seq async for chunk in job.chunks()] == [1]
