"""The embedded ledger: one SQLite file (WAL), no server to start.

One file holds any number of jobs. All access goes through one thread that owns
the connection: writes queued while it works are committed together, one commit
per batch, so the ledger costs little next to the requests it records. A write's
``await`` returns once it is committed. With ``synchronous=NORMAL`` in WAL mode a
killed process loses nothing committed; a power loss may roll back the last
commits, which only means those chunks are sent again (every job operation is safe
to repeat).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import queue
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any, TypeVar, cast

from mailseg.errors import MailsegError
from mailseg.jobs.errors import JobConflictError, JobNotFoundError, LedgerError, LedgerFormatError
from mailseg.jobs.ledger import (
    LEDGER_FORMAT,
    Ledger,
    NewChunk,
    Position,
    conflict,
    error_fields,
    summarize,
)
from mailseg.jobs.model import (
    ChunkOp,
    ChunkRecord,
    ChunkState,
    JobSpec,
    JobStatus,
)

try:  # POSIX: a running job holds a lock the kernel drops when its process dies
    import fcntl
except ImportError:  # pragma: no cover - Windows: no cross-process run lock
    fcntl = None  # type: ignore[assignment]

T = TypeVar("T")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS mailseg_ledger (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    spec TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL,
    taken INTEGER NOT NULL DEFAULT 0,
    source_done INTEGER NOT NULL DEFAULT 0,
    next_seq INTEGER NOT NULL DEFAULT 0,
    stop_requested INTEGER NOT NULL DEFAULT 0,
    run_started_at REAL,
    run_done_at_start INTEGER NOT NULL DEFAULT 0,
    runs INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS chunks (
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    op TEXT NOT NULL,
    start INTEGER NOT NULL,
    size INTEGER NOT NULL,
    state TEXT NOT NULL,
    count INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    error_class TEXT,
    error_message TEXT,
    error_parameter TEXT,
    sent_at REAL,
    finished_at REAL,
    worker TEXT,
    PRIMARY KEY (job, seq)
);
-- Apart from the chunks' state: updating a row rewrites it whole, and a chunk's state
-- changes twice or more while its 1000 ids, written once, never change.
CREATE TABLE IF NOT EXISTS chunk_ids (
    job TEXT NOT NULL,
    seq INTEGER NOT NULL,
    ids TEXT NOT NULL,
    PRIMARY KEY (job, seq)
);
"""

_CHUNK_COLUMNS = (
    "c.seq, c.op, c.start, i.ids, c.state, c.count, c.attempts, c.error_class, "
    "c.error_message, c.error_parameter, c.sent_at, c.finished_at, c.worker "
    "FROM chunks c JOIN chunk_ids i ON i.job = c.job AND i.seq = c.seq"
)


def _record(row: tuple[Any, ...]) -> ChunkRecord:
    seq, op, start, ids, state, count, attempts, error_class, message, parameter = row[:10]
    return ChunkRecord(
        seq=seq,
        op=ChunkOp(op),
        start=start,
        ids=tuple(ids.split("\n")),
        state=ChunkState(state),
        count=count,
        attempts=attempts,
        error_class=error_class,
        error_message=message,
        error_parameter=parameter,
        sent_at=row[10],
        finished_at=row[11],
        worker=row[12],
    )


_Item = list[tuple[Callable[[sqlite3.Connection], Any], "asyncio.Future[Any]"]]


