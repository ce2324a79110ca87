"""mailseg.jobs: durable bulk jobs, resumable on one machine, distributed on taskiq + Redis.

A job is an operation (`Operation`: ``tags.add_members``, ``tags.remove_members``,
``segments.remove_members``, ``tags.sync``), a target id, a streamed source of ids and
options. Its ledger records every chunk, so a job killed at any moment resumes by
sending only what did not succeed::

    from mailseg import jobs

    async with mailseg.Client.from_env() as client, jobs.open_ledger("jobs.sqlite") as ledger:
        job = await jobs.Job.create(ledger, "tags.add_members", tag_id, "ids.csv",
                                    column="contact_id", job_id="import-42")
        status = await job.run(client, on_progress=print)      # again to resume
        print(status.applied, status.unapplied, status.failed)

    plan = await jobs.plan_sync(client, tag_id, jobs.source_from("crm.txt"))  # dry run

The API (stable; the ``mailseg jobs`` command line builds on it):

- `Job.create(ledger, operation, target, source, *, job_id, chunk_size, max_concurrency,
  rate_limit, provider, column, field)`, `Job.open(ledger, job_id)`;
  ``job.run(client, *, source, on_progress)``, ``job.stop()``, ``job.request_stop()``,
  ``job.status()``, ``job.chunks(states)``, ``job.failed_ids()``.
- `open_ledger(path_or_redis_url)`, `SqliteLedger`, `list_jobs(ledger)`.
- Sources: `source_from(value, *, column, field)`, `TextFile`, `CsvColumn`,
  `JsonLinesField`, `Stdin`, `SegmentMembers`, `TagMembers`, `IterableSource`.
- `plan_sync(client, tag_id, source, *, with_ids)` -> `SyncPlan` (a dry run).
- Values: `JobSpec`, `JobStatus`, `JobState`, `ChunkRecord`, `ChunkState`, `ChunkOp`.
- Errors (all `mailseg.MailsegError`): `JobError`, `SourceError`, `LedgerError`,
  `LedgerFormatError`, `JobNotFoundError`, `JobConflictError`.
- Distributed (the ``jobs-redis`` extra): `mailseg.jobs.redis.RedisLedger`,
  `mailseg.jobs.taskiq` (``submit``, ``wait``, the workers' broker), workers started
  with ``python -m mailseg.jobs.worker``.

See docs/jobs.md for the ledger and the delivery guarantees.
"""

from __future__ import annotations

from mailseg.jobs.errors import (
    JobConflictError,
    JobError,
    JobNotFoundError,
    LedgerError,
    LedgerFormatError,
    SourceError,
)
from mailseg.jobs.job import Job, list_jobs, open_ledger
from mailseg.jobs.ledger import Ledger
from mailseg.jobs.model import (
    MAX_CHUNK_SIZE,
    ChunkOp,
    ChunkRecord,
    ChunkState,
    JobSpec,
    JobState,
    JobStatus,
    Operation,
    SyncPlan,
)
from mailseg.jobs.sources import (
    CsvColumn,
    IterableSource,
    JsonLinesField,
    SegmentMembers,
    Source,
    Stdin,
    TagMembers,
    TextFile,
    source_from,
)
from mailseg.jobs.sqlite import SqliteLedger
from mailseg.jobs.sync import plan_sync

__all__ = [
    "MAX_CHUNK_SIZE",
    "ChunkOp",
    "ChunkRecord",
    "ChunkState",
    "CsvColumn",
    "IterableSource",
    "Job",
    "JobConflictError",
    "JobError",
    "JobNotFoundError",
    "JobSpec",
    "JobState",
    "JobStatus",
    "JsonLinesField",
    "Ledger",
    "LedgerError",
    "LedgerFormatError",
    "Operation",
    "SegmentMembers",
    "Source",
    "SourceError",
    "SqliteLedger",
    "Stdin",
    "SyncPlan",
    "TagMembers",
    "TextFile",
    "list_jobs",
    "open_ledger",
    "plan_sync",
    "source_from",
]
