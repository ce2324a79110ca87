"""``mailseg jobs worker`` processes on a real Redis, fed by ``mailseg jobs run --workers``."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mailseg import jobs
from tests.cli.harness import Served, run, run_json
from tests.jobs.processes import RedisServer, Workers

pytestmark = pytest.mark.slow


@pytest.fixture
def workers(tmp_path: Path, redis_server: RedisServer) -> Iterator[Workers]:
    """Workers of the test's Redis, each in its own session, all ended after the test
    (before its Redis stops), whether it passed or not."""
    group = Workers(tmp_path, redis_server.url, {})
    yield group
    group.stop()


def test_jobs_run_on_workers(
    serve: Callable[..., Served], redis_server: RedisServer, workers: Workers, tmp_path: Path
) -> None:
    served = serve("engagelab", contacts=600)
    workers.env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MAILSEG_")},
        **served.env,
    }
    workers.start(2, cli=True)
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
    assert names <= {workers.name(0), workers.name(1)}


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
