"""A job in a process of its own, for the tests that kill it: ``python -m tests.jobs.job_process
LEDGER JOB_ID TAG_ID IDS_FILE``.

Credentials and the emulator's URL come from the ``MAILSEG_*`` environment, as for any user.
Running it again with the same arguments resumes the job from its ledger.
"""

from __future__ import annotations

import asyncio
import os
import sys

import attrs

import mailseg
from mailseg import jobs


async def main(ledger_path: str, job_id: str, tag_id: str, ids_file: str) -> None:
    # Faults are absorbed by the retries; their backoff is shortened so the job is quick.
    settings = mailseg.Settings.from_env(os.environ)
    fast = mailseg.RetryPolicy(max_retries=10, backoff_base=0.005, backoff_cap=0.02)
    client = mailseg.Client(attrs.evolve(settings, retry=fast))
    async with client, jobs.SqliteLedger(ledger_path) as ledger:
        job = await jobs.Job.create(
            ledger,
            "tags.add_members",
            tag_id,
            ids_file,
            job_id=job_id,
            chunk_size=10,
            max_concurrency=8,
        )
        status = await job.run(client)
        print(status.state.value, status.applied, status.failed, flush=True)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
