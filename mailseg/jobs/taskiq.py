"""The distributed runner on taskiq and Redis streams (the ``jobs-redis`` extra).

The submitting side records a job's chunks in a `RedisLedger` and enqueues one task
per chunk, carrying only ``(job_id, seq)``; workers take them from a Redis stream
(``RedisStreamBroker``: a delivery is acknowledged only once its task ran), claim the
chunk in the ledger, send it through their own client, built from *their* environment
(``MAILSEG_*``): no credential ever goes through Redis or a task argument.

Delivery: at least once, counted once. A worker killed while it holds a chunk leaves
the delivery unacknowledged and the chunk in flight with a lease; taskiq's stream
broker hands idle deliveries to another worker only while new messages keep arriving,
so `wait` also puts chunks whose lease ran out back to pending and enqueues them
again. A chunk delivered twice is sent at most once at a time (the claim), and
counted once (the ledger's scripts).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import logging
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

import aiohttp
import attrs

import mailseg
from mailseg.errors import ConfigurationError, MailsegError
from mailseg.jobs import sources as _sources
from mailseg.jobs.errors import JobError
from mailseg.jobs.job import Job
from mailseg.jobs.ledger import NewChunk, worker_name
from mailseg.jobs.model import JobSpec, JobStatus, Operation
from mailseg.jobs.redis import RETRIED, RedisLedger, connection_retry, redacted
from mailseg.jobs.redis_batch import RedisBatch
from mailseg.jobs.runner import _CHUNK_OPS, ProgressCallback, _resolve_source, _snapshot, send_chunk

try:
    from redis.asyncio import Redis
    from taskiq import AsyncBroker, BrokerMessage, TaskiqEvents, TaskiqState
    from taskiq.acks import AcknowledgeType
    from taskiq_redis import RedisStreamBroker
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    raise ConfigurationError(
        "the distributed runner needs the jobs-redis extra: pip install 'mailseg[jobs-redis]'"
    ) from exc

if TYPE_CHECKING:
    from mailseg.jobs.limiter import SharedRateLimit

logger = logging.getLogger("mailseg.jobs")

#: The Redis stream the chunks go through, and the workers' consumer group.
QUEUE = "mailseg:jobs:queue"
GROUP = "mailseg-workers"
TASK_NAME = "mailseg.jobs.run_chunk"
#: Seconds a worker holds a chunk before another may take it (renewed while it works).
DEFAULT_LEASE = 60.0
#: The most chunks a submitter records and enqueues in one round trip each.
SUBMIT_BATCH = 50
#: The environment variable naming the Redis URL, for ``taskiq worker``.
REDIS_URL_ENV = "MAILSEG_JOBS_REDIS_URL"

# The job whose request is going out, for the rate limit hook (a task's context).
_CURRENT: contextvars.ContextVar[JobSpec] = contextvars.ContextVar("mailseg_job")


class ChunkStreamBroker(RedisStreamBroker):
    """taskiq-redis's stream broker, its enqueues and acknowledgements pipelined.

    The same stream, consumer group, message format and delivery as
    ``RedisStreamBroker`` (``taskiq worker`` reads it alike); only the round trips
    differ: the messages a submitter enqueues together (up to 50 chunks at a time) and the
    acknowledgements of the chunks a worker finishes in one turn of its loop each go out
    as one pipeline, on one client, rather than one command on a fresh client apiece.
    """

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(url, **kwargs)
        self._batch = RedisBatch(Redis(connection_pool=self.connection_pool))
        self._acks = self._batch

    async def kick(self, message: BrokerMessage) -> None:
        queue_name = message.labels.get("queue_name") or self.queue_name
        args: list[Any] = ["XADD", queue_name]
        if self.maxlen is not None:
            args += ["MAXLEN", "~" if self.approximate else "=", self.maxlen]
        await self._batch.call(*args, "*", b"data", message.message)

    def _ack_generator(self, id: str, queue_name: str) -> Callable[[], Awaitable[None]]:
        async def ack() -> None:
            # Sent, not awaited: a lost acknowledgement only means a redelivery, which
            # finds the chunk done (see the module's docstring).
            sent = self._acks.call("XACK", queue_name, self.consumer_group_name, id)
            sent.add_done_callback(_ack_failed)

        return ack

    def acknowledge_through(self, batch: RedisBatch) -> None:
        """Send the acknowledgements through ``batch``: a worker's ledger's, so that a
        chunk's acknowledgement shares the connection (and the round trips) of the
        chunk's outcome, which it follows."""
        self._acks = batch

    async def shutdown(self) -> None:
        await self._batch.aclose()
        await super().shutdown()