class _Writer(threading.Thread):
    """The one thread that owns the connection; runs queued calls, one commit per batch."""

    def __init__(
        self,
        connect: Callable[[], _Connection],
        loop: asyncio.AbstractEventLoop,
        ledger: SqliteLedger,
    ) -> None:
        super().__init__(name="mailseg-ledger", daemon=True)
        self._connect = connect
        self.loop = loop
        self.location = ledger.location
        self.calls: queue.SimpleQueue[_Item | None] = queue.SimpleQueue()
        self.ready = threading.Event()
        self.failure: BaseException | None = None

    def run(self) -> None:
        try:
            db = self._connect()
        except BaseException as exc:
            self.failure = exc
            self.ready.set()
            return
        self.ready.set()
        try:
            while True:
                item = self.calls.get()
                if item is None:
                    return
                batch = list(item)
                with contextlib.suppress(queue.Empty):
                    while len(batch) < 512:
                        more = self.calls.get_nowait()
                        if more is None:
                            self.calls.put(None)
                            break
                        batch.extend(more)
                outcomes: list[tuple[bool, Any]] = []
                for call, _ in batch:
                    try:
                        outcomes.append((True, call(db)))
                    except sqlite3.Error as exc:
                        outcomes.append((False, self._error(exc)))
                    except BaseException as exc:
                        outcomes.append((False, exc))
                try:
                    _write_touched(db)
                    db.commit()
                except sqlite3.Error as exc:
                    # Nothing of a batch reported failed may land with a later commit.
                    with contextlib.suppress(sqlite3.Error):
                        db.rollback()
                    db.touched.clear()
                    outcomes = [(False, self._error(exc))] * len(batch)
                futures = [future for _, future in batch]
                self.loop.call_soon_threadsafe(_settle_all, futures, outcomes)
        finally:
            db.close()

    def _error(self, exc: sqlite3.Error) -> LedgerError:
        return LedgerError(self.location, f"{type(exc).__name__}: {exc}")


