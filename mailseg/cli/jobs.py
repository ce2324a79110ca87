"""``mailseg jobs ...``: durable bulk jobs on `mailseg.jobs`, with progress and a clean Ctrl+C.

A job's every chunk is recorded in a ledger (a SQLite file by default:
``jobs.sqlite`` in the platform's data directory, or ``--ledger`` /
``MAILSEG_JOBS_LEDGER``, which may also be a ``redis://`` URL), so a job that
was interrupted, killed or failed in part resumes by sending only what did not
succeed.

Ctrl+C once: the job stops taking new chunks, the chunks in flight finish and
are recorded, the command prints how to resume and exits 130. Ctrl+C twice:
the chunks in flight are abandoned, and stay recorded in flight, so a resume
sends them again (adding or removing a tag twice is harmless).
"""

from __future__ import annotations

__all__ = ["jobs", "run_job"]

import asyncio
import contextlib
import importlib
import importlib.util
import os
import signal
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click
import platformdirs

from mailseg import Client
from mailseg import jobs as engine
from mailseg.cli.id_sources import csv_column
from mailseg.cli.options import output_option
from mailseg.cli.output import Columns, Output
from mailseg.cli.progress import Reporter, reporter
from mailseg.cli.runtime import (
    EXIT_FAILED_IDS,
    EXIT_INTERRUPTED,
    EXIT_PROVIDER,
    Runtime,
    run_async,
    warn,
)
from mailseg.errors import ConfigurationError, ValidationError

# What a person types, and the engine's operation.
OPERATIONS: dict[str, engine.Operation] = {
    "tags.add": engine.Operation.TAG_ADD,
    "tags.remove": engine.Operation.TAG_REMOVE,
    "segments.remove": engine.Operation.SEGMENT_REMOVE,
    "tags.sync": engine.Operation.TAG_SYNC,
    **{operation.value: operation for operation in engine.Operation},
}
_STATUS_COLUMNS = Columns.of(
    ("job_id", "job"),
    ("operation", "operation"),
    ("target", "target"),
    ("state", "state"),
    ("requested", "requested"),
    ("applied", "applied"),
    ("unapplied", "unapplied"),
    ("failed", "failed"),
    ("pending", "pending"),
    ("updated_at", "updated"),
)


def default_ledger() -> str:
    """``MAILSEG_JOBS_LEDGER``, else ``jobs.sqlite`` in the platform's data directory."""
    named = os.environ.get("MAILSEG_JOBS_LEDGER")
    if named:
        return named
    folder = platformdirs.user_data_path("mailseg", appauthor=False)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(folder / "jobs.sqlite")


def ledger_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--ledger``: where jobs are recorded."""
    return click.option(
        "--ledger",
        metavar="PATH|URL",
        default=None,
        help="The ledger: a SQLite file or a redis:// URL"
        " (default: MAILSEG_JOBS_LEDGER, else jobs.sqlite in the data dir).",
    )(function)


def status_data(status: engine.JobStatus) -> dict[str, Any]:
    """A job's status as data: counts, states by value, times in ISO 8601."""
    updated = status.updated_at
    return {
        "job_id": status.job_id,
        "operation": status.operation.value,
        "target": status.target,
        "state": status.state.value,
        "requested": status.requested,
        "applied": status.applied,
        "unapplied": status.unapplied,
        "failed": status.failed,
        "pending": status.pending,
        "in_flight": status.in_flight,
        "chunks": {state.value: count for state, count in status.chunks.items()},
        "source_done": status.source_done,
        "rate": None if status.rate is None else round(status.rate, 1),
        "eta": None if status.eta is None else round(status.eta, 1),
        "updated_at": None
        if updated is None
        else datetime.fromtimestamp(updated, timezone.utc).isoformat(),
        "ok": status.ok,
    }


def _show(reporter_: Reporter, status: engine.JobStatus, estimate: int | None) -> None:
    total = status.requested if status.source_done else estimate
    reporter_.update(
        status.done,
        total,
        failed=status.failed,
        unapplied=status.unapplied,
        in_flight=status.chunks.get(engine.ChunkState.IN_FLIGHT, 0),
    )


def _estimate(source: str | None, column: str | None) -> int | None:
    """About how many ids a local file holds (for the bar and its ETA before the end)."""
    if source is None or source == "-" or source.startswith(("segment:", "tag:")):
        return None
    try:
        with Path(source).open("rb") as handle:
            lines = sum(1 for line in handle if line.strip())
    except OSError:
        return None
    header = 1 if column is not None or source.lower().endswith(".csv") else 0
    return max(0, lines - header)