def _ack_failed(sent: asyncio.Future[Any]) -> None:
    if not sent.cancelled() and sent.exception() is not None:
        logger.warning("mailseg worker: an acknowledgement failed: %s", sent.exception())


def make_broker(
    redis_url: str,
    *,
    lease: float = DEFAULT_LEASE,
    concurrency: int = 8,
    environ: Mapping[str, str] | None = None,
) -> ChunkStreamBroker:
    """The broker of the submitting side and of workers, with the chunk task registered.

    In a worker process (``taskiq worker`` or `mailseg.jobs.worker`), its startup builds
    the worker's client from ``environ`` (default: ``os.environ``, the ``MAILSEG_*``
    variables) and its ledger from ``redis_url``.

    Args:
        redis_url: the Redis holding the queue, the ledger and the rate limits.
        lease: seconds a worker holds a chunk; a killed worker's chunk is taken again
            after it (and taskiq redelivers a delivery idle that long).
        concurrency: chunks one worker process runs at once (all jobs together).
        environ: where a worker reads its client's settings and credentials.
    """
    broker = ChunkStreamBroker(
        redis_url,
        queue_name=QUEUE,
        consumer_group_name=GROUP,
        consumer_name=worker_name(),
        idle_timeout=int(lease * 1000),
        # A worker killed while holding taskiq's reclaim lock must not block the others.
        unacknowledged_lock_timeout=5.0,
        xread_block=1000,
        xread_count=concurrency,
        retry=connection_retry(10),
        retry_on_error=RETRIED,
    )
    register_chunk_task(broker, redis_url, lease=lease, environ=environ)
    return broker


def register_chunk_task(
    broker: AsyncBroker,
    redis_url: str,
    *,
    lease: float = DEFAULT_LEASE,
    environ: Mapping[str, str] | None = None,
) -> None:
    """Register the chunk task on ``broker``, and the worker its startup builds.

    `make_broker` does this on the stream broker; any taskiq broker will do (taskiq's
    ``InMemoryBroker`` runs the task code in-process, for unit tests). The ledger is in
    Redis at ``redis_url`` whichever broker delivers the tasks.
    """
    holder: dict[str, Worker] = {}

    async def run_chunk(job_id: str, seq: int) -> None:
        worker = holder.get("worker")
        if worker is None:
            raise JobError("this process is not a mailseg worker (its broker was not started)")
        await worker.run_chunk(job_id, seq)

    broker.register_task(run_chunk, task_name=TASK_NAME, ack_type="when_executed")

    async def startup(_: TaskiqState) -> None:
        if "worker" in holder:  # taskiq starts the broker again after a lost connection
            return
        _taskiq_signals_through_the_loop()
        worker = Worker(redis_url, lease=lease, environ=environ)
        await worker.start()
        if isinstance(broker, ChunkStreamBroker):
            broker.acknowledge_through(worker.ledger.batch)
        holder["worker"] = worker

    async def shutdown(_: TaskiqState) -> None:
        worker = holder.pop("worker", None)
        if worker is not None:
            await worker.close()

    broker.add_event_handler(TaskiqEvents.WORKER_STARTUP, startup)
    broker.add_event_handler(TaskiqEvents.WORKER_SHUTDOWN, shutdown)