class _Connection(sqlite3.Connection):
    """A ledger connection, which notes the jobs a batch of its writes touched."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.touched: dict[str, float] = {}


def _touch(db: sqlite3.Connection, job_id: str, now: float) -> None:
    """Set the job's ``updated_at`` to ``now``, at the batch's commit.

    Once per job and batch, not once per chunk: a chunk's outcome was two
    statements, and the second, the same row each time, was measured at about
    30 ms per million-id job, the writer thread's share of the ledger's cost.
    Every ledger connection is a `_Connection` (`SqliteLedger._connect`).
    """
    cast(_Connection, db).touched[job_id] = now


def _write_touched(db: _Connection) -> None:
    if db.touched:
        db.executemany(
            "UPDATE jobs SET updated_at = ? WHERE id = ?",
            [(now, job_id) for job_id, now in db.touched.items()],
        )
        db.touched.clear()


def _settle_all(futures: list[asyncio.Future[Any]], outcomes: list[tuple[bool, Any]]) -> None:
    for future, (ok, value) in zip(futures, outcomes, strict=True):
        _settle(future, ok, value)


def _settle(future: asyncio.Future[Any], ok: bool, value: Any) -> None:
    if future.cancelled():
        return
    if ok:
        future.set_result(value)
    else:
        future.set_exception(value)


class SqliteLedger(Ledger):
    """A ledger in one SQLite file (created on first use unless ``create=False``).

    Args:
        path: the file. Several jobs, and several processes, may share one file.
        create: create the file when missing; when False a missing file is a `LedgerError`.

    Raises (on first use):
        LedgerError: the file is not a mailseg ledger, or cannot be opened.
        LedgerFormatError: it was written by a newer mailseg.
    """

    def __init__(self, path: str | os.PathLike[str], *, create: bool = True) -> None:
        self.path = Path(path)
        self.location = str(self.path)
        self._create = create
        self._writer: _Writer | None = None
        # Calls made during one turn of the event loop go to the thread together: one
        # wake-up of the thread, one commit, for all of them.
        self._pending: _Item = []
        self._running: set[str] = set()
        self._lock_file: int | None = None

    def __repr__(self) -> str:
        return f"<mailseg.jobs.SqliteLedger {self.location!r}>"

    # -- the connection's thread --------------------------------------------------------------

    def _connect(self) -> _Connection:
        exists = self.path.exists()
        if not exists and not self._create:
            raise LedgerError(self.location, "no such ledger file")
        if exists and self.path.is_dir():
            raise LedgerError(self.location, "is a directory, not a ledger file")
        try:
            db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level="DEFERRED", factory=_Connection
            )
        except sqlite3.Error as exc:
            raise LedgerError(self.location, f"cannot be opened: {exc}") from None
        try:
            self._prepare(db)
        except BaseException:
            db.close()
            raise
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        except sqlite3.DatabaseError as exc:
            raise LedgerError(self.location, f"is not a SQLite database ({exc})") from None
        if tables and "mailseg_ledger" not in tables:
            raise LedgerError(
                self.location, "is a SQLite database but not a mailseg ledger: nothing was written"
            )
        if tables:
            row = db.execute("SELECT value FROM mailseg_ledger WHERE key = 'format'").fetchone()
            found = int(row[0]) if row else 0
            if found > LEDGER_FORMAT:
                raise LedgerFormatError(
                    self.location,
                    f"was written in ledger format {found} by a newer mailseg; this version "
                    f"reads format {LEDGER_FORMAT} (upgrade mailseg): nothing was written",
                )
        db.execute("PRAGMA busy_timeout = 30000")
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise LedgerError(self.location, f"cannot use WAL journaling (got {mode})")
        db.execute("PRAGMA synchronous = NORMAL")
        if not tables:
            # Two processes opening a new file at once (a job starting while `mailseg jobs
            # status` looks) both find it empty: the schema and its format row are one
            # transaction under SQLite's write lock (IMMEDIATE), written only if absent, so
            # the second waits for the first and then changes nothing.
            db.execute("BEGIN IMMEDIATE")
            try:
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(
                    "INSERT OR IGNORE INTO mailseg_ledger VALUES ('format', ?), ('created_at', ?)",
                    (str(LEDGER_FORMAT), str(time.time())),
                )
            except BaseException:
                db.rollback()
                raise
            db.commit()

    async def _call(self, call: Callable[[sqlite3.Connection], T]) -> T:
        if self._writer is None:
            writer = self._writer = _Writer(self._connect, asyncio.get_running_loop(), self)
            writer.start()
            await asyncio.to_thread(writer.ready.wait)
        return await asyncio.shield(self._enqueue(call))

    def _enqueue(self, call: Callable[[sqlite3.Connection], T]) -> asyncio.Future[T]:
        """Queue ``call`` for the connection's thread; its future settles once committed."""
        writer = self._writer
        if writer is None:
            raise LedgerError(self.location, "is not open yet (no call awaited on it)")
        if writer.failure is not None:
            failure = writer.failure
            if isinstance(failure, MailsegError):
                raise failure
            raise LedgerError(self.location, f"cannot be opened: {failure}") from None
        loop = writer.loop
        future: asyncio.Future[T] = loop.create_future()
        if not self._pending:
            loop.call_soon(self._flush)
        self._pending.append((call, future))
        return future

    def _flush(self) -> None:
        batch, self._pending = self._pending, []
        if batch and self._writer is not None:
            self._writer.calls.put(batch)

    async def close(self) -> None:
        writer, self._writer = self._writer, None
        if writer is not None and writer.is_alive():
            writer.calls.put(None)
            await asyncio.to_thread(writer.join)
        if self._lock_file is not None:
            os.close(self._lock_file)
            self._lock_file = None

    # -- jobs ---------------------------------------------------------------------------------

    async def create_job(self, spec: JobSpec) -> JobSpec:
        def create(db: sqlite3.Connection) -> JobSpec:
            row = db.execute("SELECT spec FROM jobs WHERE id = ?", (spec.job_id,)).fetchone()
            if row is not None:
                recorded = JobSpec.from_json(row[0])
                if not recorded.same_job(spec):
                    raise conflict(self.location, recorded)
                return recorded
            now = time.time()
            db.execute(
                "INSERT INTO jobs (id, spec, created_at, updated_at) VALUES (?, ?, ?, ?)",
                (spec.job_id, spec.to_json(), now, now),
            )
            return spec

        return await self._call(create)

    async def load_job(self, job_id: str) -> JobSpec:
        def load(db: sqlite3.Connection) -> JobSpec:
            row = db.execute("SELECT spec FROM jobs WHERE id = ?", (job_id,)).fetchone()
            if row is None:
                known = [r[0] for r in db.execute("SELECT id FROM jobs ORDER BY created_at")]
                listed = ", ".join(known[-5:]) if known else "none"
                raise JobNotFoundError(
                    self.location, job_id, f"holds no job {job_id!r} (its jobs: {listed})"
                )
            return JobSpec.from_json(row[0])

        return await self._call(load)

    async def list_jobs(self) -> list[JobSpec]:
        def listing(db: sqlite3.Connection) -> list[JobSpec]:
            rows = db.execute("SELECT spec FROM jobs ORDER BY created_at, id")
            return [JobSpec.from_json(row[0]) for row in rows]

        return await self._call(listing)

    async def position(self, job_id: str) -> Position:
        def read(db: sqlite3.Connection) -> Position:
            row = db.execute(
                "SELECT taken, source_done, next_seq FROM jobs WHERE id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise JobNotFoundError(self.location, job_id, f"holds no job {job_id!r}")
            return Position(row[0], bool(row[1]), row[2])

        return await self._call(read)

    async def add_chunks(
        self, job_id: str, chunks: Sequence[NewChunk], *, taken: int, source_done: bool
    ) -> None:
        await self._call(self._adder(job_id, chunks, taken, source_done))

    def _adder(
        self, job_id: str, chunks: Sequence[NewChunk], taken: int, source_done: bool
    ) -> Callable[[sqlite3.Connection], None]:
        now = time.time()
        rows = [_insert_row(job_id, chunk, now) for chunk in chunks]
        id_rows = [(job_id, chunk.seq, "\n".join(chunk.ids)) for chunk in chunks]
        next_seq = max((chunk.seq for chunk in chunks), default=-1) + 1

        def add(db: sqlite3.Connection) -> None:
            db.executemany(
                "INSERT INTO chunks (job, seq, op, start, size, state, attempts, "
                "error_class, error_message, error_parameter, sent_at, finished_at, worker) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            db.executemany("INSERT INTO chunk_ids VALUES (?, ?, ?)", id_rows)
            db.execute(
                "UPDATE jobs SET taken = ?, source_done = ?, next_seq = max(next_seq, ?), "
                "updated_at = ? WHERE id = ?",
                (taken, int(source_done), next_seq, now, job_id),
            )

        return add

    def add_chunks_soon(
        self,
        job_id: str,
        chunks: Sequence[NewChunk],
        *,
        taken: int,
        source_done: bool,
        after: Awaitable[None] | None = None,
    ) -> asyncio.Future[None]:
        # One connection, one thread, calls in order: ``after`` is already ahead in line.
        return self._enqueue(self._adder(job_id, chunks, taken, source_done))

    def mark_soon(
        self,
        job_id: str,
        seq: int,
        outcome: int | MailsegError,
        *,
        after: Awaitable[None] | None = None,
    ) -> asyncio.Future[None]:
        if isinstance(outcome, MailsegError):
            return self._enqueue(self._failer(job_id, seq, outcome))
        return self._enqueue(self._succeeder(job_id, seq, outcome))

    async def reset_chunks(self, job_id: str) -> None:
        def reset(db: sqlite3.Connection) -> None:
            db.execute("DELETE FROM chunks WHERE job = ?", (job_id,))
            db.execute("DELETE FROM chunk_ids WHERE job = ?", (job_id,))
            db.execute(
                "UPDATE jobs SET taken = 0, source_done = 0, next_seq = 0 WHERE id = ?", (job_id,)
            )

        await self._call(reset)

    async def mark_sent(self, job_id: str, seq: int, worker: str) -> None:
        now = time.time()
        await self._call(
            lambda db: db.execute(
                "UPDATE chunks SET state = 'in_flight', attempts = attempts + 1, sent_at = ?, "
                "worker = ? WHERE job = ? AND seq = ?",
                (now, worker, job_id, seq),
            )
        )

    async def mark_succeeded(self, job_id: str, seq: int, count: int) -> None:
        await self._call(self._succeeder(job_id, seq, count))

    async def mark_failed(self, job_id: str, seq: int, error: MailsegError) -> None:
        await self._call(self._failer(job_id, seq, error))

    @staticmethod
    def _succeeder(job_id: str, seq: int, count: int) -> Callable[[sqlite3.Connection], None]:
        now = time.time()

        def done(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE chunks SET state = 'succeeded', count = ?, finished_at = ?, "
                "error_class = NULL, error_message = NULL, error_parameter = NULL "
                "WHERE job = ? AND seq = ?",
                (count, now, job_id, seq),
            )
            _touch(db, job_id, now)

        return done

    @staticmethod
    def _failer(job_id: str, seq: int, error: MailsegError) -> Callable[[sqlite3.Connection], None]:
        now = time.time()
        kind, message, parameter = error_fields(error)

        def failed(db: sqlite3.Connection) -> None:
            db.execute(
                "UPDATE chunks SET state = 'failed', finished_at = ?, error_class = ?, "
                "error_message = ?, error_parameter = ? WHERE job = ? AND seq = ?",
                (now, kind, message, parameter, job_id, seq),
            )
            _touch(db, job_id, now)

        return failed

    async def chunk(self, job_id: str, seq: int) -> ChunkRecord:
        def read(db: sqlite3.Connection) -> ChunkRecord:
            row = db.execute(
                f"SELECT {_CHUNK_COLUMNS} WHERE c.job = ? AND c.seq = ?",
                (job_id, seq),
            ).fetchone()
            if row is None:
                raise LedgerError(self.location, f"job {job_id} has no chunk {seq}")
            return _record(row)

        return await self._call(read)

    async def chunks(
        self, job_id: str, states: Sequence[ChunkState] | None = None
    ) -> AsyncIterator[ChunkRecord]:
        wanted = tuple(ChunkState(state).value for state in states) if states else None
        after = -1
        while True:

            def page(db: sqlite3.Connection, after: int = after) -> list[ChunkRecord]:
                query = f"SELECT {_CHUNK_COLUMNS} WHERE c.job = ? AND c.seq > ?"
                params: list[Any] = [job_id, after]
                if wanted is not None:
                    query += f" AND c.state IN ({', '.join('?' * len(wanted))})"
                    params.extend(wanted)
                query += " ORDER BY c.seq LIMIT 100"
                return [_record(row) for row in db.execute(query, params)]

            records = await self._call(page)
            for record in records:
                yield record
            if len(records) < 100:
                return
            after = records[-1].seq

    async def unfinished(self, job_id: str) -> list[int]:
        def read(db: sqlite3.Connection) -> list[int]:
            rows = db.execute(
                "SELECT seq FROM chunks WHERE job = ? AND (state IN ('pending', 'in_flight') "
                "OR (state = 'failed' AND error_class IS NOT 'ValidationError')) ORDER BY seq",
                (job_id,),
            )
            return [row[0] for row in rows]

        return await self._call(read)

    async def begin_run(self, job_id: str) -> None:
        now = time.time()

        def begin(db: sqlite3.Connection) -> None:
            done = db.execute(
                "SELECT coalesce(sum(size), 0) FROM chunks "
                "WHERE job = ? AND state IN ('succeeded', 'failed')",
                (job_id,),
            ).fetchone()[0]
            db.execute(
                "UPDATE jobs SET stop_requested = 0, run_started_at = ?, run_done_at_start = ?, "
                "runs = runs + 1, updated_at = ? WHERE id = ?",
                (now, done, now, job_id),
            )

        await self._call(begin)

    async def request_stop(self, job_id: str) -> None:
        await self.load_job(job_id)
        await self._call(
            lambda db: db.execute("UPDATE jobs SET stop_requested = 1 WHERE id = ?", (job_id,))
        )

    async def stop_requested(self, job_id: str) -> bool:
        def read(db: sqlite3.Connection) -> bool:
            row = db.execute("SELECT stop_requested FROM jobs WHERE id = ?", (job_id,)).fetchone()
            return bool(row and row[0])

        return await self._call(read)

    async def status(self, job_id: str) -> JobStatus:
        spec = await self.load_job(job_id)

        def read(db: sqlite3.Connection) -> tuple[Any, list[Any]]:
            job = db.execute(
                "SELECT source_done, updated_at, run_started_at, run_done_at_start, runs "
                "FROM jobs WHERE id = ?",
                (job_id,),
            ).fetchone()
            rows = db.execute(
                "SELECT state, count(*), coalesce(sum(size), 0), coalesce(sum(count), 0), "
                "coalesce(sum(max(size - coalesce(count, size), 0)), 0) "
                "FROM chunks WHERE job = ? GROUP BY state",
                (job_id,),
            ).fetchall()
            return job, rows

        job, rows = await self._call(read)
        running = self._held_elsewhere(job_id) or job_id in self._running
        return summarize(spec, job, rows, running=running)

    # -- the run lock -------------------------------------------------------------------------

    def _lock_offset(self, job_id: str) -> int:
        # One byte of the lock file per job, at a stable hash of its id.
        return int.from_bytes(hashlib.blake2b(job_id.encode(), digest_size=5).digest(), "big")

    def _lock_fd(self) -> int:
        if self._lock_file is None:
            self._lock_file = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        return self._lock_file

    def _held_elsewhere(self, job_id: str) -> bool:
        # Never probe a lock this process holds: POSIX would convert it, not test it.
        if job_id in self._running or fcntl is None or not Path(f"{self.path}.lock").exists():
            return False
        fd = self._lock_fd()
        offset = self._lock_offset(job_id)
        try:
            fcntl.lockf(fd, fcntl.LOCK_SH | fcntl.LOCK_NB, 1, offset)
        except OSError:
            return True
        fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)
        return False

    def running(self, job_id: str) -> AbstractAsyncContextManager[None]:
        return self._hold(job_id)

    @contextlib.asynccontextmanager
    async def _hold(self, job_id: str) -> AsyncIterator[None]:
        if job_id in self._running:
            raise JobConflictError(f"job {job_id} is already running in this process")
        offset = self._lock_offset(job_id)
        fd = self._lock_fd() if fcntl is not None else None
        if fd is not None:
            try:
                fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, offset)
            except OSError:
                raise JobConflictError(
                    f"job {job_id} in {self.location} is being run by another process"
                ) from None
        self._running.add(job_id)
        try:
            yield
        finally:
            self._running.discard(job_id)
            if fd is not None:
                fcntl.lockf(fd, fcntl.LOCK_UN, 1, offset)


def _insert_row(job_id: str, chunk: NewChunk, now: float) -> tuple[Any, ...]:
    error = chunk.error
    kind: str | None = None
    message: str | None = None
    parameter: str | None = None
    if error is not None:
        kind, message, parameter = error_fields(error)
        state, attempts, sent, finished = ChunkState.FAILED.value, 0, None, now
    else:
        if chunk.sent:
            state, attempts, sent, finished = ChunkState.IN_FLIGHT.value, 1, now, None
        else:
            state, attempts, sent, finished = ChunkState.PENDING.value, 0, None, None
    return (
        job_id,
        chunk.seq,
        chunk.op.value,
        chunk.start,
        len(chunk.ids),
        state,
        attempts,
        kind,
        message,
        parameter,
        sent,
        finished,
        None,
    )
