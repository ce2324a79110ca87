"""A local job killed with SIGKILL mid-way, then resumed from its SQLite ledger."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from mailseg import jobs
from mailseg.testing import Emulator, Faults
from tests.jobs.conftest import write_lines
from tests.jobs.test_ledger import assert_exact

ROOT = Path(__file__).resolve().parents[2]
#: Faults the retries absorb, including one that takes effect and then answers 500:
#: tagging is safe to repeat.
FAULTS = Faults(
    latency=0.01, rate=0.15, kinds=["429", "503", "500", "reset", "apply_then_500"], seed=9
)


def job_env(emulator: Emulator) -> dict[str, str]:
    return {
        **os.environ,
        "MAILSEG_PROVIDER": emulator.provider,
        "MAILSEG_API_USER": emulator.credentials["api_user"],
        "MAILSEG_API_KEY": emulator.credentials["api_key"],
        "MAILSEG_BASE_URL": emulator.base_url,
        "MAILSEG_MAX_RETRIES": "10",
    }


@pytest_asyncio.fixture
async def started() -> AsyncIterator[list[asyncio.subprocess.Process]]:
    """The job processes a test starts; any still running after it (a failed test) is
    killed, so none is left behind."""
    processes: list[asyncio.subprocess.Process] = []
    yield processes
    for process in processes:
        if process.returncode is None:
            process.kill()
        await process.communicate()


async def start_job(
    started: list[asyncio.subprocess.Process], emulator: Emulator, *args: str
) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.jobs.job_process",
        *args,
        cwd=ROOT,
        env=job_env(emulator),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    started.append(process)
    return process


@pytest.mark.slow
@pytest.mark.parametrize("provider", ["sendcloud", "engagelab"])
async def test_a_job_killed_with_sigkill_resumes_and_applies_every_id(
    provider: str, tmp_path: Path, started: list[asyncio.subprocess.Process]
) -> None:
    ledger_path = tmp_path / "jobs.sqlite"
    async with Emulator(provider, contacts=3000, seed=21, max_recorded=None) as emu:  # type: ignore[arg-type]
        async with emu.client() as client:
            tag = await client.tags.create("killed")
        ids = [c.id for c in emu.contacts]
        ids_file = write_lines(tmp_path / "ids.txt", ids)
        emu.faults = FAULTS
        args = (str(ledger_path), "import-1", tag.id, str(ids_file))

        process = await start_job(started, emu, *args)
        async with jobs.SqliteLedger(ledger_path) as watcher:
            for _ in range(600):
                await asyncio.sleep(0.05)
                if ledger_path.exists() and await watcher.list_jobs():
                    status = await watcher.status("import-1")
                    if status.chunks[jobs.ChunkState.SUCCEEDED] >= 80:
                        break
            else:
                pytest.fail("the job made no progress")
            process.send_signal(signal.SIGKILL)
            await process.wait()
            assert process.returncode == -signal.SIGKILL
            killed = await watcher.status("import-1")
            in_flight = {
                c.seq: c.attempts
                async for c in watcher.chunks("import-1", [jobs.ChunkState.IN_FLIGHT])
            }
        assert killed.state is jobs.JobState.STOPPED
        assert 80 <= killed.chunks[jobs.ChunkState.SUCCEEDED] < 300
        assert in_flight, "chunks were in flight when the process died"

        again = await start_job(started, emu, *args)  # the same command resumes the job
        out, err = await again.communicate()
        assert again.returncode == 0, err.decode()
        assert out.decode().split()[0] == "finished"

        assert sorted(emu.tag_member_ids(tag.id)) == sorted(ids)
        async with jobs.SqliteLedger(ledger_path) as ledger:
            job = await jobs.Job.open(ledger, "import-1")
            status = await assert_exact(job, ids)
            assert status.ok
            assert status.requested == 3000
            assert status.chunks[jobs.ChunkState.SUCCEEDED] == 300
            # The chunks in flight at the kill were sent again, and only they were re-sent
            # by the resume; the emulator counts a repeated id again, so nothing is unapplied.
            for seq, attempts in in_flight.items():
                assert (await ledger.chunk("import-1", seq)).attempts == attempts + 1
            assert status.applied == 3000
            assert status.unapplied == 0