def _taskiq_signals_through_the_loop() -> None:
    """Have ``taskiq worker``'s stop signals handled by the event loop.

    taskiq 0.13's worker process sets its shutdown event from a ``signal.signal``
    handler, which Python runs between any two bytecodes, the event loop's own
    included. Seen here every time (with taskiq-redis's own stream broker too): a
    SIGINT or SIGTERM landing while the loop waits on Redis leaves the receiver
    awaiting a cancelled read forever, and the worker never exits. asyncio's own
    signal handling runs the same handler as a loop callback instead, and the
    worker stops as it should. Handlers that are not taskiq's
    (`mailseg.jobs.worker.serve` sets asyncio's already) are left alone.

    What it does not cover: a signal before the worker has started still meets
    taskiq's own handler; taskiq's hard kill (its ``--hardkill-count``-th signal)
    acts only while the loop runs; where asyncio has no signal handling (Windows),
    nothing changes.
    """
    if threading.current_thread() is not threading.main_thread():
        return
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if signum is None:
            continue
        handler = signal.getsignal(signum)
        module = getattr(handler, "__module__", None)
        if callable(handler) and isinstance(module, str) and module.startswith("taskiq."):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(signum, handler, signum, None)


class Worker:
    """What a worker process holds: its client, the ledger, the shared rate limit."""

    def __init__(
        self, redis_url: str, *, lease: float, environ: Mapping[str, str] | None = None
    ) -> None:
        self.redis_url = redis_url
        self.lease = lease
        self.environ = os.environ if environ is None else environ
        self.name = worker_name()
        self.ledger = RedisLedger(redis_url)
        self._specs: dict[str, JobSpec] = {}
        self._slots: dict[str, asyncio.Semaphore] = {}
        self._limiter: SharedRateLimit | None = None
        self.client: mailseg.Client | None = None
        # The attempts this worker holds, renewed together by one task (not one apiece).
        self._held: dict[tuple[str, int], int] = {}
        self._renewing: asyncio.Future[None] | None = None

    async def start(self) -> None:
        from mailseg.jobs.limiter import SharedRateLimit

        self._limiter = SharedRateLimit(self.redis_url)
        # The client's own settings, from this worker's environment only, plus the hook
        # that takes the job's rate limit before every request attempt.
        trace = aiohttp.TraceConfig()
        trace.on_request_start.append(self._before_request)
        settings = mailseg.Settings.from_env(self.environ)
        settings = attrs.evolve(settings, trace_configs=(*settings.trace_configs, trace))
        self.client = mailseg.Client(settings)
        self._renewing = asyncio.ensure_future(self._renew())
        logger.info(
            "mailseg worker %s: provider %s, ledger %s",
            self.name,
            self.client.provider,
            redacted(self.redis_url),
        )

    async def close(self) -> None:
        if self._renewing is not None:
            self._renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._renewing
        if self.client is not None:
            await self.client.close()
        await self.ledger.close()

    async def _before_request(self, *_: object) -> None:
        spec = _CURRENT.get(None)
        if spec is not None and spec.rate_limit and self._limiter is not None:
            await self._limiter.wait(spec.job_id, spec.rate_limit)

    async def _spec(self, job_id: str) -> JobSpec:
        spec = self._specs.get(job_id)
        if spec is None:
            spec = self._specs[job_id] = await self.ledger.load_job(job_id)
            self._slots[job_id] = asyncio.Semaphore(spec.max_concurrency)
        return spec

    async def run_chunk(self, job_id: str, seq: int) -> None:
        """Claim, send and record one chunk (nothing when another holds it or it is done)."""
        client = self.client
        assert client is not None, "the worker is not started"
        spec = await self._spec(job_id)
        if spec.provider is not None and spec.provider != client.provider:
            logger.error(
                "job %s is for %s; this worker is configured for %s: chunk %s left for another",
                job_id,
                spec.provider,
                client.provider,
                seq,
            )
            return
        async with self._slots[job_id]:
            claim = await self.ledger.claim(job_id, seq, self.name, self.lease)
            if not claim.taken:
                return
            assert claim.op is not None
            held = (job_id, seq)
            self._held[held] = claim.token
            reset = _CURRENT.set(spec)
            outcome: int | MailsegError
            try:
                outcome = await send_chunk(client, claim.op, spec.target, claim.ids)
            except MailsegError as exc:
                outcome = exc
            finally:
                _CURRENT.reset(reset)
                self._held.pop(held, None)
            # Queued, not awaited: the slot is free for the next chunk at once (as the
            # local runner's writes are off the requests' path), and the acknowledgement
            # taskiq sends when this returns follows the outcome on the same connection.
            written = self.ledger.record_outcome_soon(job_id, seq, outcome, claim.token)
            written.add_done_callback(functools.partial(self._written, job_id, seq))

    def _written(self, job_id: str, seq: int, written: asyncio.Future[Any]) -> None:
        if written.cancelled() or written.exception() is None:
            return
        # The chunk stays in flight: `wait` puts it back once its lease runs out.
        logger.error(
            "mailseg worker %s: the outcome of job %s chunk %s was not recorded (%s); it is "
            "sent again after its lease",
            self.name,
            job_id,
            seq,
            written.exception(),
        )

    async def _renew(self) -> None:
        # Every chunk held is renewed within a third of its lease of being claimed, and
        # every third of a lease after: its lease never runs out while this worker lives.
        while True:
            await asyncio.sleep(self.lease / 3)
            held = list(self._held.items())
            renewals = [
                self.ledger.renew(job_id, seq, token, self.lease) for (job_id, seq), token in held
            ]
            for outcome in await asyncio.gather(*renewals, return_exceptions=True):
                if isinstance(outcome, Exception):
                    logger.warning(
                        "mailseg worker %s: a lease renewal failed: %s", self.name, outcome
                    )


