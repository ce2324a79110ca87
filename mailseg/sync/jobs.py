"""Durable bulk jobs, blocking: `mailseg.jobs` for a `mailseg.sync.Client`.

    import mailseg.sync
    from mailseg.sync import jobs

    with mailseg.sync.connect("sendcloud", api_user="...", api_key="...") as client, \\
            jobs.open_ledger("jobs.sqlite", client=client) as ledger:
        job = jobs.Job.create(ledger, "tags.add_members", tag_id, "ids.csv",
                              column="contact_id", job_id="import-42")
        status = job.run(client)                       # again to resume
        print(status.applied, status.unapplied, status.failed)

The same functions, classes, arguments and values as `mailseg.jobs`
(`JobStatus`, `JobSpec`, `SyncPlan`, `ChunkRecord` and the errors are
`mailseg.jobs`'s own), blocking; ``chunks`` and ``failed_ids`` are plain
iterators. One difference: `open_ledger` takes the client. A ledger's
connections (SQLite's writer, Redis's pool) belong to one event loop, the
client's thread, so the ledger runs there, and `Job.run` takes that client (or a
`with_options` copy of it). Closing the client closes the ledgers opened with
it.

Distributed runs (`mailseg.jobs.taskiq.submit`) stay async; from a terminal,
``mailseg jobs run --ledger redis://...`` submits to workers.
"""

from __future__ import annotations

__all__ = ["Job", "Ledger", "list_jobs", "open_ledger", "plan_sync"]

import os
from collections.abc import Iterator, Sequence

from mailseg import jobs as async_jobs
from mailseg.errors import ConfigurationError, ValidationError
from mailseg.jobs import ChunkRecord, ChunkState, JobSpec, JobStatus, Operation, SyncPlan
from mailseg.jobs.job import SourceLike
from mailseg.jobs.model import MAX_CHUNK_SIZE
from mailseg.jobs.runner import ProgressCallback
from mailseg.sync import Client, _blocking_iterator, _LoopThread


class Ledger:
    """A job ledger (SQLite file or Redis), run on its client's thread. From `open_ledger`.

    Use it in a ``with`` block or call `close`; closing the client closes it too.

    Attributes:
        location: where it is (a Redis URL with its password masked).
    """

    def __init__(self, ledger: async_jobs.Ledger, portal: _LoopThread) -> None:
        self._async = ledger
        self._portal = portal
        self.location = ledger.location
        portal.close_before_stop(self.close)

    def __repr__(self) -> str:
        return f"<mailseg.sync.jobs.Ledger {self.location!r}>"

    def close(self) -> None:
        """Release the store's connections (and SQLite's writer thread). Twice is fine."""
        self._portal.forget(self.close)
        if not self._portal.stopped:
            self._portal.run(self._async.close())

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def open_ledger(location: str | os.PathLike[str], *, client: Client, create: bool = True) -> Ledger:
    """The ledger at ``location`` (a SQLite path or a ``redis://`` URL), on ``client``'s thread.

    As `mailseg.jobs.open_ledger`; a Redis ledger needs the ``jobs-redis`` extra.
    """
    return Ledger(async_jobs.open_ledger(location, create=create), _portal(client, "client"))


def list_jobs(ledger: Ledger) -> list[JobStatus]:
    """The status of every job in ``ledger``, oldest first."""
    return ledger._portal.run(async_jobs.list_jobs(ledger._async))


def plan_sync(
    client: Client,
    tag_id: str,
    source: SourceLike,
    *,
    with_ids: bool = False,
    column: str | None = None,
    field: str | None = None,
) -> SyncPlan:
    """What syncing ``tag_id`` to ``source`` would change: a dry run, nothing written.

    As `mailseg.jobs.plan_sync`.
    """
    return _portal(client, "client").run(
        async_jobs.plan_sync(
            client._client, tag_id, source, with_ids=with_ids, column=column, field=field
        )
    )


class Job:
    """One durable bulk job, blocking. Make it with `Job.create`, find it with `Job.open`.

    Attributes:
        spec: what the job is (`mailseg.jobs.JobSpec`), as its ledger records it.
        ledger: where it is recorded.
    """

    def __init__(self, job: async_jobs.Job, ledger: Ledger) -> None:
        self._async = job
        self._portal = ledger._portal
        self.ledger = ledger
        self.spec: JobSpec = job.spec

    def __repr__(self) -> str:
        return f"<mailseg.sync.jobs.Job {self.id} {self.spec.operation.value} {self.spec.target}>"

    @property
    def id(self) -> str:
        """The job's id."""
        return self.spec.job_id

    @classmethod
    def create(
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
        """Record a new job in ``ledger`` (or find the same one); as `mailseg.jobs.Job.create`.

        Nothing is sent until `run`. The source is checked first: a job whose source
        cannot be read is never recorded.
        """
        created = ledger._portal.run(
            async_jobs.Job.create(
                ledger._async,
                operation,
                target,
                source,
                job_id=job_id,
                chunk_size=chunk_size,
                max_concurrency=max_concurrency,
                rate_limit=rate_limit,
                provider=provider,
                column=column,
                field=field,
            )
        )
        return cls(created, ledger)

    @classmethod
    def open(cls, ledger: Ledger, job_id: str) -> Job:
        """The job ``job_id`` recorded in ``ledger``; as `mailseg.jobs.Job.open`.

        Raises:
            JobNotFoundError: the ledger holds no such job.
        """
        return cls(ledger._portal.run(async_jobs.Job.open(ledger._async, job_id)), ledger)

    def run(
        self,
        client: Client,
        *,
        source: SourceLike | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> JobStatus:
        """Run the job here, or resume it: only what did not succeed is sent.

        As `mailseg.jobs.Job.run`. ``client`` is the client the ledger was opened with,
        or a `with_options` copy of it. ``on_progress`` is called on the client's
        thread. Ctrl+C (KeyboardInterrupt) stops the run at once; the chunks it had in
        flight are sent again by the next run.

        Raises:
            ValidationError: ``client`` is not the ledger's client.
            JobConflictError: another process runs this job now.
        """
        if _portal(client, "client") is not self._portal:
            raise ValidationError(
                "client",
                "this job's ledger was opened with another mailseg.sync client; "
                "run the job with that client (or its with_options copy)",
            )
        return self._portal.run(
            self._async.run(client._client, source=source, on_progress=on_progress)
        )

    def stop(self) -> None:
        """Ask a run of this job (blocked in another thread) to stop after its chunks in flight."""
        self._portal.call_soon(self._async.stop)

    def request_stop(self) -> None:
        """Ask whoever runs this job (any process, any worker) to stop, through the ledger."""
        self._portal.run(self._async.request_stop())

    def status(self) -> JobStatus:
        """The job's accounting now, from its ledger."""
        return self._portal.run(self._async.status())

    def chunks(self, states: Sequence[ChunkState] | None = None) -> Iterator[ChunkRecord]:
        """The job's chunks from the ledger, in order (only those in ``states`` if given)."""
        return _blocking_iterator(self._portal, self._async.chunks(states))

    def failed_ids(self) -> Iterator[str]:
        """Every id of every failed chunk, in order: what did not reach the provider."""
        return _blocking_iterator(self._portal, self._async.failed_ids())


def _portal(client: Client, name: str) -> _LoopThread:
    if not isinstance(client, Client):
        kind = f"{type(client).__module__}.{type(client).__qualname__}"
        raise ValidationError(name, f"expected a mailseg.sync.Client, got {kind}")
    if client.closed:
        raise ConfigurationError(f"{name}: this client is closed")
    return client._portal
