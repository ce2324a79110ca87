"""Tag every id of a file as a durable job: killed, it resumes; on workers, it spreads.

    # one machine: the ledger is a SQLite file; run the same command again to resume
    python examples/durable_job.py --ledger jobs.sqlite --job import-1 --tag imported \\
        contacts.csv --column id

    # workers (python -m mailseg.jobs.worker) over Redis
    python examples/durable_job.py --redis redis://127.0.0.1:6390/0 --job import-2 \\
        --tag imported contacts.csv --column id

The client comes from the MAILSEG_* environment (provider, credentials, base URL). The
tag is found by name, or created. A progress line is printed every second; the exit
status is 0 when every id was applied, 3 when some failed or were not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence

import mailseg
from mailseg import jobs


async def find_or_create_tag(client: mailseg.Client, name: str) -> str:
    async for tag in client.tags.iterate(name=name):
        if tag.name == name:
            return tag.id
    return (await client.tags.create(name)).id


class Progress:
    """Prints a line at most once a second."""

    def __init__(self) -> None:
        self.last = 0.0

    def __call__(self, status: jobs.JobStatus, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self.last < 1.0:
            return
        self.last = now
        rate = f"{status.rate:,.0f} ids/s" if status.rate else "-"
        print(
            f"{status.state.value:9} done {status.done:,}/{status.requested:,}"
            f"{'' if status.source_done else '+'}  applied {status.applied:,}  "
            f"unapplied {status.unapplied:,}  failed {status.failed:,}  {rate}",
            flush=True,
        )


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--ledger", help="a SQLite ledger file: run here")
    where.add_argument("--redis", help="a Redis URL: run on the workers")
    parser.add_argument("--job", required=True, help="the job's id (again to resume)")
    parser.add_argument("--tag", required=True, help="the tag's name")
    parser.add_argument("source", help="a file of ids, '-', segment:<id> or tag:<id>")
    parser.add_argument("--column", help="the CSV column of the ids")
    parser.add_argument("--field", help="the JSON Lines field of the ids")
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args(argv)

    progress = Progress()
    async with mailseg.Client.from_env() as client:
        tag_id = await find_or_create_tag(client, args.tag)
        ledger = jobs.open_ledger(args.ledger or args.redis)
        async with ledger:
            job = await jobs.Job.create(
                ledger,
                "tags.add_members",
                tag_id,
                args.source,
                job_id=args.job,
                column=args.column,
                field=args.field,
                max_concurrency=args.concurrency,
                provider=client.provider,
            )
            if args.ledger:
                status = await job.run(client, on_progress=progress)
            else:
                from mailseg.jobs.taskiq import make_broker, submit, wait

                broker = make_broker(args.redis)
                await broker.startup()
                try:
                    await submit(job, broker, client=client)
                    status = await wait(job, broker, on_progress=progress)
                finally:
                    await broker.shutdown()
    progress(status, force=True)
    return 0 if status.ok and not status.unapplied else 3


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