async def _kick(broker: AsyncBroker, job_id: str, seqs: list[int]) -> None:
    task = broker.find_task(TASK_NAME)
    assert task is not None, "the broker was not made by make_broker"
    # Enqueued together: `ChunkStreamBroker` sends them in one pipeline, in order.
    for first in range(0, len(seqs), RedisBatch.LIMIT):
        await asyncio.gather(
            *(task.kiq(job_id, seq) for seq in seqs[first : first + RedisBatch.LIMIT])
        )


async def submit(
    job: Job,
    broker: AsyncBroker,
    *,
    client: mailseg.Client | None = None,
    source: _sources.SourceLike | None = None,
) -> int:
    """Record the job's chunks in its Redis ledger and enqueue them for the workers.

    Submitting again resumes: the chunks that did not succeed are enqueued again and the
    source is read on from where it stopped. The broker must be started
    (``await broker.startup()``).

    Args:
        job: a job recorded in a `RedisLedger`.
        broker: from `make_broker`.
        client: only to read a segment's or tag's members (a members source, or the plan
            of a ``tags.sync`` job); the workers never need it.
        source: the source again, when it cannot be read from the ledger.

    Returns:
        How many chunks were enqueued.
    """
    ledger = job.ledger
    if not isinstance(ledger, RedisLedger):
        raise JobError(f"job {job.id} is recorded in {ledger.location}, not in Redis")
    spec = job.spec
    await ledger.begin_run(spec.job_id)
    position = await ledger.position(spec.job_id)
    enqueued = 0
    if not position.source_done:
        found = _resolve_source(
            spec, job._source if source is None else _sources.source_from(source)
        )
        needs_client = spec.operation is Operation.TAG_SYNC or found.snapshot_first
        if needs_client:
            if client is None:
                raise JobError(f"job {spec.job_id} reads {found.description}: pass client=")
            if spec.operation is Operation.TAG_SYNC:
                from mailseg.jobs.sync import record_plan

                await record_plan(ledger, spec, client, found)
            else:
                await _snapshot(ledger, spec, client, found, position.taken, position.next_seq)
        else:
            await ledger.reclaim(spec.job_id)
            retry = await ledger.unfinished(spec.job_id)
            await _kick(broker, spec.job_id, retry)
            enqueued += len(retry)
            op = _CHUNK_OPS[spec.operation]
            seq, taken = position.next_seq, position.taken
            batch: list[NewChunk] = []
            # Batches of 1, 2, 4, ... chunks up to SUBMIT_BATCH: the workers start on the
            # first chunk at once (not after 50 were read and recorded: 80 ms of a 2 s
            # job), and the rest still goes out in few round trips.
            flush_at = 1
            async for chunk in _sources.chunks(found, client, skip=taken, size=spec.chunk_size):
                taken += len(chunk.ids)
                batch.append(NewChunk(seq, op, chunk.start, chunk.ids, chunk.error))
                seq += 1
                if len(batch) == flush_at:
                    enqueued += await _record_and_kick(ledger, broker, spec, batch, taken, False)
                    batch = []
                    flush_at = min(2 * flush_at, SUBMIT_BATCH)
            enqueued += await _record_and_kick(ledger, broker, spec, batch, taken, True)
            return enqueued
    await ledger.reclaim(spec.job_id)
    retry = await ledger.unfinished(spec.job_id)
    await _kick(broker, spec.job_id, retry)
    return enqueued + len(retry)


