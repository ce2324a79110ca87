"""The distributed ledger: a job's record and progress in Redis, shared by every worker.

Needs the ``jobs-redis`` extra. Each transition of a chunk is one Lua script, so
concurrent workers (and a chunk delivered twice) cannot count anything twice: a
chunk is claimed only when it is pending, failed, or in flight past its lease; it is
counted succeeded once; a failure is recorded only by the attempt that holds it.
Times come from the Redis server's clock (``TIME``), so machines' clocks need not
agree. Keys live under ``mailseg:job:{<id>}`` (one hash slot per job).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import attrs

from mailseg.errors import MailsegError
from mailseg.jobs.errors import (
    JobError,
    JobNotFoundError,
    LedgerError,
    LedgerFormatError,
)
from mailseg.jobs.ledger import (
    LEDGER_FORMAT,
    Ledger,
    NewChunk,
    Position,
    conflict,
    error_fields,
    summarize,
)
from mailseg.jobs.model import ChunkOp, ChunkRecord, ChunkState, JobSpec, JobStatus
from mailseg.jobs.redis_batch import RedisBatch

try:
    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import ExponentialBackoff
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import RedisError
    from redis.exceptions import TimeoutError as RedisTimeoutError
except ImportError as exc:  # pragma: no cover - exercised only without the extra
    from mailseg.errors import ConfigurationError

    raise ConfigurationError(
        "the Redis ledger needs the jobs-redis extra: pip install 'mailseg[jobs-redis]'"
    ) from exc

T = TypeVar("T")

_PREFIX = "mailseg:"
#: A job counts as running while a chunk changed this recently (seconds).
RECENT = 10.0

_LUA_HELPERS = """
local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local function move(job, from, to, size)
  redis.call('HINCRBY', job, 'chunks:' .. from, -1)
  redis.call('HINCRBY', job, 'ids:' .. from, -size)
  redis.call('HINCRBY', job, 'chunks:' .. to, 1)
  redis.call('HINCRBY', job, 'ids:' .. to, size)
end
local function announce_end(job)
  if redis.call('HGET', job, 'source_done') == '1'
     and tonumber(redis.call('HGET', job, 'ids:pending') or '0') == 0
     and tonumber(redis.call('HGET', job, 'ids:in_flight') or '0') == 0 then
    redis.call('PUBLISH', job .. ':ended', '1')
  end
end
"""

# KEYS: job, chunk, inflight. ARGV: seq, worker, lease seconds, force (1: ignore a live lease).
# Returns {attempt number (the holder's token), op, ids} when claimed (so the worker reads
# the chunk in the same round trip), else {0} when there is nothing to do, {-1} when the
# chunk does not exist, {-2} when a stop was asked.
_CLAIM = (
    _LUA_HELPERS
    + """
local state = redis.call('HGET', KEYS[2], 'state')
if not state then return {-1} end
local t = now()
if state == 'succeeded' then return {0} end
if state == 'failed' and redis.call('HGET', KEYS[2], 'error_class') == 'ValidationError' then
  return {0}
end
if state == 'in_flight' and ARGV[4] ~= '1' then
  local deadline = tonumber(redis.call('HGET', KEYS[2], 'deadline') or '0')
  if deadline > t then return {0} end
end
if redis.call('HGET', KEYS[1], 'stop_requested') == '1' then return {-2} end
local size = tonumber(redis.call('HGET', KEYS[2], 'size'))
if state ~= 'in_flight' then move(KEYS[1], state, 'in_flight', size) end
local attempts = redis.call('HINCRBY', KEYS[2], 'attempts', 1)
local deadline = t + tonumber(ARGV[3])
redis.call('HSET', KEYS[2], 'state', 'in_flight', 'worker', ARGV[2], 'sent_at', t,
           'deadline', deadline)
redis.call('ZADD', KEYS[3], deadline, ARGV[1])
redis.call('HSET', KEYS[1], 'updated_at', t)
return {attempts, redis.call('HGET', KEYS[2], 'op'), redis.call('HGET', KEYS[2], 'ids')}
"""
)

# KEYS: chunk, inflight. ARGV: seq, token, lease seconds.
_RENEW = (
    _LUA_HELPERS
    + """
