"""The values of durable jobs: what a job is, what its ledger records, what it reports."""

from __future__ import annotations

import enum
import json
import time
import uuid
from collections.abc import Mapping
from typing import Any

import attrs

from mailseg.errors import ValidationError

#: Both providers take at most 1000 member ids per request.
MAX_CHUNK_SIZE = 1000


class Operation(str, enum.Enum):
    """What a job does to its target. The values are what the ledger and the CLI spell."""

    TAG_ADD = "tags.add_members"
    TAG_REMOVE = "tags.remove_members"
    SEGMENT_REMOVE = "segments.remove_members"
    #: Make a tag hold exactly the source's ids: add what is missing, remove the rest.
    TAG_SYNC = "tags.sync"


class ChunkOp(str, enum.Enum):
    """What one chunk's request does: a sync job's chunks add or remove, the others' one op."""

    TAG_ADD = "tags.add_members"
    TAG_REMOVE = "tags.remove_members"
    SEGMENT_REMOVE = "segments.remove_members"


class ChunkState(str, enum.Enum):
    """Where a chunk is. Every chunk ends succeeded or failed; a resume re-sends the others
    and the failed ones."""

    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class JobState(str, enum.Enum):
    """Where a job is, derived from its ledger."""

    #: Recorded, not started.
    CREATED = "created"
    #: A runner (a local process, or workers) is working on it now.
    RUNNING = "running"
    #: Not running and not finished: killed, stopped or interrupted. Run it again to resume.
    STOPPED = "stopped"
    #: The source is read to its end and every chunk succeeded or failed.
    FINISHED = "finished"


def new_job_id() -> str:
    """A fresh job id: 12 hex characters (readable on a command line, unique enough)."""
    return uuid.uuid4().hex[:12]