def announce(job: engine.Job) -> None:
    """Say on stderr which job runs, so that it can be resumed even if the terminal closes."""
    spec = job.spec
    click.echo(
        f"job {job.id}: {spec.operation.value} {spec.target} from {spec.source_description}",
        err=True,
    )


def _resume_hint(job_id: str, ledger: str | None) -> str:
    where = f" --ledger {ledger}" if ledger else ""
    return f"mailseg jobs{where} resume {job_id}"


async def run_job(
    client: Client,
    job: engine.Job,
    *,
    quiet: bool,
    estimate: int | None = None,
    source: engine.Source | None = None,
) -> tuple[engine.JobStatus, bool]:
    """Run (or resume) a job with progress; returns its status and whether Ctrl+C stopped it.

    The first SIGINT asks the job to stop after the chunks in flight; a second one
    cancels them (they stay recorded in flight and are sent again on resume).
    """
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupts = 0

    def on_interrupt() -> None:
        nonlocal interrupts
        interrupts += 1
        if interrupts == 1:
            job.stop()
            warn("stopping after the chunks in flight (Ctrl+C again to abandon them)")
        elif task is not None:
            task.cancel()

    # Windows loops have no signal handlers: Ctrl+C then cancels through asyncio.run.
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        with reporter(f"job {job.id}", quiet=quiet) as shown:
            try:
                status = await job.run(
                    client,
                    source=source,
                    on_progress=lambda status: _show(shown, status, estimate),
                )
            except asyncio.CancelledError:
                if interrupts < 2:
                    raise
                status = await job.status()
            _show(shown, status, estimate)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
    return status, interrupts > 0


async def run_on_workers(
    client: Client,
    job: engine.Job,
    *,
    quiet: bool,
    estimate: int | None = None,
    source: engine.Source | None = None,
) -> tuple[engine.JobStatus, bool]:
    """Hand a job to ``mailseg jobs worker`` processes and follow it until it ends.

    The job must be recorded in Redis. Ctrl+C asks the workers to stop after their
    chunks in flight (through the ledger), waits for the job to settle, and returns.
    """
    from mailseg.jobs import taskiq as distributed  # the jobs-redis extra

    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    interrupted = False

    def on_interrupt() -> None:
        nonlocal interrupted
        if not interrupted and task is not None:
            interrupted = True
            task.cancel()

    broker = distributed.make_broker(str(job.ledger.location))
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGINT, on_interrupt)
    try:
        await broker.startup()
        with reporter(f"job {job.id}", quiet=quiet) as shown:
            try:
                await distributed.submit(job, broker, client=client, source=source)
                status = await distributed.wait(
                    job, broker, on_progress=lambda status: _show(shown, status, estimate)
                )
            except asyncio.CancelledError:
                if not interrupted:
                    raise
                warn("asking the workers to stop after the chunks in flight")
                await job.request_stop()
                status = await _settled(job)
            _show(shown, status, estimate)
    finally:
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGINT)
        await broker.shutdown()
    return status, interrupted


async def _settled(job: engine.Job, timeout: float = 60.0) -> engine.JobStatus:
    """The job's status once no chunk is in flight (the workers finished theirs)."""
    deadline = asyncio.get_running_loop().time() + timeout
    status = await job.status()
    while status.in_flight and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(0.2)
        status = await job.status()
    return status


def finish(
    status: engine.JobStatus, interrupted: bool, output: str | None, ledger: str | None
) -> None:
    """Print a run's final status and exit with what it means."""
    Output(output).one(status_data(status))
    if interrupted and not status.finished:
        click.echo(
            f"interrupted: job {status.job_id} stopped with {status.done} of"
            f" {status.requested} ids done and the ledger up to date; resume with:\n"
            f"  {_resume_hint(status.job_id, ledger)}",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_INTERRUPTED)
    if not status.finished:
        click.echo(
            f"job {status.job_id} stopped before the end (asked to stop); resume with:\n"
            f"  {_resume_hint(status.job_id, ledger)}",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_PROVIDER)
    if status.failed or status.unapplied:
        click.echo(
            f"job {status.job_id} finished: {status.failed} ids failed, {status.unapplied}"
            f" unapplied (the provider did not count them); failed ids:"
            f" mailseg jobs failed-ids {status.job_id}",
            err=True,
        )
        raise click.exceptions.Exit(EXIT_FAILED_IDS)


