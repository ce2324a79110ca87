"""The local runner: a job's chunks sent through one client, recorded in its ledger.

A run first sends again what the ledger says did not succeed (pending, in flight
when a previous run died, failed), then reads the source on from where the ledger
says it stopped. Each chunk goes out through the client's own bulk call (its
transport, retries and accounting), at most ``max_concurrency`` at a time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import TYPE_CHECKING

from mailseg.errors import ConfigurationError, MailsegError
from mailseg.jobs import sources as _sources
from mailseg.jobs.ledger import Ledger, NewChunk, worker_name
from mailseg.jobs.model import (
    ChunkOp,
    ChunkRecord,
    ChunkState,
    JobSpec,
    JobState,
    JobStatus,
    Operation,
)

if TYPE_CHECKING:
    from mailseg import Client

ProgressCallback = Callable[[JobStatus], object]

#: How often a run looks in the ledger for a stop asked by another process.
STOP_POLL = 0.5

_CHUNK_OPS = {
    Operation.TAG_ADD: ChunkOp.TAG_ADD,
    Operation.TAG_REMOVE: ChunkOp.TAG_REMOVE,
    Operation.SEGMENT_REMOVE: ChunkOp.SEGMENT_REMOVE,
}


async def send_chunk(client: Client, op: ChunkOp, target: str, ids: Sequence[str]) -> int:
    """Send one chunk through the client's bulk call; its count, or its error raised."""
    if op is ChunkOp.TAG_ADD:
        result = await client.tags.add_members(target, ids, max_concurrency=1, raise_on_error=False)
    elif op is ChunkOp.TAG_REMOVE:
        result = await client.tags.remove_members(
            target, ids, max_concurrency=1, raise_on_error=False
        )
    else:
        result = await client.segments.remove_members(
            target, ids, max_concurrency=1, raise_on_error=False
        )
    if result.failed:
        raise result.failed[0].error
    return result.succeeded


def check_provider(spec: JobSpec, client: Client) -> None:
    """Refuse a client of another provider than the job's."""
    if spec.provider is not None and spec.provider != client.provider:
        raise ConfigurationError(
            f"job {spec.job_id} is for provider {spec.provider!r}; this client is "
            f"for {client.provider!r}"
        )


class Pacer:
    """Spaces chunk requests ``1 / rate`` seconds apart within one local run."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0

    async def wait(self) -> None:
        now = time.monotonic()
        slot = max(now, self._next)
        self._next = slot + self.interval
        if slot > now:
            await asyncio.sleep(slot - now)


class _Counters:
    """The run's accounting in memory, seeded from the ledger, for ``on_progress``."""

    def __init__(self, status: JobStatus) -> None:
        self.base = status
        self.applied = status.applied
        self.unapplied = status.unapplied
        self.failed = status.failed
        self.pending = status.pending + status.in_flight
        self.in_flight = 0
        self.requested = status.requested
        self.chunks = {state: status.chunks.get(state, 0) for state in ChunkState}
        self.chunks[ChunkState.PENDING] = self.chunks.get(ChunkState.PENDING, 0) + self.chunks.get(
            ChunkState.IN_FLIGHT, 0
        )
        self.chunks[ChunkState.IN_FLIGHT] = 0
        self.source_done = status.source_done
        self.started = time.monotonic()
        self.done_at_start = status.done

    def move(self, frm: ChunkState, to: ChunkState, size: int) -> None:
        self.chunks[frm] = self.chunks.get(frm, 0) - 1
        self.chunks[to] = self.chunks.get(to, 0) + 1
        for state, sign in ((frm, -1), (to, 1)):
            if state is ChunkState.PENDING:
                self.pending += sign * size
            elif state is ChunkState.IN_FLIGHT:
                self.in_flight += sign * size
            elif state is ChunkState.FAILED:
                self.failed += sign * size

    def snapshot(self, state: JobState) -> JobStatus:
        done = self.applied + self.unapplied + self.failed
        elapsed = time.monotonic() - self.started
        rate = (done - self.done_at_start) / elapsed if elapsed > 0 else None
        eta = None
        if rate and self.source_done:
            eta = (self.requested - done) / rate
        return JobStatus(
            job_id=self.base.job_id,
            operation=self.base.operation,
            target=self.base.target,
            state=state,
            requested=self.requested,
            applied=self.applied,
            unapplied=self.unapplied,
            failed=self.failed,
            pending=self.pending,
            in_flight=self.in_flight,
            chunks=dict(self.chunks),
            source_done=self.source_done,
            rate=rate,
            eta=eta,
            updated_at=time.time(),
        )


