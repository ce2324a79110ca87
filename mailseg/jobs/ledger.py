"""What a job's ledger must answer, whichever store keeps it (SQLite here, Redis for workers).

The ledger is a job's truth. It records the job's spec (never a credential), how far
its source was read, and every chunk: its ids, its state, the provider's count, the
last error's class and message, its attempts and times. A chunk is recorded in the
same write as the source position past it, so a process killed at any moment leaves
either both or neither: nothing read is lost, nothing is recorded twice.
"""

from __future__ import annotations

import abc
import asyncio
import os
import socket
from collections.abc import AsyncIterator, Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

import attrs

from mailseg.errors import MailsegError, ValidationError
from mailseg.jobs.errors import JobConflictError
from mailseg.jobs.model import ChunkOp, ChunkRecord, ChunkState, JobSpec, JobState, JobStatus

#: The ledger format this version writes; it refuses to touch a newer one.
LEDGER_FORMAT = 1


def worker_name() -> str:
    """Who is running a chunk: ``host:pid`` (recorded with the chunk)."""
    return f"{socket.gethostname()}:{os.getpid()}"


@attrs.frozen
class NewChunk:
    """A chunk to record: fresh from the source, or from a sync job's plan.

    Attributes:
        seq: its number in the job.
        op: its request.
        start: where its first id is in the source (or the plan).
        ids: its ids.
        error: a `ValidationError` when it holds a bad entry: then it is recorded
            failed and never sent.
        sent: record it in flight already (it is being sent right now).
    """

    seq: int
    op: ChunkOp
    start: int
    ids: tuple[str, ...]
    error: ValidationError | None = None
    sent: bool = False


@attrs.frozen
class Position:
    """How far a job's source was read.

    Attributes:
        taken: source entries recorded in chunks.
        source_done: the source was read to its end.
        next_seq: the number of the next chunk.
    """

    taken: int
    source_done: bool
    next_seq: int


def conflict(location: str, recorded: JobSpec) -> JobConflictError:
    """The error for a job id that the ledger at ``location`` holds for other work."""
    return JobConflictError(
        f"job {recorded.job_id} in {location} is another job ({recorded.operation.value} "
        f"{recorded.target} from {recorded.source_description}): choose another job id"
    )


def error_fields(error: MailsegError) -> tuple[str, str, str | None]:
    """An error as the ledger records it: class, message, and the parameter it names."""
    return type(error).__name__, str(error), getattr(error, "parameter", None)