_workers_option = click.option(
    "--workers",
    is_flag=True,
    help="Hand the chunks to `mailseg jobs worker` processes through the Redis ledger"
    " (--ledger redis://...) and follow the progress here.",
)


@click.group()
@ledger_option
@click.pass_context
def jobs(ctx: click.Context, ledger: str | None) -> None:
    """Durable bulk jobs: recorded chunk by chunk, resumable, with progress.

    \b
    Examples:
      mailseg jobs run tags.add TAG_ID --ids ids.csv --column contact_id
      mailseg jobs status JOB_ID
      mailseg jobs resume JOB_ID
      mailseg jobs failed-ids JOB_ID > retry.txt
    """
    ctx.meta["mailseg.ledger"] = ledger


def _ledger_arg(ctx: click.Context) -> str | None:
    value = ctx.meta.get("mailseg.ledger")
    return value if isinstance(value, str) else None


def _open_ledger(ctx: click.Context, *, workers: bool = False) -> engine.Ledger:
    location = _ledger_arg(ctx) or default_ledger()
    if workers and not location.startswith(("redis://", "rediss://", "unix://")):
        raise ValidationError(
            "--workers", "the workers share a Redis ledger: give --ledger redis://HOST:6379/0"
        )
    return engine.open_ledger(location)


@jobs.command()
@click.argument("operation", type=click.Choice(sorted(OPERATIONS)), metavar="OPERATION")
@click.argument("target")
@click.option(
    "--ids",
    "source",
    required=True,
    metavar="SOURCE",
    help="A text file (one id per line), a .csv (--column), a .jsonl (with --field),"
    " - for stdin, segment:ID or tag:ID.",
)
@click.option("--column", default=None, help="The CSV column holding the ids (default: the first).")
@click.option("--field", default=None, help="The JSON Lines field holding the ids.")
@click.option("--job-id", default=None, help="Name the job (running it again then resumes it).")
@click.option(
    "--chunk-size",
    type=click.IntRange(1, 1000),
    default=1000,
    show_default=True,
    help="Ids per request.",
)
@_workers_option
@click.option("-q", "--quiet", is_flag=True, help="Show no progress.")
@output_option
@click.pass_context
def run(
    ctx: click.Context,
    operation: str,
    target: str,
    source: str,
    column: str | None,
    field: str | None,
    job_id: str | None,
    chunk_size: int,
    workers: bool,
    quiet: bool,
    output: str | None,
) -> None:
    """Run a bulk job: tags.add, tags.remove, segments.remove or tags.sync.

    The job is recorded before anything is sent; progress shows on stderr (a bar
    on a terminal, a line every few seconds otherwise). Exits 0 when every id was
    applied, 3 when some failed or were unapplied, 130 on Ctrl+C (resume later).

    \b
    Examples:
      mailseg jobs run tags.add TAG_ID --ids ids.csv --column contact_id
      mailseg jobs run tags.sync TAG_ID --ids crm.txt --job-id nightly-vip
      mailseg jobs run segments.remove SEGMENT_ID --ids - < leavers.txt
      mailseg jobs run tags.remove TAG_ID --ids segment:SEGMENT_ID
      mailseg jobs --ledger redis://localhost:6379/0 run tags.add TAG_ID --ids ids.txt --workers
    """
    runtime: Runtime = ctx.obj
    column = csv_column(source, column, field)
    settings = runtime.resolved().settings
    concurrency = settings.get("max_concurrency")
    rate = settings.get("rate_limit")

    async def main() -> tuple[engine.JobStatus, bool]:
        async with runtime.client() as client, _open_ledger(ctx, workers=workers) as ledger:
            job = await engine.Job.create(
                ledger,
                OPERATIONS[operation],
                target,
                source,
                column=column,
                field=field,
                job_id=job_id,
                chunk_size=chunk_size,
                max_concurrency=int(concurrency.value) if concurrency else 8,
                rate_limit=float(rate.value) if rate else None,
                provider=client.provider,
            )
            announce(job)
            runner = run_on_workers if workers else run_job
            return await runner(client, job, quiet=quiet, estimate=_estimate(source, column))

    status, interrupted = run_async(main)
    finish(status, interrupted, output, _ledger_arg(ctx))


