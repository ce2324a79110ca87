"""``tags.sync``: make a tag hold exactly a set of ids, changing only what differs.

The plan reads the tag's members and the source into a scratch SQLite file (so two
sets of millions of ids never sit in memory) and takes the two differences there:
ids to add (in the source, not on the tag) and ids to remove (on the tag, not in the
source). A sync job records that plan in its ledger as add and remove chunks before
it sends anything, then runs like any job; a dry run returns the plan and writes
nothing.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from mailseg.errors import ValidationError
from mailseg.jobs import sources as _sources
from mailseg.jobs.ledger import Ledger, NewChunk
from mailseg.jobs.model import ChunkOp, JobSpec, SyncPlan

if TYPE_CHECKING:
    from mailseg import Client

#: Rows inserted per statement while reading.
_BATCH = 1000


class _Scratch:
    """The two sets, and the entries of the source that are not ids."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.invalid: list[tuple[str, ValidationError]] = []

    def count(self, table: str) -> int:
        return int(self.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # noqa: S608

    def difference(self, left: str, right: str) -> Iterator[str]:
        query = f"SELECT id FROM {left} WHERE id NOT IN (SELECT id FROM {right}) ORDER BY id"  # noqa: S608
        for (member,) in self.db.execute(query):
            yield member


@asynccontextmanager
async def _scratch(client: Client, tag_id: str, source: _sources.Source) -> AsyncIterator[_Scratch]:
    with tempfile.TemporaryDirectory(prefix="mailseg-sync-") as folder:
        db = sqlite3.connect(Path(folder) / "plan.sqlite")
        try:
            db.execute("CREATE TABLE current (id TEXT PRIMARY KEY) WITHOUT ROWID")
            db.execute("CREATE TABLE desired (id TEXT PRIMARY KEY) WITHOUT ROWID")
            scratch = _Scratch(db)
            members = _sources.TagMembers(tag_id)
            async for batch in members.batches(client, 0):
                db.executemany(
                    "INSERT OR IGNORE INTO current VALUES (?)", [(m,) for m in batch.values]
                )
            position = 0
            async for batch in source.batches(client, 0):
                rows = []
                for index, value in enumerate(batch.values):
                    line = None if batch.lines is None else batch.lines[index]
                    reason = (
                        value.reason
                        if isinstance(value, _sources.Invalid)
                        else _sources.id_fault(value)
                    )
                    if reason:
                        where = source.where(position, line)
                        error = ValidationError(where, f"not an id: {reason}")
                        kept = value if isinstance(value, str) else ""
                        scratch.invalid.append((kept.replace("\n", "\\n"), error))
                    else:
                        rows.append((value,))
                    position += 1
                db.executemany("INSERT OR IGNORE INTO desired VALUES (?)", rows)
            db.commit()
            yield scratch
        finally:
            db.close()


async def plan_sync(
    client: Client,
    tag_id: str,
    source: _sources.SourceLike,
    *,
    with_ids: bool = False,
    column: str | None = None,
    field: str | None = None,
) -> SyncPlan:
    """What syncing ``tag_id`` to ``source`` would change: a dry run, nothing written.

    Args:
        client: reads the tag's members (and a members source).
        tag_id: the tag to sync.
        source: the ids the tag should hold.
        with_ids: also return the ids to add and to remove (in memory: mind a large job).
        column, field: the CSV column or JSON Lines field holding the ids.

    Raises:
        SourceError: the source cannot be read.
    """
    source = _sources.source_from(source, column=column, field=field)
    source.check()
    async with _scratch(client, tag_id, source) as scratch:
        to_add = scratch.count("desired") - _both(scratch)
        to_remove = scratch.count("current") - _both(scratch)
        return SyncPlan(
            tag_id=tag_id,
            current=scratch.count("current"),
            desired=scratch.count("desired"),
            to_add=to_add,
            to_remove=to_remove,
            unchanged=_both(scratch),
            invalid=len(scratch.invalid),
            add_ids=tuple(scratch.difference("desired", "current")) if with_ids else None,
            remove_ids=tuple(scratch.difference("current", "desired")) if with_ids else None,
        )


def _both(scratch: _Scratch) -> int:
    row = scratch.db.execute("SELECT count(*) FROM desired WHERE id IN (SELECT id FROM current)")
    return int(row.fetchone()[0])


async def record_plan(
    ledger: Ledger, spec: JobSpec, client: Client, source: _sources.Source
) -> None:
    """Record a sync job's plan in its ledger: its add chunks, then its remove chunks.

    The plan is recorded whole before anything is sent; a run killed while recording
    it leaves the job unplanned, and the next run plans again from scratch.
    """
    await ledger.reset_chunks(spec.job_id)
    size = spec.chunk_size
    seq = start = 0
    batch: list[NewChunk] = []

    async def flush(done: bool) -> None:
        nonlocal batch
        await ledger.add_chunks(spec.job_id, batch, taken=start, source_done=done)
        batch = []

    async with _scratch(client, spec.target, source) as scratch:
        for op, ids in (
            (ChunkOp.TAG_ADD, scratch.difference("desired", "current")),
            (ChunkOp.TAG_REMOVE, scratch.difference("current", "desired")),
        ):
            chunk: list[str] = []
            for member in ids:
                chunk.append(member)
                if len(chunk) == size:
                    batch.append(NewChunk(seq, op, start, tuple(chunk)))
                    seq, start, chunk = seq + 1, start + size, []
                    if len(batch) == 50:
                        await flush(False)
            if chunk:
                batch.append(NewChunk(seq, op, start, tuple(chunk)))
                seq, start = seq + 1, start + len(chunk)
        for index in range(0, len(scratch.invalid), size):
            group = scratch.invalid[index : index + size]
            kept_ids = tuple(kept for kept, _ in group)
            batch.append(NewChunk(seq, ChunkOp.TAG_ADD, start, kept_ids, group[0][1]))
            seq, start = seq + 1, start + len(kept_ids)
        await flush(True)