class Ledger(abc.ABC):
    """A store of jobs and their chunks. `SqliteLedger` and `RedisLedger` implement it.

    Every method that writes returns once the write is durable in the store (against
    a killed process; against a power loss, as durable as the store is configured).
    """

    #: Where it is, for messages: a path, or a Redis URL without its password.
    location: str

    @abc.abstractmethod
    async def create_job(self, spec: JobSpec) -> JobSpec:
        """Record a new job, or return the recorded spec of the same job.

        Raises:
            JobConflictError: the id is taken by another job.
        """

    @abc.abstractmethod
    async def load_job(self, job_id: str) -> JobSpec:
        """The spec of a recorded job.

        Raises:
            JobNotFoundError: no such job in this ledger.
        """

    @abc.abstractmethod
    async def list_jobs(self) -> list[JobSpec]:
        """Every job recorded, oldest first."""

    @abc.abstractmethod
    async def position(self, job_id: str) -> Position:
        """How far the job's source was read."""

    @abc.abstractmethod
    async def add_chunks(
        self, job_id: str, chunks: Sequence[NewChunk], *, taken: int, source_done: bool
    ) -> None:
        """Record chunks and the source position past them, in one write."""

    def add_chunks_soon(
        self,
        job_id: str,
        chunks: Sequence[NewChunk],
        *,
        taken: int,
        source_done: bool,
        after: Awaitable[None] | None = None,
    ) -> asyncio.Future[None]:
        """`add_chunks` started now, after ``after`` (the previous write): a future.

        A runner records a chunk while it sends it; the writes of new chunks must land in
        order, since each moves the source position. A store that keeps its writes in
        order anyway (`SqliteLedger`) overrides this to skip the wait.
        """

        async def write() -> None:
            if after is not None:
                await after
            await self.add_chunks(job_id, chunks, taken=taken, source_done=source_done)

        return asyncio.ensure_future(write())

    def mark_soon(
        self,
        job_id: str,
        seq: int,
        outcome: int | MailsegError,
        *,
        after: Awaitable[None] | None = None,
    ) -> asyncio.Future[None]:
        """`mark_succeeded` (a count) or `mark_failed` (an error), after ``after`` (the
        chunk's own record): a future."""

        async def write() -> None:
            if after is not None:
                await after
            if isinstance(outcome, MailsegError):
                await self.mark_failed(job_id, seq, outcome)
            else:
                await self.mark_succeeded(job_id, seq, outcome)

        return asyncio.ensure_future(write())

    @abc.abstractmethod
    async def reset_chunks(self, job_id: str) -> None:
        """Forget every chunk and the source position (a sync job's plan, redone from scratch
        when a run was killed before the plan was recorded whole; nothing was sent)."""

    @abc.abstractmethod
    async def mark_sent(self, job_id: str, seq: int, worker: str) -> None:
        """The chunk is being sent: in flight, one more attempt."""

    @abc.abstractmethod
    async def mark_succeeded(self, job_id: str, seq: int, count: int) -> None:
        """The chunk was applied; ``count`` is the provider's."""

    @abc.abstractmethod
    async def mark_failed(self, job_id: str, seq: int, error: MailsegError) -> None:
        """The chunk failed (after the client's retries) with ``error``."""

    @abc.abstractmethod
    async def chunk(self, job_id: str, seq: int) -> ChunkRecord:
        """One chunk."""

    @abc.abstractmethod
    def chunks(
        self, job_id: str, states: Sequence[ChunkState] | None = None
    ) -> AsyncIterator[ChunkRecord]:
        """The job's chunks in order, optionally only those in ``states``."""

    @abc.abstractmethod
    async def unfinished(self, job_id: str) -> list[int]:
        """The numbers of the chunks a run must send: pending, in flight, or failed by
        something else than a bad id (a bad id would fail again: it stays failed)."""

    @abc.abstractmethod
    async def begin_run(self, job_id: str) -> None:
        """A run starts: clear a stop request and note the time and ids done (for the rate)."""

    @abc.abstractmethod
    async def request_stop(self, job_id: str) -> None:
        """Ask whoever runs the job to stop after the chunks in flight."""

    @abc.abstractmethod
    async def stop_requested(self, job_id: str) -> bool:
        """True when a stop was asked since the run began."""

    @abc.abstractmethod
    async def status(self, job_id: str) -> JobStatus:
        """The job's accounting, summed over its chunks."""

    @abc.abstractmethod
    def running(self, job_id: str) -> AbstractAsyncContextManager[None]:
        """Hold the job for one local run.

        Raises:
            JobConflictError: another process runs it now.
        """

    @abc.abstractmethod
    async def close(self) -> None:
        """Release the store's connections."""

    async def __aenter__(self) -> Ledger:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()


def summarize(
    spec: JobSpec, job: tuple[Any, ...], rows: Sequence[tuple[Any, ...]], *, running: bool
) -> JobStatus:
    """A `JobStatus` from a job's record and its chunks' sums per state.

    ``job`` is ``(source_done, updated_at, run_started_at, ids_done_at_run_start, runs)``;
    each row ``(state, chunks, ids, counted, shortfall)``.
    """
    source_done, updated_at, run_started_at, done_at_start, runs = job
    chunks = {state: 0 for state in ChunkState}
    ids = {state: 0 for state in ChunkState}
    applied = unapplied = 0
    for state, count, size, counted, shortfall in rows:
        key = ChunkState(state)
        chunks[key] = count
        ids[key] = size
        if key is ChunkState.SUCCEEDED:
            applied, unapplied = counted, shortfall
    requested = sum(ids.values())
    done = ids[ChunkState.SUCCEEDED] + ids[ChunkState.FAILED]
    finished = bool(source_done) and not ids[ChunkState.PENDING] and not ids[ChunkState.IN_FLIGHT]
    if finished:
        state = JobState.FINISHED
    elif running:
        state = JobState.RUNNING
    elif runs or requested:
        state = JobState.STOPPED
    else:
        state = JobState.CREATED
    rate = eta = None
    if run_started_at and updated_at and updated_at > run_started_at and done > done_at_start:
        rate = (done - done_at_start) / (updated_at - run_started_at)
        if source_done:
            eta = (requested - done) / rate
    return JobStatus(
        job_id=spec.job_id,
        operation=spec.operation,
        target=spec.target,
        state=state,
        requested=requested,
        applied=applied,
        unapplied=unapplied,
        failed=ids[ChunkState.FAILED],
        pending=ids[ChunkState.PENDING],
        in_flight=ids[ChunkState.IN_FLIGHT],
        chunks=chunks,
        source_done=bool(source_done),
        rate=rate,
        eta=eta,
        updated_at=updated_at,
    )
