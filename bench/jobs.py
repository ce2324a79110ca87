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
from bench._procfs import cpu_seconds
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
def _redis(folder: Path) -> Iterator[tuple[str, int]]:
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
        yield f"redis://127.0.0.1:{port}/0", process.pid
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextlib.contextmanager
def _workers(
    count: int, concurrency: int, redis_url: str, env: dict[str, str]
) -> Iterator[list[int]]:
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
        yield [process.pid for process in processes]
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
    redis_url: str, tag_id: str, ids_file: Path, concurrency: int, n: int, cpu: _Cpu
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
            cpu.start()
            started = time.perf_counter()
            await submit(job, broker)
            status = await wait(job, broker, poll=0.05)
            wall = time.perf_counter() - started
            cpu.stop()
    finally:
        await broker.shutdown()
    if not status.ok or status.applied != n:
        raise RuntimeError(f"the job did not apply every id: {status}")
    return wall


async def _local(
    server: Server, tag_id: str, ids_file: Path, tmp: Path, index: int, n: int, cpu: _Cpu
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
        cpu.start()
        started = time.perf_counter()
        status = await job.run(client)
        wall = time.perf_counter() - started
        cpu.stop()
    if not status.ok or status.applied != n:
        raise RuntimeError(f"the job did not apply every id: {status}")
    return wall


class _Cpu:
    """CPU seconds (user + system, from /proc) of named processes over one timed run."""

    def __init__(self, pids: dict[str, int | str]) -> None:
        self.pids = pids
        self.used: dict[str, float] = {}
        self._before: dict[str, float] = {}

    def start(self) -> None:
        self._before = {name: cpu_seconds(pid) for name, pid in self.pids.items()}

    def stop(self) -> None:
        self.used = {name: cpu_seconds(pid) - self._before[name] for name, pid in self.pids.items()}

    def total(self) -> float:
        return sum(self.used.values())


async def _tag(server: Server) -> str:
    info = server.info
    async with mailseg.connect(
        "engagelab", base_url=server.base_url, api_user=info["api_user"], api_key=info["api_key"]
    ) as client:
        return (await client.tags.create("bench_scaleout")).id


def run_scaleout(quick: bool = False) -> Result:
    requests = 200 if quick else 1000
    rounds = 1 if quick else 3
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
            "(append-only, fsync every second) started for each run; the workers are warmed "
            "by a small job first, and the clock runs from submit to the job's end. Total "
            f"concurrency fixed at {CONCURRENCY}, and growing {CONCURRENCY} per worker. The "
            f"local runner (SQLite ledger, concurrency {CONCURRENCY}) on the same emulator is "
            f"the reference for the distributed path's own overhead: it and 1 worker x "
            f"{CONCURRENCY} run {rounds} rounds in alternating order (medians, and the CPU "
            "seconds each process used, from /proc); the other configurations once each. "
            f"Ideal at concurrency {CONCURRENCY}: {ideal:.2f} s. Everything (emulator, Redis, "
            "workers, submitter) shares the machine's 2 cores."
        ),
        columns=(
            "runner",
            "workers",
            "concurrency (total)",
            "wall",
            "ids/s",
            "vs local",
            "CPU s: runner or submitter / workers / Redis / emulator",
        ),
    )
    walls: dict[str, list[float]] = {}
    cpus: dict[str, list[dict[str, float]]] = {}
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
            env = {
                **child_env(),
                "MAILSEG_PROVIDER": "engagelab",
                "MAILSEG_API_USER": server.info["api_user"],
                "MAILSEG_API_KEY": server.info["api_key"],
                "MAILSEG_BASE_URL": server.base_url,
            }
            runs = 0

            def local() -> None:
                nonlocal runs
                runs += 1
                cpu = _Cpu({"runner": "self", "emulator": server.pid})
                wall = asyncio.run(_local(server, tag_id, ids_file, tmp, runs, n, cpu))
                walls.setdefault("local", []).append(wall)
                cpus.setdefault("local", []).append(cpu.used)

            def distributed(count: int, per_worker: int) -> None:
                nonlocal runs
                runs += 1
                folder = tmp / f"redis-{runs}"
                folder.mkdir()
                with (
                    _redis(folder) as (url, redis_pid),
                    _workers(count, per_worker, url, env) as worker_pids,
                ):
                    pids: dict[str, int | str] = {
                        "submitter": "self",
                        "redis": redis_pid,
                        "emulator": server.pid,
                    }
                    pids.update({f"worker {i}": pid for i, pid in enumerate(worker_pids)})
                    cpu = _Cpu(pids)
                    wall = asyncio.run(_distributed(url, tag_id, ids_file, per_worker, n, cpu))
                key = f"{count}x{per_worker}"
                walls.setdefault(key, []).append(wall)
                cpus.setdefault(key, []).append(cpu.used)

            for index in range(rounds):
                if index % 2 == 0:
                    local()
                    distributed(1, CONCURRENCY)
                else:
                    distributed(1, CONCURRENCY)
                    local()
            for count, per_worker in [(2, 8), (4, 4), (2, 16), (4, 16)]:
                distributed(count, per_worker)
    reference = median(walls["local"])

    def cpu_cell(key: str) -> str:
        used = cpus[key]

        def part(names: list[str]) -> float:
            return median([sum(run.get(name, 0.0) for name in names) for run in used])

        workers = [name for name in used[0] if name.startswith("worker")]
        first = part(["runner"]) if key == "local" else part(["submitter"])
        cells = [f"{first:.2f}", f"{part(workers):.2f}" if workers else "-"]
        cells += [f"{part(['redis']):.2f}" if key != "local" else "-", f"{part(['emulator']):.2f}"]
        total = median([sum(run.values()) for run in used])
        return " / ".join(cells) + f" (total {total:.2f})"

    for key, values in walls.items():
        wall = median(values)
        if key == "local":
            runner, workers_cell, concurrency = "local", "-", str(CONCURRENCY)
        else:
            count, per_worker = (int(part) for part in key.split("x"))
            runner, workers_cell = "distributed", str(count)
            concurrency = f"{count * per_worker} ({count} x {per_worker})"
        if len(values) > 1:
            runner += f" (median of {len(values)})"
        result.rows.append(
            (
                runner,
                workers_cell,
                concurrency,
                s(wall),
                f"{n / wall:,.0f}",
                f"{wall / reference:.3f}x",
                cpu_cell(key),
            )
        )
    ratio = median(walls[f"1x{CONCURRENCY}"]) / reference
    result.notes.append(
        "rounds (local, 1 worker): "
        + ", ".join(
            f"{a:.2f} / {b:.2f} s"
            for a, b in zip(walls["local"], walls[f"1x{CONCURRENCY}"], strict=True)
        )
    )
    result.targets.append(
        Target(
            "distributed path vs the local runner, 1 worker, equal concurrency",
            f"<= {TARGET_DISTRIBUTED:.2f}x",
            f"{ratio:.3f}x",
            ratio <= TARGET_DISTRIBUTED,
        )
    )
    result.data = {"walls_s": walls, "cpu_s": cpus}
    return result
