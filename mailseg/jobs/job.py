"""`Job`: a durable bulk operation with an id, run, stopped, resumed and inspected
through its ledger."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING

from mailseg.jobs import sources as _sources
from mailseg.jobs.errors import LedgerError
from mailseg.jobs.ledger import Ledger
from mailseg.jobs.model import (
    MAX_CHUNK_SIZE,
    ChunkRecord,
    ChunkState,
    JobSpec,
    JobStatus,
    Operation,
    new_job_id,
)
from mailseg.jobs.runner import ProgressCallback, run_local

if TYPE_CHECKING:
    from mailseg import Client

SourceLike = _sources.SourceLike


class Job:
    """One durable bulk job. Make it with `Job.create`, find it again with `Job.open`.

    Attributes:
        spec: what the job is (`JobSpec`), as its ledger records it.
        ledger: where it is recorded.
    """

    def __init__(self, ledger: Ledger, spec: JobSpec, source: _sources.Source | None) -> None:
        self.ledger = ledger
        self.spec = spec
        self._source = source
        self._stop = asyncio.Event()

    def __repr__(self) -> str:
        return (
            f"<mailseg.jobs.Job {self.id} {self.spec.operation.value} {self.spec.target} "
            f"in {self.ledger.location}>"
        )

    @property
    def id(self) -> str:
        """The job's id."""
        return self.spec.job_id

    @property
    def source(self) -> _sources.Source | None:
        """The source this object was created with (None for a job opened from a ledger)."""
        return self._source

    @classmethod
    async def create(
        cls,
        ledger: Ledger,
        operation: Operation | str,
        target: str,
        source: SourceLike,
        *,
        job_id: str | None = None,
        chunk_size: int = MAX_CHUNK_SIZE,
        max_concurrency: int = 8,
        rate_limit: float | None = None,
        provider: str | None = None,
        column: str | None = None,
        field: str | None = None,
    ) -> Job:
        """Record a new job in ``ledger`` (or find the same job there) and return it.

        Nothing is sent: `run` it here, or `mailseg.jobs.taskiq.submit` it to workers.
        The source is checked first (a missing file, a missing CSV column): a job whose
        source cannot be read is never recorded.

        Args:
            ledger: where to record it.
            operation: an `Operation` or its value (``"tags.add_members"``).
            target: the tag or segment id.
            source: a path, ``"-"``, ``"segment:<id>"``, ``"tag:<id>"``, a `Source`, or an
                iterable of ids (see `mailseg.jobs.source_from`).
            job_id: its id; a fresh one when None. Creating a job again with the same id
                and the same work returns the recorded job (so a script can be rerun).
            chunk_size: ids per request, up to 1000.
            max_concurrency: requests in flight at once, in each process running it.
            rate_limit: requests per second for the whole job, or None.
            provider: the provider it is for (recorded; a client of another is refused).
            column, field: the CSV column or JSON Lines field holding the ids.

        Raises:
            ValidationError: a bad argument (named).
            SourceError: the source cannot be read.
            JobConflictError: ``job_id`` is taken by another job.
        """
        found = _sources.source_from(source, column=column, field=field)
        spec = JobSpec(
            job_id=new_job_id() if job_id is None else job_id,
            operation=operation,
            target=target,
            source=found.spec(),
            source_description=found.description,
            chunk_size=chunk_size,
            max_concurrency=max_concurrency,
            rate_limit=rate_limit,
            provider=provider,
        )
        found.check()
        recorded = await ledger.create_job(spec)
        return cls(ledger, recorded, found)

    @classmethod
    async def open(cls, ledger: Ledger, job_id: str) -> Job:
        """The job ``job_id`` recorded in ``ledger``.

        Raises:
            JobNotFoundError: the ledger holds no such job.
        """
        return cls(ledger, await ledger.load_job(job_id), None)

    async def run(
        self,
        client: Client,
        *,
        source: SourceLike | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> JobStatus:
        """Run the job in this process, or resume it: only what did not succeed is sent.

        Chunks recorded pending or in flight (a killed run) and failed chunks are sent
        again, then the source is read on from where the ledger says it stopped. A chunk
        failed by a bad id stays failed (it would fail again). A failed chunk does not
        raise: the returned status says how many ids failed (``status.failed``) and
        `failed_ids` lists them.

        Args:
            client: the account to run against (its retries and timeouts apply).
            source: the source again, for a resume of a job whose source cannot be
                read from the ledger (an iterable, standard input).
            on_progress: called with a `JobStatus` after every chunk.

        Returns:
            The job's status from the ledger once the run ends (finished, or stopped).

        Raises:
            JobConflictError: another process runs this job now.
            SourceError: the source cannot be read (again).
            ConfigurationError: the client is for another provider than the job.
        """
        self._stop.clear()
        found = self._source if source is None else _sources.source_from(source)
        return await run_local(
            self.ledger, self.spec, client, found, on_progress=on_progress, stop=self._stop
        )

    def stop(self) -> None:
        """Ask a run of this job in this process to stop after its chunks in flight."""
        self._stop.set()

    async def request_stop(self) -> None:
        """Ask whoever runs this job (any process, any worker) to stop, through the ledger."""
        await self.ledger.request_stop(self.id)

    async def status(self) -> JobStatus:
        """The job's accounting now, from its ledger."""
        return await self.ledger.status(self.id)

    def chunks(self, states: Sequence[ChunkState] | None = None) -> AsyncIterator[ChunkRecord]:
        """The job's chunks from the ledger, in order (only those in ``states`` if given)."""
        return self.ledger.chunks(self.id, states)

    async def failed_ids(self) -> AsyncIterator[str]:
        """Every id of every failed chunk, in order: what did not reach the provider."""
        async for chunk in self.ledger.chunks(self.id, [ChunkState.FAILED]):
            for member in chunk.ids:
                if member:
                    yield member


def open_ledger(location: str | os.PathLike[str], *, create: bool = True) -> Ledger:
    """The ledger at ``location``: a SQLite file path, or a ``redis://`` URL.

    A Redis ledger needs the ``jobs-redis`` extra (``pip install 'mailseg[jobs-redis]'``).
    """
    text = os.fspath(location)
    if text.startswith(("redis://", "rediss://", "unix://")):
        from mailseg.jobs.redis import RedisLedger  # the extra is imported only when used

        return RedisLedger(text)
    if "://" in text:
        raise LedgerError(text, "is neither a file path nor a redis:// URL")
    from mailseg.jobs.sqlite import SqliteLedger

    return SqliteLedger(text, create=create)


async def list_jobs(ledger: Ledger) -> list[JobStatus]:
    """The status of every job in ``ledger``, oldest first."""
    return [await ledger.status(spec.job_id) for spec in await ledger.list_jobs()]