@jobs.command()
@click.argument("job_id")
@click.option(
    "--ids",
    "source",
    default=None,
    metavar="SOURCE",
    help="The source again, for a job read from stdin.",
)
@_workers_option
@click.option("-q", "--quiet", is_flag=True, help="Show no progress.")
@output_option
@click.pass_context
def resume(
    ctx: click.Context,
    job_id: str,
    source: str | None,
    workers: bool,
    quiet: bool,
    output: str | None,
) -> None:
    """Resume a job: send only what did not succeed (pending, in flight, failed).

    \b
    Examples:
      mailseg jobs resume JOB_ID
      mailseg jobs resume JOB_ID --ids - < ids.txt     # a job that read stdin
      mailseg jobs --ledger redis://localhost:6379/0 resume JOB_ID --workers
    """
    runtime: Runtime = ctx.obj

    async def main() -> tuple[engine.JobStatus, bool]:
        async with runtime.client() as client, _open_ledger(ctx, workers=workers) as ledger:
            job = await engine.Job.open(ledger, job_id)
            again = None if source is None else engine.source_from(source)
            runner = run_on_workers if workers else run_job
            return await runner(client, job, quiet=quiet, source=again)

    status, interrupted = run_async(main)
    finish(status, interrupted, output, _ledger_arg(ctx))


@jobs.command()
@click.argument("job_id")
@output_option
@click.pass_context
def status(ctx: click.Context, job_id: str, output: str | None) -> None:
    """Show a job's accounting from its ledger.

    \b
    Example:
      mailseg jobs status JOB_ID --output json
    """

    async def main() -> engine.JobStatus:
        async with _open_ledger(ctx) as ledger:
            return await (await engine.Job.open(ledger, job_id)).status()

    Output(output).one(status_data(run_async(main)))


@jobs.command("list")
@output_option
@click.pass_context
def list_(ctx: click.Context, output: str | None) -> None:
    """List the jobs of the ledger, oldest first.

    \b
    Example:
      mailseg jobs list
    """

    async def main() -> list[engine.JobStatus]:
        async with _open_ledger(ctx) as ledger:
            return await engine.list_jobs(ledger)

    rows = [status_data(s) for s in run_async(main)]
    Output(output).page(rows, _STATUS_COLUMNS, total=len(rows), title="jobs")


@jobs.command("failed-ids")
@click.argument("job_id")
@click.pass_context
def failed_ids(ctx: click.Context, job_id: str) -> None:
    """Print the ids of a job's failed chunks, one per line (to retry or inspect).

    \b
    Example:
      mailseg jobs failed-ids JOB_ID > retry.txt
    """
    out = sys.stdout

    async def main() -> None:
        async with _open_ledger(ctx) as ledger:
            job = await engine.Job.open(ledger, job_id)
            async for member in job.failed_ids():
                out.write(member + "\n")
        out.flush()

    run_async(main)


@jobs.command()
@click.argument("job_id")
@click.pass_context
def stop(ctx: click.Context, job_id: str) -> None:
    """Ask whoever runs a job (this machine or workers) to stop after its chunks in flight.

    \b
    Example:
      mailseg jobs stop JOB_ID
    """

    async def main() -> None:
        async with _open_ledger(ctx) as ledger:
            await (await engine.Job.open(ledger, job_id)).request_stop()

    run_async(main)
    click.echo(f"asked job {job_id} to stop", err=True)


@jobs.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False})
@click.argument("arguments", nargs=-1, type=click.UNPROCESSED)
def worker(arguments: tuple[str, ...]) -> None:
    """Run a worker of the distributed runner (taskiq + Redis; the jobs-redis extra).

    The arguments go to `python -m mailseg.jobs.worker` (--redis, --concurrency,
    --lease, --give-up-after, --log-level). It exits 0 on SIGINT or SIGTERM once
    its chunks in flight finished, 1 when Redis has not answered for
    --give-up-after seconds (300 by default; 0 waits forever), 2 when its
    environment makes no client.

    \b
    Example:
      mailseg jobs worker --redis redis://localhost:6379/0 --concurrency 8
    """
    if importlib.util.find_spec("mailseg.jobs.worker") is None:
        raise ConfigurationError(
            "the distributed runner is not available: install the jobs-redis extra"
            " (pip install 'mailseg[jobs-redis]') with a mailseg that ships mailseg.jobs.worker"
        )
    module = importlib.import_module("mailseg.jobs.worker")
    main = getattr(module, "main", None)
    if main is None:
        raise ConfigurationError("mailseg.jobs.worker has no main(argv) entry point")
    raise click.exceptions.Exit(int(main(list(arguments)) or 0))
