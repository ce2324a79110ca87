"""The direct bulk commands (``tags add``, ``tags remove``, ``segments remove-members``).

They run the SDK's bulk engine in this process: chunked, concurrent, every id
accounted for. Their ids are read by `mailseg.jobs.sources` (see
`mailseg.cli.id_sources`), the reader of the durable jobs, so both read the same
formats the same way and name a bad id by its line. The result is printed as
data; failed ids can be written to a file to send again, and any failure makes
the exit status 3. For work that must survive the process, use ``mailseg jobs run``.
"""

from __future__ import annotations

__all__ = ["bulk_summary", "run_bulk", "write_failed_ids"]

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import attrs

from mailseg import Client
from mailseg.cli.id_sources import MemberIds
from mailseg.cli.progress import reporter
from mailseg.errors import ValidationError
from mailseg.jobs import MAX_CHUNK_SIZE, Source
from mailseg.jobs.sources import Chunk, chunks
from mailseg.models import BulkResult, FailedChunk

BulkCall = Callable[..., Awaitable[BulkResult]]


def bulk_summary(result: BulkResult, **extra: Any) -> dict[str, Any]:
    """A bulk result as data: counts, the failed ids and why they failed."""
    errors = sorted({str(chunk.error) for chunk in result.failed})
    return {
        **extra,
        "requested": result.requested,
        "chunks": result.chunks,
        "succeeded": result.succeeded,
        "failed_chunks": len(result.failed),
        "failed_ids": list(result.failed_ids),
        "errors": errors,
    }


def write_failed_ids(path: str, result: BulkResult) -> None:
    """Write the failed ids, one per line, to *path* (``-`` is refused: stdout holds data)."""
    try:
        Path(path).write_text("".join(f"{i}\n" for i in result.failed_ids), encoding="utf-8")
    except OSError as error:
        raise ValidationError("--failed-ids", f"cannot write {path}: {error.strerror}") from None


@attrs.define
class _Rejected:
    """The chunks of the source holding an entry that is not an id: never sent."""

    chunks: list[FailedChunk] = attrs.Factory(list)
    entries: int = 0

    def add(self, ids: tuple[str, ...], error: ValidationError) -> None:
        # An entry that was no string at all stands as "" in the chunk: nothing to retry.
        self.chunks.append(FailedChunk(tuple(i for i in ids if i), error))
        self.entries += len(ids)


async def run_bulk(
    call: BulkCall,
    target: str,
    ids: MemberIds,
    client: Client,
    *,
    label: str,
    quiet: bool,
) -> BulkResult:
    """Run one bulk call with progress on standard error.

    The source is cut into chunks by `mailseg.jobs.sources.chunks`: a chunk holding
    a bad entry is not sent and fails with the `ValidationError` naming that
    entry's line; the others stream into ``call``, which sends them concurrently.
    """
    rejected = _Rejected()
    total = len(ids.arguments) if ids.source is None else None
    with reporter(label, quiet=quiet) as shown:

        def on_progress(done: int, _: int | None) -> None:
            shown.update(done + rejected.entries, total)

        options: dict[str, Any] = {"on_progress": on_progress, "raise_on_error": False}
        if ids.source is None:
            result = await call(target, ids.arguments, **options)
        else:
            async with aclosing(_good_ids(ids.arguments, ids.source, client, rejected)) as stream:
                result = await call(target, stream, **options)
        result = BulkResult(
            requested=result.requested + rejected.entries,
            chunks=result.chunks + len(rejected.chunks),
            succeeded=result.succeeded,
            failed=(*rejected.chunks, *result.failed),
        )
        shown.update(result.requested, result.requested, failed=len(result.failed_ids))
    return result


async def _good_ids(
    arguments: tuple[str, ...], source: Source, client: Client, rejected: _Rejected
) -> AsyncGenerator[str, None]:
    for value in arguments:
        yield value
    async with aclosing(chunks(source, client, skip=0, size=MAX_CHUNK_SIZE)) as read:
        stream: AsyncIterator[Chunk] = read
        if source.snapshot_first:
            # A segment's or tag's members shift under our own removals: read them whole
            # before the first request (the durable job keeps them in its ledger instead).
            stream = _replay([chunk async for chunk in read])
        async for chunk in stream:
            if chunk.error is not None:
                rejected.add(chunk.ids, chunk.error)
                continue
            for value in chunk.ids:
                yield value


async def _replay(taken: list[Chunk]) -> AsyncIterator[Chunk]:
    for chunk in taken:
        yield chunk
