"""Benchmarks 5 and 6: what durability costs, and how the distributed runner scales.

5. Ledger cost: the same 1,000,000-id job (1,000 requests of 1,000 ids, 20 ms latency,
   concurrency 16) through the plain in-memory bulk call and through a `mailseg.jobs`
   job recording every chunk in a SQLite ledger, against the latency-only server.
6. Scale-out: a 1,000,000-id job from a text file on 1, 2 and 4 worker processes
   (``python -m mailseg.jobs.worker``) against the emulator in its own process, through
   a real ``redis-server``, with the total concurrency fixed at 16 and growing 16 per
   worker; and the local runner at concurrency 16 beside it, for the distributed
   path's own overhead.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import mailseg
from bench import ROOT
from bench._figures import median, s
from bench._processes import Server, child_env, server_process
from bench._results import Result, Target
from mailseg import jobs

LATENCY = 0.02
CONCURRENCY = 16
CHUNK = 1000
TARGET_LEDGER = 1.05
TARGET_DISTRIBUTED = 1.15


# -- 5. ledger cost -----------------------------------------------------------------------------


async def _ledger_rounds(server: Server, n: int, rounds: int, tmp: Path) -> dict[str, list[float]]:
    info = server.info
    client = mailseg.connect(
        "engagelab",
        base_url=server.base_url,
        api_user=info["api_user"],
        api_key=info["api_key"],
        max_concurrency=CONCURRENCY,
    )
    ids = [f"{i:024x}" for i in range(n)]
    walls: dict[str, list[float]] = {"plain bulk call": [], "job, SQLite ledger": []}
    try:
        await client.tags.add_members("bench_tag", ids[: CONCURRENCY * CHUNK])  # warm up

        async def plain() -> None:
            result = await client.tags.add_members("bench_tag", ids)
            assert result.ok
            assert result.succeeded == n

        async def job(index: int) -> None:
            async with jobs.SqliteLedger(tmp / f"ledger-{index}.sqlite") as ledger:
                created = await jobs.Job.create(
                    ledger, "tags.add_members", "bench_tag", ids, max_concurrency=CONCURRENCY
                )
                status = await created.run(client)
            assert status.ok
            assert status.applied == n

        for index in range(rounds):
            order = ["plain", "job"] if index % 2 == 0 else ["job", "plain"]
            for name in order:
                started = time.perf_counter()
                await (plain() if name == "plain" else job(index))
                wall = time.perf_counter() - started
                walls["plain bulk call" if name == "plain" else "job, SQLite ledger"].append(wall)
    finally:
        await client.close()
    return walls


def run_ledger(quick: bool = False) -> Result:
    requests = 200 if quick else 1000
    rounds = 3 if quick else 5
    n = requests * CHUNK
    ideal = requests / CONCURRENCY * LATENCY
    result = Result(
        key="ledger",
        title=f"5. Ledger cost: a {n:,}-id job with and without its SQLite ledger",
        setup=(
            "`client.tags.add_members(tag, ids)` (the in-memory bulk call) against "
            "`jobs.Job.create(ledger, 'tags.add_members', tag, ids).run(client)` (every chunk "
            "recorded in a fresh SQLite ledger file, WAL), both at concurrency "
            f"{CONCURRENCY}, against the latency-only server ({LATENCY * 1000:.0f} ms per "
            f"answer) in its own process; {rounds} rounds in alternating order, medians. Ideal: "
            f"{requests} / {CONCURRENCY} x {LATENCY * 1000:.0f} ms = {ideal:.2f} s."
        ),
        columns=("job", "wall (median)", "vs ideal", "vs plain"),
    )
    with (
        tempfile.TemporaryDirectory() as tmp,
        server_process("count", "--latency", str(LATENCY)) as server,
    ):
        walls = asyncio.run(_ledger_rounds(server, n, rounds, Path(tmp)))
    plain = median(walls["plain bulk call"])
    for name, values in walls.items():
        wall = median(values)
        result.rows.append((name, s(wall), f"{wall / ideal:.3f}x", f"{wall / plain:.3f}x"))
    ratio = median(walls["job, SQLite ledger"]) / plain
    result.targets.append(
        Target(
            "job with its SQLite ledger vs the plain bulk call",
            f"<= {TARGET_LEDGER:.2f}x",
            f"{ratio:.3f}x",
            ratio <= TARGET_LEDGER,
        )
    )
    result.data = {"walls_s": walls}
    return result


# -- 6. scale-out -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def _redis(folder: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed (apt-get install -y redis-server)")
    port = _free_port()
    command = [
        binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder),
        "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
    ]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL)  # noqa: S603 - fixed arguments
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("redis-server did not start") from None
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def _workers(count: int, concurrency: int, redis_url: str, env: dict[str, str]) -> Iterator[None]:
    command = [
        sys.executable, "-m", "mailseg.jobs.worker", "--redis", redis_url,
        "--concurrency", str(concurrency),
    ]  # fmt: skip
    processes = [
        subprocess.Popen(  # noqa: S603 - our interpreter, our module
            command,
            cwd=str(ROOT),
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        yield
    finally:
        for process in processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGINT)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


async def _distributed(
    redis_url: str, tag_id: str, ids_file: Path, concurrency: int, n: int
) -> float:
    from mailseg.jobs.redis import RedisLedger
    from mailseg.jobs.taskiq import make_broker, submit, wait

    broker = make_broker(redis_url)
    await broker.startup()
    try:
        async with RedisLedger(redis_url) as ledger:
            # A small job first: every worker connected and warm before the clock starts.
            warm = await jobs.Job.create(
                ledger, "tags.add_members", tag_id, ids_file.with_suffix(".warm")
            )
            await submit(warm, broker)
            await wait(warm, broker, poll=0.05)
            job = await jobs.Job.create(
                ledger, "tags.add_members", tag_id, ids_file, max_concurrency=concurrency
            )
            started = time.perf_counter()
            await submit(job, broker)
            status = await wait(job, broker, poll=0.05)
            wall = time.perf_counter() - started
    finally:
        await broker.shutdown()
    if not status.ok or status.applied != n:
        raise RuntimeError(f"the job did not apply every id: {status}")
    return wall


async def _local(
    server: Server, tag_id: str, ids_file: Path, tmp: Path, index: int, n: int
) -> float:
    info = server.info
    async with (
        mailseg.connect(
            "engagelab",
            base_url=server.base_url,
            api_user=info["api_user"],
            api_key=info["api_key"],
        ) as client,
        jobs.SqliteLedger(tmp / f"local-{index}.sqlite") as ledger,
    ):
        job = await jobs.Job.create(
            ledger, "tags.add_members", tag_id, ids_file, max_concurrency=CONCURRENCY
        )
        started = time.perf_counter()
        status = await job.run(client)
        wall = time.perf_counter() - started
    if not status.ok or status.applied != n:
        raise RuntimeError(f"the job did not apply every id: {status}")
    return wall


async def _tag(server: Server) -> str:
    info = server.info
    async with mailseg.connect(
        "engagelab", base_url=server.base_url, api_user=info["api_user"], api_key=info["api_key"]
    ) as client:
        return (await client.tags.create("bench_scaleout")).id


def run_scaleout(quick: bool = False) -> Result:
    requests = 200 if quick else 1000
    n = requests * CHUNK
    contacts = 20_000
    ideal = requests / CONCURRENCY * LATENCY
    result = Result(
        key="scaleout",
        title=f"6. Scale-out: a {n:,}-id job on 1, 2 and 4 worker processes",
        setup=(
            f"A text file of {n:,} ids (the emulator's {contacts:,} contacts, cycled) tagged "
            "through `mailseg.jobs.taskiq.submit` + `wait` on `python -m mailseg.jobs.worker` "
            "processes, against `mailseg.testing.Emulator` (EngageLab dialect, "
            f"{LATENCY * 1000:.0f} ms latency) in its own process and a `redis-server` "
            "(append-only, fsync every second) started for the run; the workers are warmed "
            "by a small job first, and the clock runs from submit to the job's end. Total "
            f"concurrency fixed at {CONCURRENCY}, and growing {CONCURRENCY} per worker. The "
            f"local runner (SQLite ledger, concurrency {CONCURRENCY}) on the same emulator is "
            "the reference for the distributed path's own overhead. One run per "
            f"configuration. Ideal at concurrency {CONCURRENCY}: {ideal:.2f} s. Everything "
            "(emulator, Redis, workers, submitter) shares the machine's 2 cores."
        ),
        columns=("runner", "workers", "concurrency (total)", "wall", "ids/s", "vs local"),
    )
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        ids_path = tmp / "pool.txt"
        serving = server_process(
            "emulator", "--provider", "engagelab", "--contacts", str(contacts),
            "--latency", str(LATENCY), "--ids-file", str(ids_path),
        )  # fmt: skip
        with serving as server:
            pool = ids_path.read_text(encoding="utf-8").split("\n")
            ids_file = tmp / "ids.txt"
            ids_file.write_text("\n".join(pool[i % len(pool)] for i in range(n)) + "\n")
            ids_file.with_suffix(".warm").write_text("\n".join(pool[: 20 * CHUNK]) + "\n")
            tag_id = asyncio.run(_tag(server))
            local = asyncio.run(_local(server, tag_id, ids_file, tmp, 0, n))
            result.rows.append(
                ("local", "-", str(CONCURRENCY), s(local), f"{n / local:,.0f}", "1.000x")
            )
            env = {
                **child_env(),
                "MAILSEG_PROVIDER": "engagelab",
                "MAILSEG_API_USER": server.info["api_user"],
                "MAILSEG_API_KEY": server.info["api_key"],
                "MAILSEG_BASE_URL": server.base_url,
            }
            figures: dict[str, float] = {"local": local}
            configs = [(1, 16), (2, 8), (4, 4), (2, 16), (4, 16)]
            for count, per_worker in configs:
                folder = tmp / f"redis-{count}-{per_worker}"
                folder.mkdir()
                with _redis(folder) as url, _workers(count, per_worker, url, env):
                    wall = asyncio.run(_distributed(url, tag_id, ids_file, per_worker, n))
                figures[f"{count}x{per_worker}"] = wall
                result.rows.append(
                    (
                        "distributed",
                        str(count),
                        f"{count * per_worker} ({count} x {per_worker})",
                        s(wall),
                        f"{n / wall:,.0f}",
                        f"{wall / local:.3f}x",
                    )
                )
    ratio = figures["1x16"] / local
    result.targets.append(
        Target(
            "distributed path vs the local runner, 1 worker, equal concurrency",
            f"<= {TARGET_DISTRIBUTED:.2f}x",
            f"{ratio:.3f}x",
            ratio <= TARGET_DISTRIBUTED,
        )
    )
    result.data = {"walls_s": figures}
    return result