def _check_job_id(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value or len(value) > 64:
        raise ValidationError("job_id", "must be a string of 1 to 64 characters")
    if not all(c.isalnum() or c in "-_." for c in value):
        raise ValidationError("job_id", "may hold only letters, digits, '-', '_' and '.'")


def _check_chunk_size(_: object, __: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CHUNK_SIZE:
        raise ValidationError("chunk_size", f"must be an integer from 1 to {MAX_CHUNK_SIZE}")


def _check_concurrency(_: object, __: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValidationError("max_concurrency", "must be an integer >= 1")


def _check_rate(_: object, __: attrs.Attribute[float | None], value: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValidationError("rate_limit", "must be a number of requests per second > 0, or None")


def _operation(value: object) -> Operation:
    try:
        return Operation(value)
    except ValueError:
        known = ", ".join(op.value for op in Operation)
        raise ValidationError("operation", f"must be one of {known}, not {value!r}") from None


def _target(value: object) -> str:
    if not isinstance(value, str) or not value or value in (".", ".."):
        raise ValidationError("target", "must be a tag or segment id (a non-empty string)")
    return value


@attrs.frozen
class JobSpec:
    """What a job is, as its ledger records it (never a credential).

    Attributes:
        job_id: the job's id (letters, digits, ``-``, ``_``, ``.``).
        operation: what it does.
        target: the tag or segment id it does it to.
        source: how to read the source again (`Source.spec`); None when it cannot
            be read again (a Python iterable, standard input).
        source_description: the source as a person reads it (``text file ids.txt``).
        chunk_size: ids per request, 1 to 1000.
        max_concurrency: chunks in flight at once in one runner process.
        rate_limit: requests per second for the whole job (every process running it),
            or None.
        provider: the provider the job was created for, when known: a runner
            configured for another one refuses it.
        created_at: seconds since the epoch.
    """

    job_id: str = attrs.field(validator=_check_job_id)
    operation: Operation = attrs.field(converter=_operation)
    target: str = attrs.field(converter=_target)
    source: Mapping[str, Any] | None
    source_description: str
    chunk_size: int = attrs.field(default=MAX_CHUNK_SIZE, validator=_check_chunk_size)
    max_concurrency: int = attrs.field(default=8, validator=_check_concurrency)
    rate_limit: float | None = attrs.field(default=None, validator=_check_rate)
    provider: str | None = None
    created_at: float = attrs.field(factory=time.time)

    def to_json(self) -> str:
        """The spec as the ledger stores it."""
        data = attrs.asdict(self)
        data["operation"] = self.operation.value
        data["source"] = None if self.source is None else dict(self.source)
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        """The spec a ledger stored (`to_json`)."""
        data = json.loads(text)
        return cls(**data)

    def same_job(self, other: JobSpec) -> bool:
        """True when ``other`` describes the same work (times and tuning aside)."""
        return (self.job_id, self.operation, self.target, self.source, self.chunk_size) == (
            other.job_id,
            other.operation,
            other.target,
            other.source,
            other.chunk_size,
        )


@attrs.frozen
class ChunkRecord:
    """One chunk as the ledger holds it.

    Attributes:
        seq: its number in the job, from 0.
        op: the request it makes.
        start: the position of its first id in the source (for a sync job, in the plan).
        ids: its ids.
        state: where it is.
        count: the provider's count, once succeeded.
        attempts: times it was sent (a resume or a redelivery adds one).
        error_class: the class of its last error (``ServerError``), when it failed.
        error_message: that error's message.
        error_parameter: the parameter a `ValidationError` named (``ids.txt line 17``).
        sent_at: when it was last sent (seconds since the epoch).
        finished_at: when it last ended.
        worker: who ran it last (``host:pid``).
    """

    seq: int
    op: ChunkOp
    start: int
    ids: tuple[str, ...]
    state: ChunkState
    count: int | None = None
    attempts: int = 0
    error_class: str | None = None
    error_message: str | None = None
    error_parameter: str | None = None
    sent_at: float | None = None
    finished_at: float | None = None
    worker: str | None = None

    @property
    def size(self) -> int:
        """How many ids it holds."""
        return len(self.ids)

    @property
    def unapplied(self) -> int:
        """Ids of a succeeded chunk the provider did not count (unknown, or already so)."""
        if self.state is not ChunkState.SUCCEEDED or self.count is None:
            return 0
        return max(0, self.size - self.count)


@attrs.frozen
class JobStatus:
    """A job's progress and accounting, read from its ledger (also passed to ``on_progress``).

    The ledger is the truth: ``requested == applied + unapplied + failed + pending +
    in_flight``, every id in exactly one chunk.

    Attributes:
        job_id, operation, target: the job.
        state: `JobState`.
        requested: ids recorded in chunks so far (all of the source once ``source_done``).
        applied: the provider's counts summed over the succeeded chunks.
        unapplied: ids of succeeded chunks the provider did not count (unknown to it,
            or already in the requested state): "succeeded" yet nothing happened.
        failed: ids in failed chunks.
        pending: ids in chunks not sent yet (or to be sent again).
        in_flight: ids in chunks being sent.
        chunks: chunks per state.
        source_done: the source was read to its end.
        rate: ids per second settled by the current (or last) run, or None.
        eta: seconds left at that rate, when the total is known.
        updated_at: when the ledger last changed (seconds since the epoch).
    """

    job_id: str
    operation: Operation
    target: str
    state: JobState
    requested: int = 0
    applied: int = 0
    unapplied: int = 0
    failed: int = 0
    pending: int = 0
    in_flight: int = 0
    chunks: Mapping[ChunkState, int] = attrs.field(factory=dict)
    source_done: bool = False
    rate: float | None = None
    eta: float | None = None
    updated_at: float | None = None

    @property
    def done(self) -> int:
        """Ids whose chunk has ended (succeeded or failed)."""
        return self.applied + self.unapplied + self.failed

    @property
    def finished(self) -> bool:
        """The source is read and every chunk ended."""
        return self.state is JobState.FINISHED

    @property
    def ok(self) -> bool:
        """Finished with no failed chunk."""
        return self.finished and self.failed == 0


@attrs.frozen
class SyncPlan:
    """What `plan_sync` found: how a tag differs from the set of ids it should hold.

    Attributes:
        tag_id: the tag.
        current: ids the tag holds now.
        desired: distinct valid ids of the source.
        to_add: ids of the source the tag lacks.
        to_remove: ids the tag holds that the source lacks.
        unchanged: ids in both.
        invalid: source entries that are not ids (each would fail its chunk).
        add_ids, remove_ids: the ids themselves, when asked for (``with_ids=True``).
    """

    tag_id: str
    current: int
    desired: int
    to_add: int
    to_remove: int
    unchanged: int
    invalid: int = 0
    add_ids: tuple[str, ...] | None = None
    remove_ids: tuple[str, ...] | None = None