async def _record_and_kick(
    ledger: RedisLedger,
    broker: AsyncBroker,
    spec: JobSpec,
    batch: list[NewChunk],
    taken: int,
    done: bool,
) -> int:
    # Recorded first, then enqueued: a submitter killed in between leaves pending chunks
    # that the next submit (or wait's stall check) enqueues.
    await ledger.add_chunks(spec.job_id, batch, taken=taken, source_done=done)
    sendable = [chunk.seq for chunk in batch if chunk.error is None]
    await _kick(broker, spec.job_id, sendable)
    return len(sendable)


async def wait(
    job: Job,
    broker: AsyncBroker,
    *,
    on_progress: ProgressCallback | None = None,
    poll: float = 0.5,
    stall: float = 30.0,
    timeout: float | None = None,
) -> JobStatus:
    """Follow a submitted job until it finishes (or stops, after `Job.request_stop`, once
    its chunks in flight ended); its last status.

    It looks every ``poll`` seconds (``on_progress`` hears each look), and returns as
    soon as the job's last chunk ends rather than at the next look. While it waits it
    reclaims chunks whose worker died (in flight past their lease)
    and enqueues them again, and re-enqueues the pending chunks when nothing moved for
    ``stall`` seconds (deliveries lost with a Redis that restarted without persistence).

    Raises:
        JobError: ``timeout`` seconds passed first.
    """
    ledger = job.ledger
    if not isinstance(ledger, RedisLedger):
        raise JobError(f"job {job.id} is recorded in {ledger.location}, not in Redis")
    async with ledger.ended(job.id) as pause:
        return await _follow(job, ledger, broker, on_progress, poll, stall, timeout, pause)


async def _follow(
    job: Job,
    ledger: RedisLedger,
    broker: AsyncBroker,
    on_progress: ProgressCallback | None,
    poll: float,
    stall: float,
    timeout: float | None,
    pause: Callable[[float], Awaitable[None]],
) -> JobStatus:
    started = last_change = time.monotonic()
    last_done = -1
    while True:
        status = await ledger.status(job.id)
        if on_progress is not None:
            on_progress(status)
        if status.finished:
            return status
        stopping = await ledger.stop_requested(job.id)
        if stopping and not status.in_flight:
            return status  # stopped: the workers claim nothing more; submit again to resume
        now = time.monotonic()
        if status.done != last_done:
            last_done, last_change = status.done, now
        reclaimed = await ledger.reclaim(job.id)
        if reclaimed:
            logger.warning(
                "job %s: chunks %s outlived their lease; enqueued again", job.id, reclaimed
            )
            await _kick(broker, job.id, reclaimed)
        elif now - last_change > stall and status.pending and not stopping:
            pending = [
                seq
                for seq in await ledger.unfinished(job.id)
                if (await ledger.chunk(job.id, seq)).state.value == "pending"
            ]
            logger.warning(
                "job %s: no progress for %.0f s; enqueued %d chunks again",
                job.id,
                stall,
                len(pending),
            )
            await _kick(broker, job.id, pending)
            last_change = now
        if timeout is not None and now - started > timeout:
            raise JobError(f"job {job.id} did not finish within {timeout} s: {status}")
        await pause(poll)  # the job's end cuts it short (`RedisLedger.ended`)


__all__ = [
    "DEFAULT_LEASE",
    "QUEUE",
    "REDIS_URL_ENV",
    "AcknowledgeType",
    "ChunkStreamBroker",
    "Worker",
    "make_broker",
    "register_chunk_task",
    "submit",
    "wait",
]
