"""The direct bulk commands (``tags add``, ``tags remove``, ``segments remove-members``).

They run the SDK's bulk engine in this process: chunked, concurrent, every id
accounted for. Their ids are read by `mailseg.jobs.sources`, the reader of the
durable jobs, so both read the same formats the same way and name a bad id by
its line. The result is printed as data; failed ids can be written to a file to
send again, and any failure makes the exit status 3. For work that must survive
the process, use ``mailseg jobs run``.
"""

from __future__ import annotations

__all__ = ["MemberIds", "bulk_summary", "given_ids", "run_bulk", "write_failed_ids"]

from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any

import attrs

from mailseg import Client
from mailseg.cli.progress import reporter
from mailseg.errors import ValidationError
from mailseg.jobs import MAX_CHUNK_SIZE, CsvColumn, Source, source_from
from mailseg.jobs.sources import Chunk, chunks, id_fault
from mailseg.models import BulkResult, FailedChunk

BulkCall = Callable[..., Awaitable[BulkResult]]


@attrs.frozen
class MemberIds:
    """The ids a bulk command was given: its arguments, then its ``--ids`` source."""

    arguments: tuple[str, ...]
    source: Source | None


def given_ids(
    arguments: Sequence[str], path: str | None, column: str | None, field: str | None
) -> MemberIds:
    """The command's ids, checked as far as they can be before any request.

    ``path`` is what ``--ids`` names: a text file, a ``.csv`` (``--column``, by
    default its first column), a ``.jsonl`` (``--field``), ``-`` for standard
    input, ``segment:ID`` or ``tag:ID``, read by `mailseg.jobs.source_from`.

    Raises:
        ValidationError: no ids at all, a bad argument, or options that do not fit.
        SourceError: the file cannot be read, or has no such column.
    """
    if not arguments and path is None:
        raise ValidationError("--ids", "give member ids as arguments, or --ids FILE (- for stdin)")
    for option, value in (("--column", column), ("--field", field)):
        if value is not None and path is None:
            raise ValidationError(option, "only applies with --ids FILE")
    if column is not None and field is not None:
        raise ValidationError("--field", "give --column (a CSV file) or --field (JSON Lines)")
    for index, value in enumerate(arguments):
        # A handful typed on the command line: refused whole, before any request.
        if fault := id_fault(value):
            raise ValidationError(f"member_ids[{index}]", f"not an id: {fault}")
    source = None if path is None else _source(path, column, field)
    if source is not None:
        source.check()
    return MemberIds(tuple(arguments), source)


def _source(path: str, column: str | None, field: str | None) -> Source:
    if column is None and field is None and path.lower().endswith(".csv"):
        return CsvColumn.first(path)  # the command line's default; the library asks for one
    try:
        return source_from(path, column=column, field=field)
    except ValidationError as error:
        # The library names its keyword (column=); here the user typed an option.
        raise ValidationError(f"--{error.parameter}", error.message) from None


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
    stream: AsyncIterator[Chunk] = chunks(source, client, skip=0, size=MAX_CHUNK_SIZE)
    if source.snapshot_first:
        # A segment's or tag's members shift under our own removals: read them whole
        # before the first request (the durable job keeps them in its ledger instead).
        stream = _replay([chunk async for chunk in stream])
    async for chunk in stream:
        if chunk.error is not None:
            rejected.add(chunk.ids, chunk.error)
            continue
        for value in chunk.ids:
            yield value


async def _replay(taken: list[Chunk]) -> AsyncIterator[Chunk]:
    for chunk in taken:
        yield chunk
