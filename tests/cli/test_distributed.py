"""``mailseg jobs worker`` processes on a real Redis, fed by ``mailseg jobs run --workers``."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailseg import jobs
from tests.cli.harness import Served, run, run_json
from tests.jobs.processes import RedisServer

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def _workers(
    count: int, redis_url: str, env: dict[str, str], folder: Path
) -> list[subprocess.Popen[bytes]]:
    started = []
    command = [sys.executable, "-m", "mailseg", "jobs", "worker", "--redis", redis_url]
    command += ["--concurrency", "4", "--lease", "2"]
    for index in range(count):
        with (folder / f"worker-{index}.log").open("ab") as log:  # the child keeps a copy
            process = subprocess.Popen(  # noqa: S603 - our own interpreter and command
                command, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        started.append(process)
    return started


def test_jobs_run_on_workers(
    serve: Callable[..., Served], redis_server: RedisServer, tmp_path: Path
) -> None:
    served = serve("engagelab", contacts=600)
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("MAILSEG_")}, **served.env}
    workers = _workers(2, redis_server.url, env, tmp_path)
    try:
        tag_id = run_json(["tags", "create", "distributed"], served.env)["id"]
        ids = [c.id for c in served.call(lambda: served.emulator.contacts)]
        path = tmp_path / "ids.txt"
        path.write_text("\n".join(ids) + "\n")
        ledger = ["jobs", "--ledger", redis_server.url]
        args = [*ledger, "run", "tags.add", tag_id, "--ids", str(path), "--chunk-size", "50"]
        status = run_json([*args, "--job-id", "dist-1", "--workers", "-q"], served.env)
        assert status["ok"] is True
        assert status["applied"] == 600
        assert sorted(served.call(lambda: served.emulator.tag_member_ids(tag_id))) == sorted(ids)
        assert run_json([*ledger, "status", "dist-1"], served.env)["state"] == "finished"

        async def runners() -> set[str | None]:
            async with jobs.open_ledger(redis_server.url) as book:
                job = await jobs.Job.open(book, "dist-1")
                return {chunk.worker async for chunk in job.chunks()}

        names = asyncio.run(runners())
        # The workers sent the chunks, not this process.
        assert len(names) >= 1
        assert all(name and not name.endswith(f":{os.getpid()}") for name in names)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGINT)
        for worker in workers:
            worker.wait(timeout=20)


def test_workers_need_a_redis_ledger(served: Served, tmp_path: Path) -> None:
    path = tmp_path / "ids.txt"
    path.write_text("a\n")
    failed = run(
        [
            "jobs",
            "--ledger",
            str(tmp_path / "l.sqlite"),
            "run",
            "tags.add",
            "T",
            "--ids",
            str(path),
            "--workers",
        ],
        served.env,
        code=2,
    )
    assert "--workers: the workers share a Redis ledger" in failed.stderr