if redis.call('HGET', KEYS[1], 'state') ~= 'in_flight' then return 0 end
if redis.call('HGET', KEYS[1], 'attempts') ~= ARGV[2] then return 0 end
local deadline = now() + tonumber(ARGV[3])
redis.call('HSET', KEYS[1], 'deadline', deadline)
redis.call('ZADD', KEYS[2], deadline, ARGV[1])
return 1
"""
)

# KEYS: job, chunk, inflight, failed. ARGV: seq, count. Counted once, whoever ends it.
_SUCCEED = (
    _LUA_HELPERS
    + """
local state = redis.call('HGET', KEYS[2], 'state')
if (not state) or state == 'succeeded' then return 0 end
local size = tonumber(redis.call('HGET', KEYS[2], 'size'))
local count = tonumber(ARGV[2])
move(KEYS[1], state, 'succeeded', size)
redis.call('HINCRBY', KEYS[1], 'applied', count)
local short = size - count
if short < 0 then short = 0 end
redis.call('HINCRBY', KEYS[1], 'unapplied', short)
local t = now()
redis.call('HSET', KEYS[2], 'state', 'succeeded', 'count', count, 'finished_at', t)
redis.call('HDEL', KEYS[2], 'error_class', 'error_message', 'error_parameter', 'deadline')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1])
redis.call('HSET', KEYS[1], 'updated_at', t)
announce_end(KEYS[1])
return 1
"""
)

# KEYS: job. Tells whoever waits for the job (`RedisLedger.ended`) once it has ended.
_ANNOUNCE_END = _LUA_HELPERS + "announce_end(KEYS[1])"

# KEYS: job, chunk, inflight, failed. ARGV: seq, token ('0': any), class, message, parameter.
_FAIL = (
    _LUA_HELPERS
    + """
if redis.call('HGET', KEYS[2], 'state') ~= 'in_flight' then return 0 end
if ARGV[2] ~= '0' and redis.call('HGET', KEYS[2], 'attempts') ~= ARGV[2] then return 0 end
local size = tonumber(redis.call('HGET', KEYS[2], 'size'))
move(KEYS[1], 'in_flight', 'failed', size)
local t = now()
redis.call('HSET', KEYS[2], 'state', 'failed', 'finished_at', t, 'error_class', ARGV[3],
           'error_message', ARGV[4], 'error_parameter', ARGV[5])
redis.call('HDEL', KEYS[2], 'deadline')
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], tonumber(ARGV[1]), ARGV[1])
redis.call('HSET', KEYS[1], 'updated_at', t)
announce_end(KEYS[1])
return 1
"""
)

# KEYS: job, inflight. ARGV: the chunk key prefix. Chunks in flight past their lease go
# back to pending; their numbers are returned, to be delivered again.
_RECLAIM = (
    _LUA_HELPERS
    + """
local t = now()
local seqs = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', t)
for _, seq in ipairs(seqs) do
  local chunk = ARGV[1] .. seq
  if redis.call('HGET', chunk, 'state') == 'in_flight' then
    local size = tonumber(redis.call('HGET', chunk, 'size'))
    move(KEYS[1], 'in_flight', 'pending', size)
    redis.call('HSET', chunk, 'state', 'pending')
    redis.call('HDEL', chunk, 'deadline')
  end
  redis.call('ZREM', KEYS[2], seq)
end
return seqs
"""
)


@attrs.frozen
class Claim:
    """What `RedisLedger.claim` answers: the attempt's token, and the chunk when taken.

    Attributes:
        token: the attempt number (> 0) when this attempt holds the chunk now; 0 when
            another holds it or it is done, -1 when there is no such chunk, -2 when a stop
            was asked.
        op: the chunk's request, when taken.
        ids: the chunk's ids, when taken.
    """

    token: int
    op: ChunkOp | None = None
    ids: list[str] = attrs.field(factory=list)

    @property
    def taken(self) -> bool:
        return self.token > 0


def redacted(url: str) -> str:
    """``url`` without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.hostname or ""
    netloc = f"{user}:***@{host}" if user else f":***@{host}"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


#: The errors a Redis command is retried on: a dropped or refused connection.
RETRIED = [RedisConnectionError, RedisTimeoutError, ConnectionError, TimeoutError]


def connection_retry(retries: int) -> Retry:
    """Retries of a Redis command on a broken connection (a restart takes well under 5 s)."""
    return Retry(ExponentialBackoff(cap=0.5, base=0.05), retries)