async def run_local(
    ledger: Ledger,
    spec: JobSpec,
    client: Client,
    source: _sources.Source | None,
    *,
    on_progress: ProgressCallback | None = None,
    stop: asyncio.Event | None = None,
) -> JobStatus:
    """Run (or resume) a job in this process; see `Job.run`."""
    check_provider(spec, client)
    job_id = spec.job_id
    stop = stop or asyncio.Event()
    async with ledger.running(job_id):
        await ledger.begin_run(job_id)
        position = await ledger.position(job_id)
        if not position.source_done:
            source = _resolve_source(spec, source)
            if spec.operation is Operation.TAG_SYNC:
                from mailseg.jobs.sync import record_plan  # the plan needs the sync module

                await record_plan(ledger, spec, client, source)
                position = await ledger.position(job_id)
            elif source.snapshot_first:
                await _snapshot(ledger, spec, client, source, position.taken, position.next_seq)
                position = await ledger.position(job_id)
        counters = _Counters(await ledger.status(job_id))
        retry = await ledger.unfinished(job_id)
        worker = worker_name()
        pacer = Pacer(spec.rate_limit) if spec.rate_limit else None
        target = spec.target
        pending: set[asyncio.Task[None]] = set()

        def report() -> None:
            if on_progress is not None:
                on_progress(counters.snapshot(JobState.RUNNING))

        # The ledger's writes run beside the requests, not in their way: a chunk is
        # recorded while it is being sent (new chunks in order, since each moves the
        # source position), and its outcome after its request ended, without holding one
        # of the ``max_concurrency`` slots. The run ends once every write has landed.
        recorded: dict[int, asyncio.Future[None]] = {}
        writing: list[asyncio.Future[None]] = []
        last_write: asyncio.Future[None] | None = None

        def record_chunk(new: NewChunk | None, taken: int, done: bool) -> asyncio.Future[None]:
            nonlocal last_write
            chunks = [new] if new is not None else []
            last_write = ledger.add_chunks_soon(
                job_id, chunks, taken=taken, source_done=done, after=last_write
            )
            writing.append(last_write)
            return last_write

        async def attempt(record: ChunkRecord) -> None:
            outcome: int | MailsegError
            try:
                outcome = await send_chunk(client, record.op, target, record.ids)
            except MailsegError as exc:
                outcome = exc
            after = recorded.pop(record.seq, None)
            writing.append(ledger.mark_soon(job_id, record.seq, outcome, after=after))
            size = record.size
            if isinstance(outcome, MailsegError):
                counters.move(ChunkState.IN_FLIGHT, ChunkState.FAILED, size)
            else:
                counters.move(ChunkState.IN_FLIGHT, ChunkState.SUCCEEDED, size)
                counters.applied += outcome
                counters.unapplied += max(0, size - outcome)
            if len(writing) > 256:
                # Let go of the writes that landed (and surface a failed one).
                done = [write for write in writing if write.done()]
                for write in done:
                    write.result()
                writing[:] = [write for write in writing if not write.done()]
            report()

        async def work() -> AsyncGenerator[ChunkRecord, None]:
            for seq in retry:
                record = await ledger.chunk(job_id, seq)
                if record.state is ChunkState.FAILED:
                    counters.move(ChunkState.FAILED, ChunkState.PENDING, record.size)
                await ledger.mark_sent(job_id, seq, worker)
                counters.move(ChunkState.PENDING, ChunkState.IN_FLIGHT, record.size)
                yield record
            if position.source_done:
                return
            assert source is not None
            op = _CHUNK_OPS[spec.operation]
            seq = position.next_seq
            taken = position.taken
            stream = _sources.chunks(source, client, skip=taken, size=spec.chunk_size)
            async for chunk in stream:
                taken += len(chunk.ids)
                sent = chunk.error is None
                new = NewChunk(seq, op, chunk.start, chunk.ids, chunk.error, sent=sent)
                recorded[seq] = record_chunk(new, taken, False)
                counters.requested += len(chunk.ids)
                seq += 1
                if chunk.error is not None:
                    counters.chunks[ChunkState.FAILED] += 1
                    counters.failed += len(chunk.ids)
                    report()
                    continue
                counters.chunks[ChunkState.IN_FLIGHT] += 1
                counters.in_flight += len(chunk.ids)
                yield ChunkRecord(
                    seq=new.seq,
                    op=op,
                    start=chunk.start,
                    ids=chunk.ids,
                    state=ChunkState.IN_FLIGHT,
                    attempts=1,
                )
                if stop.is_set():
                    return
            await record_chunk(None, taken, True)
            counters.source_done = True

        next_poll = time.monotonic() + STOP_POLL
        try:
            stream = work()
            try:
                while not stop.is_set():
                    while len(pending) >= spec.max_concurrency:
                        _, pending = await asyncio.wait(
                            pending, return_when=asyncio.FIRST_COMPLETED
                        )
                    if stop.is_set():
                        break
                    if time.monotonic() >= next_poll:
                        next_poll = time.monotonic() + STOP_POLL
                        if await ledger.stop_requested(job_id):
                            stop.set()
                            break
                    try:
                        record = await stream.__anext__()
                    except StopAsyncIteration:
                        break
                    if pacer is not None:
                        await pacer.wait()
                    pending.add(asyncio.ensure_future(attempt(record)))
            finally:
                await stream.aclose()
            if pending:
                await asyncio.wait(pending)
                for task in pending:
                    task.result()
                pending = set()
            await asyncio.gather(*writing)  # a ledger failure surfaces here
            writing.clear()
        finally:
            # Cancelled, or failed in our own code: stop every request in flight; their
            # chunks stay in flight in the ledger and are sent again by the next run. The
            # writes already under way are let finish, so the ledger stays as exact.
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)
            if writing:
                await asyncio.gather(*writing, return_exceptions=True)
    return await ledger.status(job_id)


def _resolve_source(spec: JobSpec, source: _sources.Source | None) -> _sources.Source:
    if source is not None:
        return source
    if spec.source is None:
        from mailseg.jobs.errors import SourceError

        raise SourceError(
            spec.source_description,
            f"job {spec.job_id} was not read to its end and this source cannot be read "
            "again from the ledger: pass it again (source=...) to resume",
        )
    source = _sources.source_from_spec(spec.source, spec.source_description)
    source.check()
    return source


async def _snapshot(
    ledger: Ledger,
    spec: JobSpec,
    client: Client,
    source: _sources.Source,
    taken: int,
    seq: int,
) -> None:
    """Record a members source whole, as pending chunks, before anything is sent."""
    op = _CHUNK_OPS[spec.operation]
    batch: list[NewChunk] = []
    async for chunk in _sources.chunks(source, client, skip=taken, size=spec.chunk_size):
        taken += len(chunk.ids)
        batch.append(NewChunk(seq, op, chunk.start, chunk.ids, chunk.error))
        seq += 1
        if len(batch) == 50:
            await ledger.add_chunks(spec.job_id, batch, taken=taken, source_done=False)
            batch = []
    await ledger.add_chunks(spec.job_id, batch, taken=taken, source_done=True)