class RedisLedger(Ledger):
    """A ledger in Redis: jobs, chunks and progress, readable from any machine.

    Args:
        url: ``redis://[[user]:password@]host:port/db`` (``rediss://`` for TLS). Its
            password is never shown: messages name the URL without it.
        retries: times a command is retried on a broken connection (with backoff up to
            0.5 s), so a Redis restart does not fail a job; 0 fails at once.

    Raises (on first use):
        LedgerError: Redis cannot be reached.
        LedgerFormatError: the keys were written by a newer mailseg.
    """

    def __init__(self, url: str, *, retries: int = 10) -> None:
        self.url = url
        self.location = redacted(url)
        try:
            # Any: redis-py's stubs type every reply as bytes | str; replies here are str.
            self._redis: Any = aioredis.Redis.from_url(
                url,
                decode_responses=True,
                retry=connection_retry(retries),
                retry_on_error=RETRIED,
                socket_connect_timeout=5,
            )
        except ValueError as exc:
            raise LedgerError(self.location, f"is not a Redis URL: {exc}") from None
        self._checked = False
        # The chunks' transitions (claims, outcomes, renewals) issued in one turn of the
        # loop share one round trip: a worker's 16 chunks in flight cost one, not 16.
        self._batch = RedisBatch(self._redis)

    def __repr__(self) -> str:
        return f"<mailseg.jobs.RedisLedger {self.location!r}>"

    # -- plumbing -----------------------------------------------------------------------------

    @staticmethod
    def _job(job_id: str) -> str:
        return f"{_PREFIX}job:{{{job_id}}}"

    def _chunk(self, job_id: str, seq: int) -> str:
        return f"{self._job(job_id)}:chunk:{seq}"

    async def _do(self, call: Callable[[], Awaitable[T]]) -> T:
        try:
            if not self._checked:
                await self._check_format()
            return await call()
        except RedisError as exc:
            raise LedgerError(self.location, f"Redis failed: {type(exc).__name__}: {exc}") from None
        except OSError as exc:
            raise LedgerError(self.location, f"cannot reach Redis: {exc}") from None

    async def _check_format(self) -> None:
        key = f"{_PREFIX}format"
        await self._redis.set(key, LEDGER_FORMAT, nx=True)
        found = int(await self._redis.get(key) or 0)
        if found > LEDGER_FORMAT:
            raise LedgerFormatError(
                self.location,
                f"holds jobs in ledger format {found}, written by a newer mailseg; this "
                f"version reads format {LEDGER_FORMAT} (upgrade mailseg): nothing was written",
            )
        self._checked = True

    @property
    def batch(self) -> RedisBatch:
        """Where this ledger's chunk transitions queue (see `RedisBatch`)."""
        return self._batch

    async def _eval(self, source: str, keys: list[str], args: list[Any]) -> Any:
        # EVAL with the script's text, not EVALSHA: Redis keeps a compiled script per text,
        # and a Redis restarted (its script cache empty) needs no reload.
        return await self._do(lambda: self._batch.call("EVAL", source, len(keys), *keys, *args))

    async def close(self) -> None:
        await self._batch.aclose()
        await self._redis.aclose()

    # -- jobs ---------------------------------------------------------------------------------

    async def create_job(self, spec: JobSpec) -> JobSpec:
        async def create() -> JobSpec:
            key = self._job(spec.job_id)
            if await self._redis.hsetnx(key, "spec", spec.to_json()):
                now = time.time()
                await self._redis.hset(key, mapping={"created_at": now, "updated_at": now})
                await self._redis.zadd(f"{_PREFIX}jobs", {spec.job_id: now})
                return spec
            recorded = JobSpec.from_json(await self._redis.hget(key, "spec"))
            if not recorded.same_job(spec):
                raise conflict(self.location, recorded)
            return recorded

        return await self._do(create)

    async def load_job(self, job_id: str) -> JobSpec:
        async def load() -> JobSpec:
            text = await self._redis.hget(self._job(job_id), "spec")
            if text is None:
                known = await self._redis.zrange(f"{_PREFIX}jobs", -5, -1)
                listed = ", ".join(known) if known else "none"
                raise JobNotFoundError(
                    self.location, job_id, f"holds no job {job_id!r} (its latest jobs: {listed})"
                )
            return JobSpec.from_json(text)

        return await self._do(load)

    async def list_jobs(self) -> list[JobSpec]:
        ids = await self._do(lambda: self._redis.zrange(f"{_PREFIX}jobs", 0, -1))
        return [await self.load_job(job_id) for job_id in ids]

    async def position(self, job_id: str) -> Position:
        await self.load_job(job_id)
        values = await self._do(
            lambda: self._redis.hmget(self._job(job_id), ["taken", "source_done", "next_seq"])
        )
        taken, done, next_seq = values
        return Position(int(taken or 0), done == "1", int(next_seq or 0))

    async def add_chunks(
        self, job_id: str, chunks: Sequence[NewChunk], *, taken: int, source_done: bool
    ) -> None:
        job = self._job(job_id)
        now = time.time()
        next_seq = max((chunk.seq for chunk in chunks), default=-1) + 1

        async def add() -> None:
            pipe = self._redis.pipeline(transaction=True)
            # The job's counters move once per batch, not once per chunk: the same
            # totals in the same transaction, for a fortieth of the commands.
            tallies: dict[str, list[int]] = {}
            for chunk in chunks:
                fields: dict[str, Any] = {
                    "op": chunk.op.value,
                    "start": chunk.start,
                    "size": len(chunk.ids),
                    "ids": "\n".join(chunk.ids),
                    "attempts": 0,
                }
                state = ChunkState.PENDING
                if chunk.error is not None:
                    state = ChunkState.FAILED
                    kind, message, parameter = error_fields(chunk.error)
                    fields.update(
                        error_class=kind,
                        error_message=message,
                        error_parameter=parameter or "",
                        finished_at=now,
                    )
                    pipe.zadd(f"{job}:failed", {str(chunk.seq): chunk.seq})
                fields["state"] = state.value
                pipe.hset(self._chunk(job_id, chunk.seq), mapping=fields)
                tally = tallies.setdefault(state.value, [0, 0])
                tally[0] += 1
                tally[1] += len(chunk.ids)
            for name, (count, size) in tallies.items():
                pipe.hincrby(job, f"chunks:{name}", count)
                pipe.hincrby(job, f"ids:{name}", size)
            update: dict[str, Any] = {
                "taken": taken,
                "source_done": int(source_done),
                "updated_at": now,
            }
            if chunks:
                update["next_seq"] = next_seq
            pipe.hset(job, mapping=update)
            if source_done:  # the last chunks may have ended before the source did
                pipe.eval(_ANNOUNCE_END, 1, job)
            await pipe.execute()

        await self._do(add)

    async def reset_chunks(self, job_id: str) -> None:
        position = await self.position(job_id)
        job = self._job(job_id)

        async def reset() -> None:
            pipe = self._redis.pipeline(transaction=True)
            for seq in range(position.next_seq):
                pipe.delete(self._chunk(job_id, seq))
            pipe.delete(f"{job}:failed", f"{job}:inflight")
            fields = ["applied", "unapplied"] + [
                f"{kind}:{state.value}" for state in ChunkState for kind in ("chunks", "ids")
            ]
            pipe.hdel(job, *fields)
            pipe.hset(job, mapping={"taken": 0, "source_done": 0, "next_seq": 0})
            await pipe.execute()

        await self._do(reset)

    def _keys(self, job_id: str, seq: int) -> list[str]:
        job = self._job(job_id)
        return [job, self._chunk(job_id, seq), f"{job}:inflight", f"{job}:failed"]

    async def claim(self, job_id: str, seq: int, worker: str, lease: float) -> Claim:
        """Take a chunk for one attempt, and read it in the same round trip.

        Its `Claim`: a token > 0 (the attempt number) with the chunk's request and ids; or
        0 when another attempt holds it or it is done, -1 when there is no such chunk, -2
        when a stop was asked. See the module's docstring.
        """
        keys = self._keys(job_id, seq)[:3]
        reply = await self._eval(_CLAIM, keys, [seq, worker, lease, 0])
        token = int(reply[0])
        if token <= 0:
            return Claim(token)
        return Claim(token, ChunkOp(reply[1]), reply[2].split("\n"))

    async def renew(self, job_id: str, seq: int, token: int, lease: float) -> bool:
        """Extend the lease of the attempt ``token`` of a chunk."""
        keys = self._keys(job_id, seq)[1:3]
        return bool(await self._eval(_RENEW, keys, [seq, token, lease]))

    async def reclaim(self, job_id: str) -> list[int]:
        """Put the chunks in flight past their lease back to pending; their numbers."""
        job = self._job(job_id)
        keys = [job, f"{job}:inflight"]
        seqs = await self._eval(_RECLAIM, keys, [f"{job}:chunk:"])
        return [int(seq) for seq in seqs]

    async def mark_sent(self, job_id: str, seq: int, worker: str) -> None:
        keys = self._keys(job_id, seq)[:3]
        await self._eval(_CLAIM, keys, [seq, worker, 3600, 1])

    async def mark_succeeded(self, job_id: str, seq: int, count: int) -> None:
        await self._eval(_SUCCEED, self._keys(job_id, seq), [seq, count])

    async def mark_failed(self, job_id: str, seq: int, error: MailsegError, token: int = 0) -> None:
        kind, message, parameter = error_fields(error)
        args = [seq, token, kind, message, parameter or ""]
        await self._eval(_FAIL, self._keys(job_id, seq), args)

    def record_outcome_soon(
        self, job_id: str, seq: int, outcome: int | MailsegError, token: int
    ) -> asyncio.Future[Any]:
        """Queue a claimed chunk's outcome now (a count: `mark_succeeded`; an error:
        `mark_failed` by attempt ``token``); the future of Redis's reply (a `RedisError`).

        Queued in this turn of the loop: what is sent through `batch` afterwards (a
        worker's acknowledgement) reaches Redis after it, on the same connection. For a
        ledger already in use (its format checked by the claim).
        """
        keys = self._keys(job_id, seq)
        if isinstance(outcome, MailsegError):
            kind, message, parameter = error_fields(outcome)
            args: list[Any] = [seq, token, kind, message, parameter or ""]
            return self._batch.call("EVAL", _FAIL, len(keys), *keys, *args)
        return self._batch.call("EVAL", _SUCCEED, len(keys), *keys, seq, outcome)

    async def chunk(self, job_id: str, seq: int) -> ChunkRecord:
        fields = await self._do(lambda: self._redis.hgetall(self._chunk(job_id, seq)))
        if not fields:
            raise LedgerError(self.location, f"job {job_id} has no chunk {seq}")
        return _record(seq, fields)

    async def chunks(
        self, job_id: str, states: Sequence[ChunkState] | None = None
    ) -> AsyncIterator[ChunkRecord]:
        wanted = {ChunkState(state) for state in states} if states else None
        position = await self.position(job_id)
        for first in range(0, position.next_seq, 200):
            seqs = range(first, min(first + 200, position.next_seq))

            async def page(seqs: range = seqs) -> list[Any]:
                pipe = self._redis.pipeline(transaction=False)
                for seq in seqs:
                    pipe.hgetall(self._chunk(job_id, seq))
                return list(await pipe.execute())

            for seq, fields in zip(seqs, await self._do(page), strict=True):
                if fields:
                    record = _record(seq, fields)
                    if wanted is None or record.state in wanted:
                        yield record

    async def unfinished(self, job_id: str) -> list[int]:
        position = await self.position(job_id)

        async def read() -> list[int]:
            pipe = self._redis.pipeline(transaction=False)
            for seq in range(position.next_seq):
                pipe.hmget(self._chunk(job_id, seq), ["state", "error_class"])
            rows = await pipe.execute()
            return [
                seq
                for seq, (state, kind) in enumerate(rows)
                if state in ("pending", "in_flight")
                or (state == "failed" and kind != "ValidationError")
            ]

        return await self._do(read)

    async def begin_run(self, job_id: str) -> None:
        status = await self.status(job_id)
        now = time.time()
        await self._do(
            lambda: self._redis.hset(
                self._job(job_id),
                mapping={
                    "stop_requested": 0,
                    "run_started_at": now,
                    "run_done_at_start": status.done,
                    "updated_at": now,
                },
            )
        )
        await self._do(lambda: self._redis.hincrby(self._job(job_id), "runs", 1))

    async def request_stop(self, job_id: str) -> None:
        await self.load_job(job_id)
        await self._do(lambda: self._redis.hset(self._job(job_id), "stop_requested", 1))

    async def stop_requested(self, job_id: str) -> bool:
        value = await self._do(lambda: self._redis.hget(self._job(job_id), "stop_requested"))
        return bool(value == "1")

    @contextlib.asynccontextmanager
    async def ended(self, job_id: str) -> AsyncIterator[Callable[[float], Awaitable[None]]]:
        """While open, ``await pause(seconds)`` returns after ``seconds`` or as soon as
        the job's last chunk ends, whichever comes first.

        The scripts that end a chunk publish the job's end on ``mailseg:job:{<id>}:ended``
        (Redis pub/sub), so that a waiter need not poll to hear it. Should the
        subscription fail (Redis restarting), ``pause`` just sleeps: a waiter then reads
        the end at its next look.
        """
        pubsub: Any = self._redis.pubsub()
        try:
            await pubsub.subscribe(f"{self._job(job_id)}:ended")
            # Subscribed before the caller's first look at the status: an end published
            # after that look is heard.
            confirmed = await pubsub.get_message(timeout=5.0)
            if confirmed is None or confirmed.get("type") != "subscribe":
                raise RedisConnectionError("the subscription was not confirmed")
        except (RedisError, OSError):
            await _close_quietly(pubsub)
            pubsub = None

        async def pause(seconds: float) -> None:
            nonlocal pubsub
            if pubsub is not None:
                try:
                    await pubsub.get_message(ignore_subscribe_messages=True, timeout=seconds)
                    return  # the end was announced, or ``seconds`` passed
                except (RedisError, OSError):
                    await _close_quietly(pubsub)
                    pubsub = None
            await asyncio.sleep(seconds)

        try:
            yield pause
        finally:
            if pubsub is not None:
                await _close_quietly(pubsub)

    async def status(self, job_id: str) -> JobStatus:
        spec = await self.load_job(job_id)
        fields = await self._do(lambda: self._redis.hgetall(self._job(job_id)))
        rows = []
        for state in ChunkState:
            counted = shortfall = 0
            if state is ChunkState.SUCCEEDED:
                counted, shortfall = int(fields.get("applied", 0)), int(fields.get("unapplied", 0))
            count = int(fields.get(f"chunks:{state.value}", 0))
            rows.append(
                (state.value, count, int(fields.get(f"ids:{state.value}", 0)), counted, shortfall)
            )
        updated = float(fields["updated_at"]) if "updated_at" in fields else None
        started = float(fields["run_started_at"]) if "run_started_at" in fields else None
        job = (
            fields.get("source_done") == "1",
            updated,
            started,
            int(fields.get("run_done_at_start", 0)),
            int(fields.get("runs", 0)),
        )
        in_flight = int(fields.get(f"ids:{ChunkState.IN_FLIGHT.value}", 0))
        running = in_flight > 0 or (updated is not None and time.time() - updated < RECENT)
        return summarize(spec, job, rows, running=running and int(fields.get("runs", 0)) > 0)

    def running(self, job_id: str) -> AbstractAsyncContextManager[None]:
        return self._refuse_local(job_id)

    @contextlib.asynccontextmanager
    async def _refuse_local(self, job_id: str) -> AsyncIterator[None]:
        raise JobError(
            f"job {job_id} is recorded in Redis ({self.location}): run it on workers with "
            "mailseg.jobs.taskiq.submit, or locally with a SqliteLedger"
        )
        yield  # pragma: no cover


def _record(seq: int, fields: dict[str, str]) -> ChunkRecord:
    def number(name: str) -> float | None:
        value = fields.get(name)
        return float(value) if value not in (None, "") else None

    count = fields.get("count")
    return ChunkRecord(
        seq=seq,
        op=ChunkOp(fields["op"]),
        start=int(fields["start"]),
        ids=tuple(fields["ids"].split("\n")),
        state=ChunkState(fields["state"]),
        count=None if count is None else int(count),
        attempts=int(fields.get("attempts", 0)),
        error_class=fields.get("error_class") or None,
        error_message=fields.get("error_message") or None,
        error_parameter=fields.get("error_parameter") or None,
        sent_at=number("sent_at"),
        finished_at=number("finished_at"),
        worker=fields.get("worker") or None,
    )


async def _close_quietly(pubsub: Any) -> None:
    with contextlib.suppress(RedisError, OSError):
        await pubsub.aclose()
